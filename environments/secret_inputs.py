"""Which secrets a workspace needs, and under which names: one place for the container variable
and the SSM parameter of each. No values, ever - and no secret is a Terraform input.

- Generated (master key, salt key, a managed Redis's AUTH token): a Terraform ephemeral resource
  produces the value and a write-only argument stores it in SSM, once; neither state nor plan
  holds it. ElastiCache has no write-only token argument, so `main.py redis-auth` hands the
  token to the replication group after apply (operations/redis_auth.py).
- Provided from outside (provider API keys, an external Redis password): Terraform creates the
  parameter with a placeholder and never writes it again; `python main.py set-secret` (value on
  stdin) or an approval-gated workflow sets the real value.
- The database password: RDS generates and keeps it in Secrets Manager (managed master user
  password); the task reads it from there.
"""

from __future__ import annotations

from dataclasses import dataclass

from environments.model import WorkspaceSettings

MASTER_KEY = "LITELLM_MASTER_KEY"
SALT_KEY = "LITELLM_SALT_KEY"
REDIS_PASSWORD = "REDIS_PASSWORD"
# LiteLLM builds its DATABASE_URL from these (proxy/utils.py, construct_database_url_from_env_vars),
# URL-encoding the password, so RDS may generate any character.
DATABASE_HOST = "DATABASE_HOST"
DATABASE_USERNAME = "DATABASE_USERNAME"
DATABASE_NAME = "DATABASE_NAME"
DATABASE_PASSWORD = "DATABASE_PASSWORD"
# Written into each provided parameter when it is created; LiteLLM calls with it fail visibly.
PLACEHOLDER = "unset: python main.py set-secret"


@dataclass(frozen=True)
class SecretParameter:
    """A SecureString parameter under the workspace path that the litellm container receives."""

    env: str
    """Container environment variable LiteLLM reads it from (os.environ/<env> in the config)."""
    parameter: str
    """SSM parameter name below the workspace path."""
    description: str
    name: str = ""
    """For provided secrets: the NAME given to `main.py set-secret`."""


GENERATED = (
    SecretParameter(MASTER_KEY, "litellm/master_key", "LiteLLM admin key; clients and the UI log in with it"),
    SecretParameter(SALT_KEY, "litellm/salt_key",
                    "LiteLLM salt key; encrypts stored provider credentials; written once, never rotated"),
)
REDIS_AUTH_TOKEN = SecretParameter(REDIS_PASSWORD, "cache/redis_password",
                                   "AUTH token of the workspace's ElastiCache; main.py redis-auth applies it")


def generated_secrets(settings: WorkspaceSettings) -> tuple[SecretParameter, ...]:
    """Secrets Terraform generates for the workspace (the Redis token only when it creates the Redis)."""
    return (*GENERATED, REDIS_AUTH_TOKEN) if settings.redis is not None else GENERATED


def api_key_env(provider: str) -> str:
    return f"{provider.upper()}_API_KEY"


def provided_secrets(settings: WorkspaceSettings) -> list[SecretParameter]:
    """Secrets that come from outside: a placeholder parameter each, set with `main.py set-secret`."""
    found = [
        SecretParameter(api_key_env(provider), f"providers/{provider}_api_key", f"{provider} API key",
                        name=f"{provider}_api_key")
        for provider in settings.providers.with_api_keys()
    ]
    if settings.litellm.cache is not None:
        found.append(SecretParameter(REDIS_PASSWORD, "cache/redis_password",
                                     "password (AUTH token) of the shared Redis", name="redis_password"))
    return found


def container_secret_names(settings: WorkspaceSettings) -> set[str]:
    """Every environment variable the litellm container receives through `secrets`."""
    return ({item.env for item in generated_secrets(settings)} | {DATABASE_PASSWORD}
            | {item.env for item in provided_secrets(settings)})
