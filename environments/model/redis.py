"""A managed Redis (ElastiCache) for the state LiteLLM tasks share."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from environments.model.base import Port, Strict


class ManagedRedis(Strict):
    """An ElastiCache replication group the workspace stack creates for LiteLLM's shared state."""

    engine: Literal["valkey", "redis"] = Field(
        default="valkey", description="`valkey` (cheaper, the AWS default) or `redis` (Redis OSS)."
    )
    engine_version: Literal["7.2", "8.0", "7.1"] = Field(
        default="8.0", description="Major.minor engine version: valkey 7.2 or 8.0; redis 7.1.",
    )
    node_type: str = Field(
        default="cache.t4g.small", pattern=r"^(?:cache\.[a-z0-9]+\.[a-z0-9]+)$",
        description="ElastiCache node type, e.g. cache.t4g.small.",
    )
    replicas: int = Field(
        default=1, ge=0, le=5,
        description="Read replicas beside the primary. With 1 or more: Multi-AZ with automatic failover "
        "(required in production).",
    )
    snapshot_retention_days: int = Field(
        default=7, ge=0, le=35, description="Daily snapshots kept (0: none). Taken 02:00-03:00 UTC."
    )
    port: Port = Field(default=6379, description="Redis port; only the LiteLLM tasks may reach it.")
