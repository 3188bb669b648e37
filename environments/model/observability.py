"""Logs, Container Insights and alarms."""

from __future__ import annotations

from pydantic import Field

from environments.model.base import LogRetention, Strict


class Observability(Strict):
    log_retention_days: LogRetention = Field(
        description="Retention of every log group of the workspace (a value CloudWatch accepts)."
    )
    container_insights: bool = Field(description="ECS Container Insights on the cluster.")
    alarm_email: str | None = Field(
        default=None,
        description="Address subscribed to the alarm topic (the subscription must be confirmed). Required "
        "in production: an alarm nobody receives is not an alarm.",
        pattern=r"^(?:[^@\s]+@[^@\s]+\.[^@\s]+)$",
    )
