"""A validated workspace: its file's settings plus the names derived from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from environments.model import Project, WorkspaceSettings

# Stack ids of the shared stacks; a workspace may not take these names.
RESERVED_NAMES = frozenset({"bootstrap", "shared", "project"})
# Each workspace has a second stack, "<workspace>-secrets", that writes its secret parameters.
SECRETS_STACK_SUFFIX = "-secrets"
# "<prefix>-litellm" names the target group, and AWS caps target group names at 32 characters.
MAX_PREFIX_LENGTH = 24


# Tiers a workspace may be torn down in: destroy.yml offers them, operations/teardown.py refuses the rest.
TEARDOWN_TIERS = ("development", "staging")


@dataclass(frozen=True)
class Workspace:
    name: str
    source: Path
    project: Project
    settings: WorkspaceSettings

    @property
    def prefix(self) -> str:
        """Prefix of the workspace's resource names: <project>-<workspace>."""
        return f"{self.project.name}-{self.name}"

    @property
    def ssm_path(self) -> str:
        """SSM path that holds the workspace's parameters (no trailing slash)."""
        return f"/{self.project.name}/{self.name}"

    @property
    def state_key(self) -> str:
        return f"{self.project.name}/{self.name}/terraform.tfstate"

    @property
    def secrets_stack_id(self) -> str:
        """The stack that writes this workspace's secret parameters (deploy role only, never planned on PRs)."""
        return f"{self.name}{SECRETS_STACK_SUFFIX}"

    @property
    def secrets_state_key(self) -> str:
        return f"{self.project.name}/{self.name}/secrets.tfstate"

    @property
    def secrets_key_alias(self) -> str:
        """KMS alias of the key that encrypts only the workspace's secret parameters."""
        return f"alias/{self.prefix}-secrets"

    @property
    def is_production(self) -> bool:
        return self.settings.tier == "production"

    # Names that more than one construct needs (the KMS key policy names the log groups).
    def log_group_name(self, component: str) -> str:
        return f"/{self.project.name}/{self.name}/{component}"

    @property
    def waf_log_group_name(self) -> str:
        # WAF only delivers to log groups whose name starts with aws-waf-logs-.
        return f"aws-waf-logs-{self.prefix}"

    @property
    def database_identifier(self) -> str:
        return f"{self.prefix}-postgres"

    @property
    def redis_group_id(self) -> str:
        """ElastiCache replication group id (`main.py redis-auth` finds the group by it)."""
        return f"{self.prefix}-redis"

    @property
    def redis_node_ids(self) -> list[str]:
        """ElastiCache names the nodes of a non-clustered group <group id>-001, -002, ..."""
        replicas = self.settings.redis.replicas if self.settings.redis else -1
        return [f"{self.redis_group_id}-{index:03d}" for index in range(1, replicas + 2)]

    def rds_log_group_name(self, log_type: str) -> str:
        # RDS exports to this fixed name; creating it first sets retention and encryption.
        return f"/aws/rds/instance/{self.database_identifier}/{log_type}"
