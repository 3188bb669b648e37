"""CloudFront in front of an internal load balancer (ingress.cdn).

Why a VPC origin and not a secret origin header: a header value the ALB requires is in the
distribution's and the listener rule's configuration, so Terraform's refresh writes it into the
state (which the plan role reads) even under ignore_changes. A VPC origin needs no secret: the
load balancer is internal, and only this distribution's VPC origin has a path to it.

Everything here lives in us-east-1 (CloudFront's certificates and web ACLs must), through the
stack's `edge` provider: an aspect gives it to every resource of the construct, so none can be
created in the workspace's region by mistake.
"""

from __future__ import annotations

import jsii
from cdktf import (
    Aspects,
    IAspect,
    TerraformDataSource,
    TerraformProvider,
    TerraformResource,
    TerraformResourceLifecycle,
)
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionOriginVpcOriginConfig,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktf_cdktf_provider_aws.cloudfront_vpc_origin import (
    CloudfrontVpcOrigin,
    CloudfrontVpcOriginVpcOriginEndpointConfig,
    CloudfrontVpcOriginVpcOriginEndpointConfigOriginSslProtocols,
)
from cdktf_cdktf_provider_aws.data_aws_cloudfront_cache_policy import DataAwsCloudfrontCachePolicy
from cdktf_cdktf_provider_aws.data_aws_cloudfront_origin_request_policy import DataAwsCloudfrontOriginRequestPolicy
from cdktf_cdktf_provider_aws.data_aws_cloudfront_response_headers_policy import (
    DataAwsCloudfrontResponseHeadersPolicy,
)
from cdktf_cdktf_provider_aws.lb import Lb
from constructs import Construct, IConstruct

from environments.model import Cdn, Domain, Ingress
from modules.aws import AwsContext
from modules.secrets.construct import WorkspaceKey
from modules.waf.construct import web_acl

EDGE_REGION = "us-east-1"
ORIGIN_ID = "litellm"
# AWS managed policies: API responses are never cached; every viewer header, Authorization and
# Host included, reaches LiteLLM; the usual security headers (HSTS among them) are added.
CACHING_DISABLED = "Managed-CachingDisabled"
ALL_VIEWER = "Managed-AllViewer"
SECURITY_HEADERS = "Managed-SecurityHeadersPolicy"
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
VIEWER_TLS = "TLSv1.2_2021"
ORIGIN_TLS = ["TLSv1.2"]
# CloudFront's longest keep-alive without a quota increase; the ALB's idle timeout (>= 300 s) is longer,
# so CloudFront always closes an idle connection first and never sends on one the ALB has dropped.
ORIGIN_KEEPALIVE_SECONDS = 60


@jsii.implements(IAspect)
class InProvider:
    """Puts every resource and data source under a construct on one provider."""

    def __init__(self, provider: TerraformProvider) -> None:
        self._provider = provider

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, (TerraformResource, TerraformDataSource)):
            node.provider = self._provider


class EdgeDistribution(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        settings: Ingress,
        cdn: Cdn,
        domain: Domain,
        account_id: str,
        provider: TerraformProvider,
        load_balancer: Lb,
        validation_record_fqdn: str,
        waf_log_group_name: str,
        log_retention_days: int,
        key_deletion_window_days: int,
    ) -> None:
        super().__init__(scope, id_)
        Aspects.of(self).add(InProvider(provider))
        edge = AwsContext(account_id=account_id, region=EDGE_REGION)
        # CloudWatch Logs encrypts only with a key of its own region.
        key = WorkspaceKey(
            self, "key", alias=f"{prefix}-edge", aws=edge, log_group_patterns=[waf_log_group_name],
            deletion_window_days=key_deletion_window_days, purpose="web ACL logs at the edge",
        )
        certificate = AcmCertificate(
            self, "certificate", domain_name=domain.name, validation_method="DNS",
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # No record of its own: the workspace's certificate of the same name created the one ACM checks.
        validated = AcmCertificateValidation(
            self, "certificate_validation", certificate_arn=certificate.arn,
            validation_record_fqdns=[validation_record_fqdn],
        )
        acl = web_acl(
            self, prefix=prefix, settings=settings, aws=edge, waf_scope="CLOUDFRONT",
            log_group_name=waf_log_group_name, retention_days=log_retention_days, kms_key_arn=key.arn,
        )
        origin = CloudfrontVpcOrigin(
            self, "vpc_origin",
            vpc_origin_endpoint_config=[CloudfrontVpcOriginVpcOriginEndpointConfig(
                name=prefix, arn=load_balancer.arn, http_port=80, https_port=443,
                origin_protocol_policy="https-only",
                origin_ssl_protocols=[CloudfrontVpcOriginVpcOriginEndpointConfigOriginSslProtocols(
                    items=ORIGIN_TLS, quantity=len(ORIGIN_TLS))],
            )],
        )
        self.distribution = CloudfrontDistribution(
            self, "distribution", enabled=True, comment=f"{prefix}: LiteLLM", aliases=[domain.name],
            is_ipv6_enabled=True, http_version="http2and3", price_class=cdn.price_class, web_acl_id=acl.arn,
            origin=[CloudfrontDistributionOrigin(
                # The ALB's certificate is for domain.name, the Host header CloudFront forwards (AllViewer).
                origin_id=ORIGIN_ID, domain_name=load_balancer.dns_name,
                vpc_origin_config=CloudfrontDistributionOriginVpcOriginConfig(
                    vpc_origin_id=origin.id, origin_read_timeout=cdn.origin_read_timeout_seconds,
                    origin_keepalive_timeout=ORIGIN_KEEPALIVE_SECONDS,
                ),
            )],
            default_cache_behavior=CloudfrontDistributionDefaultCacheBehavior(
                target_origin_id=ORIGIN_ID, allowed_methods=ALL_METHODS, cached_methods=["GET", "HEAD"],
                # An API client must not have its POST turned into a GET by a redirect: plain HTTP gets 403.
                viewer_protocol_policy="https-only",
                cache_policy_id=DataAwsCloudfrontCachePolicy(self, "caching_disabled", name=CACHING_DISABLED).id,
                origin_request_policy_id=DataAwsCloudfrontOriginRequestPolicy(
                    self, "all_viewer", name=ALL_VIEWER).id,
                response_headers_policy_id=DataAwsCloudfrontResponseHeadersPolicy(
                    self, "security_headers", name=SECURITY_HEADERS).id,
                compress=False,  # streamed completions go out chunk by chunk, not buffered for compression
            ),
            restrictions=CloudfrontDistributionRestrictions(
                # Countries are blocked by the web ACL (ingress.geo_block), where its logs show them.
                geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(restriction_type="none"),
            ),
            viewer_certificate=CloudfrontDistributionViewerCertificate(
                acm_certificate_arn=validated.certificate_arn, ssl_support_method="sni-only",
                minimum_protocol_version=VIEWER_TLS,
            ),
        )
