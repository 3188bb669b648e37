"""The load balancer in front of LiteLLM, and the web ACL that guards it (unless a CDN's does).

Behind CloudFront (ingress.cdn) the load balancer is internal: only the distribution's VPC origin
reaches it, on 443; the edge enforces the admin routes and the web ACL (modules/cdn).
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleActionFixedResponse,
    LbListenerRuleCondition,
    LbListenerRuleConditionPathPattern,
    LbListenerRuleConditionSourceIp,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from constructs import Construct

from environments.model import Ingress
from modules.aws import AwsContext
from modules.load_balancer.admin import ADMIN_RULES_FIRST_PRIORITY, admin_rule_paths
from modules.storage.construct import SecureBucket
from modules.waf.construct import web_acl

# The LiteLLM liveness route: answers without a key and without calling any model
# (/health needs the master key and calls every configured model).
HEALTH_CHECK_PATH = "/health/liveliness"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


class LoadBalancer(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        settings: Ingress,
        aws: AwsContext,
        vpc_id: str,
        subnet_ids: list[str],
        security_group_id: str,
        target_port: int,
        certificate_arn: str | None,
        drain_seconds: int,
        waf_log_group_name: str,
        log_retention_days: int,
        kms_key_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        behind_cdn = settings.cdn is not None
        access_logs = None
        if settings.access_logs:
            access_logs = LbAccessLogs(
                bucket=self._access_log_bucket(prefix, aws, settings, log_retention_days),
                prefix="alb", enabled=True,
            )
        self.alb = Lb(
            self, "alb", name=prefix, internal=behind_cdn, load_balancer_type="application",
            security_groups=[security_group_id], subnets=subnet_ids,
            drop_invalid_header_fields=True, idle_timeout=settings.idle_timeout_seconds,
            enable_deletion_protection=settings.deletion_protection, desync_mitigation_mode="defensive",
            access_logs=access_logs,
        )
        self.target_group = LbTargetGroup(
            self, "litellm_target_group", name=f"{prefix}-litellm", port=target_port, protocol="HTTP",
            target_type="ip", vpc_id=vpc_id,
            # A stopping task (deploy, scale-in) keeps its in-flight requests this long before ECS
            # signals it: the longest a request may take, so no deploy cuts a completion.
            deregistration_delay=str(drain_seconds),
            # LLM requests differ in length by orders of magnitude; round robin piles them up.
            load_balancing_algorithm_type="least_outstanding_requests",
            health_check=LbTargetGroupHealthCheck(
                enabled=True, path=HEALTH_CHECK_PATH, port="traffic-port", protocol="HTTP", matcher="200",
                interval=30, timeout=5, healthy_threshold=2, unhealthy_threshold=3,
            ),
        )
        forward = LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)
        if certificate_arn:
            self.https = True
            main_listener = LbListener(
                self, "https_listener", load_balancer_arn=self.alb.arn, port=443, protocol="HTTPS",
                ssl_policy=TLS_POLICY, certificate_arn=certificate_arn, default_action=[forward],
            )
            if not behind_cdn:  # CloudFront speaks HTTPS to its origin, nothing else reaches it
                LbListener(
                    self, "http_redirect_listener", load_balancer_arn=self.alb.arn, port=80, protocol="HTTP",
                    default_action=[LbListenerDefaultAction(
                        type="redirect",
                        redirect=LbListenerDefaultActionRedirect(port="443", protocol="HTTPS",
                                                                 status_code="HTTP_301"),
                    )],
                )
        else:
            self.https = False
            main_listener = LbListener(
                self, "http_listener", load_balancer_arn=self.alb.arn, port=80, protocol="HTTP",
                default_action=[forward],
            )
        # The ECS service can only attach to a target group that a listener already uses.
        self.listener = main_listener
        # Behind a CDN every request comes from CloudFront's addresses: the edge checks the callers instead.
        if settings.admin_cidrs is not None and not behind_cdn:
            self._admin_rules(main_listener, settings.admin_cidrs)
        self.web_acl = None
        if settings.waf and not behind_cdn:
            self.web_acl = web_acl(
                self, prefix=prefix, settings=settings, aws=aws, waf_scope="REGIONAL",
                log_group_name=waf_log_group_name, retention_days=log_retention_days, kms_key_arn=kms_key_arn,
                protected_arn=self.alb.arn,
            )

    def _admin_rules(self, listener: LbListener, admin_cidrs: list[str]) -> None:
        """Admin routes: forwarded from the admin blocks, 403 for everyone else (ALB conditions cannot
        negate, so each group of paths has an allow rule and, one priority later, a deny rule)."""
        priority = ADMIN_RULES_FIRST_PRIORITY
        for index, paths in enumerate(admin_rule_paths(admin_cidrs)):
            path_condition = LbListenerRuleCondition(path_pattern=LbListenerRuleConditionPathPattern(values=paths))
            if admin_cidrs:
                LbListenerRule(
                    self, f"admin_allow_{index}", listener_arn=listener.arn, priority=priority,
                    condition=[path_condition, LbListenerRuleCondition(
                        source_ip=LbListenerRuleConditionSourceIp(values=list(admin_cidrs)))],
                    action=[LbListenerRuleAction(type="forward", target_group_arn=self.target_group.arn)],
                )
            LbListenerRule(
                self, f"admin_deny_{index}", listener_arn=listener.arn, priority=priority + 1,
                condition=[path_condition],
                action=[LbListenerRuleAction(type="fixed-response", fixed_response=LbListenerRuleActionFixedResponse(
                    content_type="application/json", status_code="403",
                    message_body='{"error": "admin routes are not reachable from this address"}',
                ))],
            )
            priority += 2

    def _access_log_bucket(self, prefix: str, aws: AwsContext, settings: Ingress, retention_days: int) -> str:
        elb_account = DataAwsElbServiceAccount(self, "elb_service_account", region=aws.region)
        bucket = SecureBucket(
            self, "access_logs",
            bucket_prefix=f"{prefix}-alb-logs-",
            kms_key_arn=None,  # ALB log delivery writes with SSE-S3 only
            force_destroy=not settings.deletion_protection,
            noncurrent_version_days=7,
            current_version_days=retention_days,
            extra_policy=lambda bucket_arn: [{
                "Sid": "LoadBalancerWritesAccessLogs",
                "Effect": "Allow",
                "Principal": {"AWS": elb_account.arn},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/alb/AWSLogs/{aws.account_id}/*",
            }],
        )
        return bucket.bucket.id
