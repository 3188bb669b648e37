"""The web ACL of a workspace: at the load balancer (REGIONAL), or at CloudFront's edge (CLOUDFRONT).

The rules are the same in both places. At the edge two more do what the load balancer does
without a CDN, because only the edge sees the callers' addresses: callers outside
ingress.allowed_cidrs are blocked, and LiteLLM's admin routes answer only ingress.admin_cidrs.
"""

from __future__ import annotations

from typing import Literal

from cdktf_cdktf_provider_aws.wafv2_ip_set import Wafv2IpSet
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
from environments.rules import opens_to_everyone
from modules.aws import AwsContext
from modules.load_balancer.admin import ADMIN_PATHS
from modules.observability.log_group import encrypted_log_group, log_delivery_policy

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
# Edge only, before everything else: what the load balancer's security group and listener rules do
# without a CDN.
ALLOWED_CALLERS_PRIORITY = 1
ADMIN_ROUTES_PRIORITY = 2
RATE_LIMIT_PRIORITY = 40
GEO_BLOCK_PRIORITY = 50

Scope = Literal["REGIONAL", "CLOUDFRONT"]


def _visibility(metric: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def admin_path_statements() -> list[dict]:
    """ADMIN_PATHS as WAF byte matches on the normalized path ("/ui" and "/ui/*" are one prefix)."""
    matches: dict[str, str] = {}
    for path in ADMIN_PATHS:
        if path.endswith("/*"):
            if path[:-2] not in ADMIN_PATHS:  # else the bare path's prefix match covers it
                matches[path[:-1]] = "STARTS_WITH"
        else:
            matches[path] = "STARTS_WITH" if f"{path}/*" in ADMIN_PATHS else "EXACTLY"
    return [
        {"byte_match_statement": {
            "search_string": path, "positional_constraint": constraint, "field_to_match": {"uri_path": {}},
            "text_transformation": [{"priority": 0, "type": "NORMALIZE_PATH"}],
        }}
        for path, constraint in matches.items()
    ]


def web_acl(
    scope: Construct,
    *,
    prefix: str,
    settings: Ingress,
    aws: AwsContext,
    waf_scope: Scope,
    log_group_name: str,
    retention_days: int,
    kms_key_arn: str,
    protected_arn: str | None = None,
) -> Wafv2WebAcl:
    """The web ACL, its logging (keys redacted) and, for the load balancer, its association.
    A CloudFront web ACL is attached by the distribution itself (web_acl_id)."""
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
    if waf_scope == "CLOUDFRONT":
        rules += _caller_rules(scope, prefix, settings)
    acl = Wafv2WebAcl(
        scope, "web_acl", name=prefix, scope=waf_scope,
        description=f"{prefix}: managed rule groups and a per-IP rate limit",
        default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
        visibility_config=Wafv2WebAclVisibilityConfig(
            cloudwatch_metrics_enabled=True, metric_name=prefix, sampled_requests_enabled=True
        ),
        rule=rules,
    )
    if protected_arn is not None:
        Wafv2WebAclAssociation(scope, "web_acl_association", resource_arn=protected_arn, web_acl_arn=acl.arn)
    group = encrypted_log_group(scope, "waf_log_group", name=log_group_name, retention_days=retention_days,
                                kms_key_arn=kms_key_arn)
    log_policy = log_delivery_policy(scope, "waf_log_delivery_policy", name=f"{prefix}-waf-log-delivery",
                                     sid="WafLogDelivery", log_group_arns=[group.arn], aws=aws)
    Wafv2WebAclLoggingConfiguration(
        scope, "web_acl_logging", resource_arn=acl.arn, log_destination_configs=[group.arn],
        redacted_fields=[
            Wafv2WebAclLoggingConfigurationRedactedFields(
                single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
            )
            for header in REDACTED_HEADERS
        ],
        depends_on=[log_policy],
    )
    return acl


def _ip_set(scope: Construct, id_: str, name: str, cidrs: list[str], description: str) -> Wafv2IpSet:
    return Wafv2IpSet(scope, id_, name=name, scope="CLOUDFRONT", ip_address_version="IPV4",
                      addresses=sorted(cidrs), description=description)


def _caller_rules(scope: Construct, prefix: str, settings: Ingress) -> list[Wafv2WebAclRule]:
    block = Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock())
    rules = []
    if not opens_to_everyone(settings.allowed_cidrs):
        allowed = _ip_set(scope, "allowed_callers", f"{prefix}-allowed", settings.allowed_cidrs,
                          "ingress.allowed_cidrs: the only callers admitted")
        rules.append(Wafv2WebAclRule(
            name="allowed-callers-only", priority=ALLOWED_CALLERS_PRIORITY, action=block,
            statement={"not_statement": {"statement": [
                {"ip_set_reference_statement": {"arn": allowed.arn}}]}},
            visibility_config=_visibility("allowed-callers-only"),
        ))
    if settings.admin_cidrs is not None:
        paths = {"or_statement": {"statement": admin_path_statements()}}
        if settings.admin_cidrs:
            admins = _ip_set(scope, "admin_callers", f"{prefix}-admin", settings.admin_cidrs,
                             "ingress.admin_cidrs: the only callers of LiteLLM's admin routes")
            statement = {"and_statement": {"statement": [paths, {"not_statement": {"statement": [
                {"ip_set_reference_statement": {"arn": admins.arn}}]}}]}}
        else:
            statement = paths
        rules.append(Wafv2WebAclRule(
            name="admin-routes-from-admin-cidrs", priority=ADMIN_ROUTES_PRIORITY, action=block,
            statement=statement, visibility_config=_visibility("admin-routes-from-admin-cidrs"),
        ))
    return rules
