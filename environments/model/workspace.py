"""The content of one workspace file, assembled from its components."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from environments.model.base import Region, Strict, TagKey, TagValue
from environments.model.database import Database
from environments.model.litellm import LiteLLMSettings
from environments.model.network import Ingress, Network
from environments.model.observability import Observability
from environments.model.providers import Providers
from environments.model.redis import ManagedRedis
from environments.model.task import Task


class WorkspaceSettings(Strict):
    """The content of one workspace file."""

    tier: Literal["development", "ephemeral", "staging", "production"] = Field(
        description="Policy tier. `production` must keep deletion protection, a multi-AZ database "
        "and HTTPS; outside `development`, images must be pinned (no `latest`)."
    )
    region: Region = Field(description="AWS region of the workspace.")
    tags: dict[TagKey, TagValue] = Field(
        default={}, description="Extra tags on every resource of the workspace."
    )
    network: Network = Field(description="VPC layout.")
    ingress: Ingress = Field(description="Load balancer and WAF.")
    task: Task = Field(description="The Fargate task: LiteLLM, and Ollama when a local model is wanted.")
    database: Database = Field(description="RDS PostgreSQL.")
    redis: ManagedRedis | None = Field(
        default=None,
        description="Managed Redis (ElastiCache) for LiteLLM's shared state: rate limits, key revocation, "
        "budgets. Needed when task.max_count > 1 (or an external litellm.cache).",
    )
    observability: Observability = Field(description="Logs, Container Insights and alarms.")
    providers: Providers = Field(default=Providers(), description="Cloud model providers.")
    litellm: LiteLLMSettings = Field(
        default=LiteLLMSettings(), description="LiteLLM proxy behaviour: timeouts, retries, guardrails, cache."
    )
