"""RDS PostgreSQL: class, storage, availability, backups, the password's rotation schedule."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from environments import limits
from environments.model.base import Port, RotationDays, Strict


class Database(Strict):
    instance_class: str = Field(
        description="RDS instance class, e.g. db.t3.micro.", pattern=r"^(?:db\.[a-z0-9]+\.[a-z0-9]+)$"
    )
    engine_version: Literal["15", "16", "17"] = Field(
        default="16",
        description="PostgreSQL major version; minor versions upgrade automatically.",
    )
    allocated_storage_gb: int = Field(
        default=20, ge=limits.RDS_GP3_STORAGE_GIB[0], le=limits.RDS_GP3_STORAGE_GIB[1],
        description="Initial gp3 storage (GiB).",
    )
    max_allocated_storage_gb: int = Field(
        default=100, le=limits.RDS_GP3_STORAGE_GIB[1],
        description="Storage autoscaling ceiling (GiB); at least allocated_storage_gb.",
    )
    multi_az: bool = Field(description="Standby in a second zone. Required in production.")
    deletion_protection: bool = Field(description="RDS deletion protection. Required in production.")
    backup_retention_days: int = Field(
        default=7, ge=limits.RDS_BACKUP_RETENTION_DAYS[0], le=limits.RDS_BACKUP_RETENTION_DAYS[1],
        description="Automated backup retention (days), taken 03:00-03:59 UTC.",
    )
    skip_final_snapshot: bool = Field(
        description="Skip the final snapshot when the database is destroyed. Not in production."
    )
    performance_insights: bool = Field(
        description="Performance Insights (7 days, KMS-encrypted)."
    )
    port: Port = Field(default=5432, description="PostgreSQL port.")
    password_rotation_days: RotationDays = Field(
        description="Rotation of the RDS-managed master password: every N days (1-1000), each successful "
        "rotation rolling the service so new tasks read the new password; or \"off\": no schedule is "
        "managed (RDS's own default, every 7 days, stays on a new database; a schedule switched off is "
        "cancelled), and a rotation still rolls the service. Production needs a schedule.",
    )
    max_connections: int | None = Field(
        default=None, ge=10, le=limits.RDS_MAX_CONNECTIONS_CAP,
        description="The instance's max_connections. Derived from the class's memory as RDS does for the "
        "classes in environments/limits.py (RDS_INSTANCE_MEMORY_GIB); required for any other class.",
    )
