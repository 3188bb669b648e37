"""The load balancer in front of LiteLLM, and the web ACL that guards it."""

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
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleActionBlock,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleOverrideActionNone,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

from environments.model import Ingress
from modules.aws import AwsContext
from modules.load_balancer.admin import ADMIN_RULES_FIRST_PRIORITY, admin_rule_paths
from modules.observability.log_group import encrypted_log_group, log_delivery_policy
from modules.storage.construct import SecureBucket

# The LiteLLM liveness route: answers without a key and without calling any model
# (/health needs the master key and calls every configured model).
HEALTH_CHECK_PATH = "/health/liveliness"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

# Headers LiteLLM accepts a key in (OpenAI, Azure, Anthropic styles and its own): never logged.
REDACTED_HEADERS = ("authorization", "api-key", "x-api-key", "x-litellm-api-key")

# (priority, AWS managed rule group, rules switched to count-only with the reason)
MANAGED_RULE_GROUPS: tuple[tuple[int, str, dict[str, str]], ...] = (
    (10, "AWSManagedRulesAmazonIpReputationList", {}),
    (15, "AWSManagedRulesAnonymousIpList", {
        # API clients run on cloud servers; Tor, VPN and proxy anonymizers stay blocked.
        "HostingProviderIPList": "callers of an LLM API are mostly servers in cloud providers",
    }),
    (20, "AWSManagedRulesCommonRuleSet", {
        # Prompts are often larger than the 8 KB body limit of this rule.
        "SizeRestrictions_BODY": "LLM prompts routinely exceed 8 KB",
        # The body of an LLM request is a prompt, and prompts hold code, HTML, file paths and URLs:
        # these rules block ordinary requests ("fix this <script>", "read ../config", "summarise
        # http://..."). Counted, so their matches stay visible in the WAF logs and metrics. The proxy
        # renders nothing and fetches no URL from a prompt, which is what these rules protect.
        "CrossSiteScripting_BODY": "prompts contain HTML and JavaScript",
        "GenericLFI_BODY": "prompts contain file paths",
        "GenericRFI_BODY": "prompts contain URLs",
        "EC2MetaDataSSRF_BODY": "prompts contain URLs and IP addresses, the metadata address included",
    }),
    (30, "AWSManagedRulesKnownBadInputsRuleSet", {}),
)
RATE_LIMIT_PRIORITY = 40
GEO_BLOCK_PRIORITY = 50


def _visibility(metric: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


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
        public_subnet_ids: list[str],
        security_group_id: str,
        target_port: int,
        certificate_arn: str | None,
        drain_seconds: int,
        waf_log_group_name: str,
        log_retention_days: int,
        kms_key_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        access_logs = None
        if settings.access_logs:
            access_logs = LbAccessLogs(
                bucket=self._access_log_bucket(prefix, aws, settings, log_retention_days),
                prefix="alb", enabled=True,
            )
        self.alb = Lb(
            self, "alb", name=prefix, internal=False, load_balancer_type="application",
            security_groups=[security_group_id], subnets=public_subnet_ids,
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
            LbListener(
                self, "http_redirect_listener", load_balancer_arn=self.alb.arn, port=80, protocol="HTTP",
                default_action=[LbListenerDefaultAction(
                    type="redirect",
                    redirect=LbListenerDefaultActionRedirect(port="443", protocol="HTTPS", status_code="HTTP_301"),
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
        if settings.admin_cidrs is not None:
            self._admin_rules(main_listener, settings.admin_cidrs)
        self.web_acl = None
        if settings.waf:
            self.web_acl = self._web_acl(prefix, aws, settings, waf_log_group_name, log_retention_days, kms_key_arn)

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

    def _web_acl(self, prefix: str, aws: AwsContext, settings: Ingress, log_group_name: str,
                 retention_days: int, kms_key_arn: str) -> Wafv2WebAcl:
        rules = [
            Wafv2WebAclRule(
                name=group, priority=priority,
                override_action=Wafv2WebAclRuleOverrideAction(none=Wafv2WebAclRuleOverrideActionNone()),
                statement={"managed_rule_group_statement": {
                    "name": group, "vendor_name": "AWS",
                    "rule_action_override": [
                        {"name": rule, "action_to_use": {"count": {}}} for rule in sorted(count_only)
                    ],
                }},
                visibility_config=_visibility(group),
            )
            for priority, group, count_only in MANAGED_RULE_GROUPS
        ]
        rules.append(Wafv2WebAclRule(
            name="rate-limit-per-ip", priority=RATE_LIMIT_PRIORITY,
            action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
            statement={"rate_based_statement": {
                "limit": settings.waf_rate_limit, "aggregate_key_type": "IP", "evaluation_window_sec": 300,
            }},
            visibility_config=_visibility("rate-limit-per-ip"),
        ))
        if settings.geo_block:
            rules.append(Wafv2WebAclRule(
                name="geo-block", priority=GEO_BLOCK_PRIORITY,
                action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
                statement={"geo_match_statement": {"country_codes": list(settings.geo_block)}},
                visibility_config=_visibility("geo-block"),
            ))
        acl = Wafv2WebAcl(
            self, "web_acl", name=prefix, scope="REGIONAL",
            description=f"{prefix}: managed rule groups and a per-IP rate limit",
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            visibility_config=Wafv2WebAclVisibilityConfig(
                cloudwatch_metrics_enabled=True, metric_name=prefix, sampled_requests_enabled=True
            ),
            rule=rules,
        )
        Wafv2WebAclAssociation(self, "web_acl_association", resource_arn=self.alb.arn, web_acl_arn=acl.arn)
        group = encrypted_log_group(self, "waf_log_group", name=log_group_name, retention_days=retention_days,
                                    kms_key_arn=kms_key_arn)
        log_policy = log_delivery_policy(self, "waf_log_delivery_policy", name=f"{prefix}-waf-log-delivery",
                                         sid="WafLogDelivery", log_group_arns=[group.arn], aws=aws)
        Wafv2WebAclLoggingConfiguration(
            self, "web_acl_logging", resource_arn=acl.arn, log_destination_configs=[group.arn],
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
                )
                for header in REDACTED_HEADERS
            ],
            depends_on=[log_policy],
        )
        return acl
