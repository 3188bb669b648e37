"""Security groups as a chain: each tier accepts traffic only from the tier before it.

Internet (allowed CIDRs) -> ALB 80/443 -> ECS tasks on the LiteLLM port -> RDS 5432 and EFS 2049.
The only ingress from CIDR blocks is the ALB's, from the workspace's allowed_cidrs; behind a
CDN the (internal) ALB admits CloudFront's origin-facing addresses on 443 instead. Rules are
separate resources (aws_vpc_security_group_*_rule), so groups can reference each other without
a dependency cycle and every rule carries its own description.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_ec2_managed_prefix_list import DataAwsEc2ManagedPrefixList
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

HTTPS = 443
HTTP = 80
NFS = 2049
# The addresses CloudFront reaches origins from, VPC origins included (AWS managed, per region).
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"


class SecurityGroups(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        vpc_id: str,
        allowed_cidrs: list[str],
        https: bool,
        behind_cdn: bool,
        litellm_port: int,
        database_port: int,
        model_cache: bool,
        cache_port: int | None,
        vpc_cidr: str,
    ) -> None:
        super().__init__(scope, id_)

        def group(name: str, description: str) -> str:
            return SecurityGroup(
                self, f"{name}_security_group", name=f"{prefix}-{name}", vpc_id=vpc_id,
                description=description, tags={"Name": f"{prefix}-{name}"},
            ).id

        # Group ids, each read once (every token read is a round trip to jsii's Node process).
        self.alb = group("alb", "Load balancer: HTTPS from CloudFront's VPC origin" if behind_cdn
                         else "Load balancer: HTTP(S) from the allowed CIDR blocks")
        self.ecs = group("ecs", "LiteLLM tasks: the LiteLLM port from the load balancer only")
        self.database = group("database", "PostgreSQL: from the LiteLLM tasks only")
        self.efs = group("efs", "Model cache file system: NFS from the LiteLLM tasks only") if model_cache else None

        if behind_cdn:
            cloudfront = DataAwsEc2ManagedPrefixList(self, "cloudfront_origin_facing", name=CLOUDFRONT_ORIGIN_FACING)
            VpcSecurityGroupIngressRule(
                self, "alb_ingress_cloudfront", security_group_id=self.alb, ip_protocol="tcp", from_port=HTTPS,
                to_port=HTTPS, prefix_list_id=cloudfront.id,
                description="HTTPS from CloudFront's origin-facing servers",
            )
        else:
            ports = [HTTP, HTTPS] if https else [HTTP]
            for cidr_index, cidr in enumerate(allowed_cidrs):
                for port in ports:
                    VpcSecurityGroupIngressRule(
                        self, f"alb_ingress_{port}_{cidr_index}", security_group_id=self.alb,
                        ip_protocol="tcp", from_port=port, to_port=port, cidr_ipv4=cidr,
                        description=f"Port {port} from allowed block {cidr}",
                    )
        self._link(self.alb, self.ecs, litellm_port, "alb_to_ecs", "LiteLLM port")
        self._link(self.ecs, self.database, database_port, "ecs_to_database", "PostgreSQL")
        if self.efs is not None:
            self._link(self.ecs, self.efs, NFS, "ecs_to_efs", "NFS to the model cache")
        # Tasks pull images, read SSM and call model providers over HTTPS; nothing else leaves.
        VpcSecurityGroupEgressRule(
            self, "ecs_egress_https", security_group_id=self.ecs, ip_protocol="tcp",
            from_port=HTTPS, to_port=HTTPS, cidr_ipv4="0.0.0.0/0",
            description="HTTPS to AWS APIs, image registries and model providers",
        )
        if cache_port is not None:
            # The shared Redis is not managed here; it lives in the VPC, so that is all tasks may reach.
            VpcSecurityGroupEgressRule(
                self, "ecs_egress_cache", security_group_id=self.ecs, ip_protocol="tcp",
                from_port=cache_port, to_port=cache_port, cidr_ipv4=vpc_cidr, description="Redis inside the VPC",
            )

    def _link(self, source: str, target: str, port: int, id_: str, what: str) -> None:
        """Allow group `source` -> group `target` on `port`: egress on the source, ingress on the target."""
        VpcSecurityGroupEgressRule(
            self, f"{id_}_egress", security_group_id=source, ip_protocol="tcp", from_port=port,
            to_port=port, referenced_security_group_id=target, description=f"{what} to {id_.split('_to_')[1]}",
        )
        VpcSecurityGroupIngressRule(
            self, f"{id_}_ingress", security_group_id=target, ip_protocol="tcp", from_port=port,
            to_port=port, referenced_security_group_id=source, description=f"{what} from {id_.split('_to_')[0]}",
        )
