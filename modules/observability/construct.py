"""Alarm topic, the alarms of the architecture brief, failed-deployment events, and a dashboard.

Latency: LLM responses take seconds to minutes, so a fixed "p95 above 3 s" alarm is always on or
always ignored. TargetResponseTime is the time to the response headers: for a streamed completion
the time to the first token, for a whole completion its generation time. The alarm fires when the
p95 nears the request timeout (requests about to be retried or cut), and a second one counts the
504s the load balancer returns (requests already cut).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from modules import policies

GIB = 1024**3
# Share of the request timeout at which the p95 time to response headers alarms.
LATENCY_SHARE_OF_TIMEOUT = 0.8
# Share of the usable database connections at which the connection alarm fires.
CONNECTIONS_SHARE = 0.9


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
    service_arn: str
    min_tasks: int
    request_timeout_seconds: int
    database_connections: int | None
    """Connections LiteLLM may use (max_connections less headroom), when known."""
    redis_nodes: list[str]
    """Cache cluster ids of the managed Redis's nodes (none without one)."""


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
        Alarm("alb-latency-p95",
              f"p95 time to response headers (first token when streaming) above "
              f"{round(LATENCY_SHARE_OF_TIMEOUT * 100)} % of the {resources.request_timeout_seconds} s request timeout",
              "AWS/ApplicationELB", "TargetResponseTime", alb, "GreaterThanThreshold",
              round(resources.request_timeout_seconds * LATENCY_SHARE_OF_TIMEOUT, 1), 300, 3, statistic=None,
              extended_statistic="p95"),
        Alarm("alb-504", "The load balancer cut more than 5 requests in 5 minutes (504: no response in time)",
              "AWS/ApplicationELB", "HTTPCode_ELB_504_Count", alb, "GreaterThanThreshold", 5, 300, 1,
              statistic="Sum"),
        Alarm("rds-cpu-high", "Database CPU above 80 %", "AWS/RDS", "CPUUtilization", rds,
              "GreaterThanThreshold", 80, 300, 3),
        Alarm("rds-free-storage-low", "Less than 5 GB of database storage left", "AWS/RDS", "FreeStorageSpace",
              rds, "LessThanThreshold", 5 * GIB, 300, 3, statistic="Minimum"),
    ]
    if resources.min_tasks > 0:
        found.append(Alarm(
            "tasks-below-floor", f"Fewer than {resources.min_tasks} healthy LiteLLM tasks (the autoscaling floor)",
            "AWS/ApplicationELB", "HealthyHostCount", target, "LessThanThreshold", resources.min_tasks, 60, 3,
            statistic="Minimum",
        ))
    if resources.database_connections is not None:
        limit = round(resources.database_connections * CONNECTIONS_SHARE)
        found.append(Alarm(
            "rds-connections-high", f"More than {limit} database connections (of {resources.database_connections} "
            "planned for LiteLLM)", "AWS/RDS", "DatabaseConnections", rds, "GreaterThanThreshold", limit, 300, 3,
            statistic="Maximum",
        ))
    for node in resources.redis_nodes:
        redis = {"CacheClusterId": node}
        short = node.rsplit("-", 1)[-1]
        found += [
            Alarm(f"redis-{short}-cpu-high", f"Redis node {node}: engine CPU above 80 %", "AWS/ElastiCache",
                  "EngineCPUUtilization", redis, "GreaterThanThreshold", 80, 300, 3),
            Alarm(f"redis-{short}-memory-high", f"Redis node {node}: memory above 80 % of maxmemory",
                  "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", redis, "GreaterThanThreshold", 80, 300, 3),
            Alarm(f"redis-{short}-evictions", f"Redis node {node} evicts keys: rate-limit and key state may be lost",
                  "AWS/ElastiCache", "Evictions", redis, "GreaterThanThreshold", 0, 300, 1, statistic="Sum"),
            Alarm(f"redis-{short}-connections-high", f"Redis node {node}: more than 5000 client connections",
                  "AWS/ElastiCache", "CurrConnections", redis, "GreaterThanThreshold", 5000, 300, 3,
                  statistic="Maximum"),
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
        account_id: str,
        kms_key_arn: str,
        alarm_email: str | None,
        resources: MonitoredResources,
    ) -> None:
        super().__init__(scope, id_)
        topic_arn = SnsTopic(self, "alarm_topic", name=f"{prefix}-alarms", kms_master_key_id=kms_key_arn).arn
        SnsTopicPolicy(self, "alarm_topic_policy", arn=topic_arn, policy=policies.document({
            "Sid": "AlarmsAndDeploymentEventsPublish",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }))
        # The circuit breaker rolls a failed deployment back silently; this tells someone.
        deployment_failed = CloudwatchEventRule(
            self, "deployment_failed", name=f"{prefix}-deployment-failed",
            description="ECS deployment of the LiteLLM service failed (circuit breaker rolled it back)",
            event_pattern=json.dumps({
                "source": ["aws.ecs"],
                "detail-type": ["ECS Deployment State Change"],
                "resources": [resources.service_arn],
                "detail": {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
            }),
        )
        CloudwatchEventTarget(self, "deployment_failed_to_topic", rule=deployment_failed.name, arn=topic_arn)
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
