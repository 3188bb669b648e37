"""LiteLLM proxy behaviour: timeouts, retries, PII guardrails, cache, admin UI."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from environments import limits
from environments.model.base import Distinct, Port, Strict

PiiPattern = Literal[
    "us_ssn", "us_ssn_no_dash", "email", "us_phone", "credit_card", "visa", "mastercard", "amex", "discover",
    "aws_access_key", "aws_secret_key", "github_token", "slack_token", "generic_api_key", "passport_us",
    "passport_uk", "passport_germany", "passport_france", "passport_netherlands", "passport_canada",
    "passport_india", "passport_australia", "ipv4", "ipv6",
]
DEFAULT_PII_PATTERNS: list[str] = [
    "us_ssn", "email", "us_phone", "credit_card", "aws_access_key", "aws_secret_key", "github_token",
    "slack_token", "generic_api_key",
]


class Guardrails(Strict):
    pii_pre_call: bool = Field(
        default=True, description="Scan prompts for personal data and credentials before any model sees them."
    )
    pii_post_call: bool = Field(
        default=True, description="Scan model responses for personal data and credentials before the client does."
    )
    action: Literal["MASK", "BLOCK"] = Field(
        default="MASK", description="`MASK` replaces what matched; `BLOCK` refuses the request or response."
    )
    patterns: Annotated[list[PiiPattern], Distinct] = Field(
        default=DEFAULT_PII_PATTERNS, min_length=1,
        description="LiteLLM prebuilt patterns the guardrails look for.",
    )


class Cache(Strict):
    """A Redis the workspace does not create (use `[redis]` for a managed one)."""

    host: str = Field(
        description="Host of an existing Redis in the VPC, shared by all tasks for rate limits and caching. "
        "Its password is set with `main.py set-secret --workspace W redis_password`.",
        pattern=r"^(?:[A-Za-z0-9.-]+)$",
    )
    port: Port = Field(default=6379, description="Redis port; tasks may reach it inside the VPC only.")
    tls: bool = Field(default=True, description="Connect with TLS (ElastiCache in-transit encryption).")


class LiteLLMSettings(Strict):
    request_timeout_seconds: int = Field(
        default=120, ge=1, le=limits.ALB_IDLE_TIMEOUT[1],
        description="Upper bound of one model call (for a stream: of the wait for its next chunk). With its "
        "retries a request may last request_timeout_seconds × (num_retries + 1): that must fit "
        "ingress.idle_timeout_seconds, or the load balancer cuts the connection first. The target group "
        "drains a stopping task for that long.",
    )
    num_retries: int = Field(default=1, ge=0, le=10, description="Retries of a failed model call.")
    guardrails: Guardrails = Field(default=Guardrails(), description="PII guardrails (LiteLLM content filter).")
    cache: Cache | None = Field(
        default=None, description="An external Redis for router state (instead of a managed `[redis]`)."
    )
    response_cache: bool = Field(
        default=False,
        description="Also cache model responses in Redis. Off by default: the cache key is the request, not "
        "the caller, so one caller can receive another's cached answer.",
    )
    key_cache_seconds: int = Field(
        default=60, ge=1, le=3600,
        description="How long each task trusts a virtual key it has looked up (user_api_key_cache_ttl). Keys live "
        "in the database and each task caches them in its own memory, so a key revoked through one task is "
        "refused by the others within this many seconds; lower means more database reads.",
    )
    admin_ui: bool = Field(
        default=True,
        description="Serve the admin UI and the API docs (/ui, /docs). In production: false, or "
        "ingress.admin_cidrs set.",
    )

    @property
    def request_budget_seconds(self) -> int:
        """The longest a request may take inside the proxy: every attempt timing out."""
        return self.request_timeout_seconds * (self.num_retries + 1)
