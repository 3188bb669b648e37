"""Alarm topic, the alarms of the architecture brief, and a dashboard."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

GIB = 1024**3


@dataclass(frozen=True)
class Alarm:
    name: str
    description: str
    namespace: str
    metric: str
    dimensions: dict[str, str]
    comparison: str
    threshold: float
    period: int
    evaluation_periods: int
    statistic: str | None = "Average"
    extended_statistic: str | None = None


@dataclass(frozen=True)
class MonitoredResources:
    cluster_name: str
    service_name: str
    load_balancer_suffix: str
    target_group_suffix: str
    database_identifier: str
    web_acl_name: str | None


def alarms(resources: MonitoredResources, region: str) -> list[Alarm]:
    ecs = {"ClusterName": resources.cluster_name, "ServiceName": resources.service_name}
    alb = {"LoadBalancer": resources.load_balancer_suffix}
    target = {"LoadBalancer": resources.load_balancer_suffix, "TargetGroup": resources.target_group_suffix}
    rds = {"DBInstanceIdentifier": resources.database_identifier}
    found = [
        Alarm("ecs-cpu-high", "Tasks use more than 85 % CPU", "AWS/ECS", "CPUUtilization", ecs,
              "GreaterThanThreshold", 85, 300, 3),
        Alarm("ecs-memory-high", "Tasks use more than 90 % memory", "AWS/ECS", "MemoryUtilization", ecs,
              "GreaterThanThreshold", 90, 300, 3),
        Alarm("alb-target-5xx", "More than 10 target 5xx responses in 5 minutes", "AWS/ApplicationELB",
              "HTTPCode_Target_5XX_Count", alb, "GreaterThanThreshold", 10, 300, 1, statistic="Sum"),
        Alarm("alb-unhealthy-hosts", "At least one LiteLLM task fails the load balancer health check",
              "AWS/ApplicationELB", "UnHealthyHostCount", target, "GreaterThanOrEqualToThreshold", 1, 60, 3,
              statistic="Maximum"),
        Alarm("alb-latency-p95", "p95 time to response headers above 3 s", "AWS/ApplicationELB",
              "TargetResponseTime", alb, "GreaterThanThreshold", 3, 300, 3, statistic=None,
              extended_statistic="p95"),
        Alarm("rds-cpu-high", "Database CPU above 80 %", "AWS/RDS", "CPUUtilization", rds,
              "GreaterThanThreshold", 80, 300, 3),
        Alarm("rds-free-storage-low", "Less than 5 GB of database storage left", "AWS/RDS", "FreeStorageSpace",
              rds, "LessThanThreshold", 5 * GIB, 300, 3, statistic="Minimum"),
        Alarm("rds-connections-high", "More than 80 database connections", "AWS/RDS", "DatabaseConnections",
              rds, "GreaterThanThreshold", 80, 300, 3, statistic="Maximum"),
    ]
    if resources.web_acl_name:
        found.append(Alarm(
            "waf-blocked-requests", "The WAF blocked more than 100 requests in 5 minutes", "AWS/WAFV2",
            "BlockedRequests", {"WebACL": resources.web_acl_name, "Region": region, "Rule": "ALL"},
            "GreaterThanThreshold", 100, 300, 1, statistic="Sum",
        ))
    return found


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        region: str,
        kms_key_arn: str,
        alarm_email: str | None,
        resources: MonitoredResources,
    ) -> None:
        super().__init__(scope, id_)
        topic_arn = SnsTopic(self, "alarm_topic", name=f"{prefix}-alarms", kms_master_key_id=kms_key_arn).arn
        if alarm_email:
            SnsTopicSubscription(self, "alarm_email", topic_arn=topic_arn, protocol="email", endpoint=alarm_email)
        for alarm in alarms(resources, region):
            CloudwatchMetricAlarm(
                self, f"alarm_{alarm.name.replace('-', '_')}",
                alarm_name=f"{prefix}-{alarm.name}", alarm_description=alarm.description,
                namespace=alarm.namespace, metric_name=alarm.metric, dimensions=alarm.dimensions,
                comparison_operator=alarm.comparison, threshold=alarm.threshold, period=alarm.period,
                evaluation_periods=alarm.evaluation_periods, statistic=alarm.statistic,
                extended_statistic=alarm.extended_statistic, treat_missing_data="notBreaching",
                alarm_actions=[topic_arn], ok_actions=[topic_arn],
            )
        CloudwatchDashboard(self, "dashboard", dashboard_name=prefix,
                            dashboard_body=json.dumps(dashboard(resources, region)))


def dashboard(resources: MonitoredResources, region: str) -> dict:
    def widget(title: str, metrics: list[list], x: int, y: int, stat: str = "Average") -> dict:
        return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6,
                "properties": {"title": title, "region": region, "stat": stat, "period": 300, "metrics": metrics}}

    ecs = ["ClusterName", resources.cluster_name, "ServiceName", resources.service_name]
    alb = ["LoadBalancer", resources.load_balancer_suffix]
    rds = ["DBInstanceIdentifier", resources.database_identifier]
    widgets = [
        widget("Tasks: CPU and memory (%)",
               [["AWS/ECS", "CPUUtilization", *ecs], ["AWS/ECS", "MemoryUtilization", *ecs]], 0, 0),
        widget("Requests and target 5xx", [["AWS/ApplicationELB", "RequestCount", *alb],
                                           ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *alb]], 12, 0, "Sum"),
        widget("Target response time p95 (s)", [["AWS/ApplicationELB", "TargetResponseTime", *alb]], 0, 6, "p95"),
        widget("Database CPU (%) and connections", [["AWS/RDS", "CPUUtilization", *rds],
                                                    ["AWS/RDS", "DatabaseConnections", *rds]], 12, 6),
    ]
    if resources.web_acl_name:
        widgets.append(widget("WAF blocked requests", [["AWS/WAFV2", "BlockedRequests", "WebACL",
                                                        resources.web_acl_name, "Region", region, "Rule", "ALL"]],
                              0, 12, "Sum"))
    return {"widgets": widgets}
