"""The workspace VPC.

Three tiers per availability zone: public (ALB, NAT), private (tasks, EFS; egress through NAT),
database (RDS; a route table with no route out of the VPC). The default security group is
emptied so nothing can use it by accident.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from environments.model import Network as NetworkSettings
from modules import policies
from modules.aws import AwsContext
from modules.iam.boundary import RolePlacement
from modules.observability.log_group import encrypted_log_group

# Interface endpoints that keep image pulls, logs and secret reads off the NAT gateway: the database
# password comes from Secrets Manager (RDS-managed), the other secrets from SSM, so task start-up
# needs neither the NAT nor the internet where the endpoints are on.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm")


class Network(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        settings: NetworkSettings,
        aws: AwsContext,
        flow_log_group_name: str,
        log_retention_days: int,
        kms_key_arn: str,
        role_placement: RolePlacement,
    ) -> None:
        super().__init__(scope, id_)
        self._role_placement = role_placement
        zones = settings.availability_zones
        self.vpc = Vpc(
            self, "vpc", cidr_block=settings.vpc_cidr, enable_dns_support=True, enable_dns_hostnames=True,
            tags={"Name": prefix},
        )
        # Every token read is a round trip to jsii's Node process: read each once.
        self.vpc_id = vpc_id = self.vpc.id
        # No rules: resources must use the project's own security groups.
        DefaultSecurityGroup(self, "default_security_group", vpc_id=vpc_id, tags={"Name": f"{prefix}-default"})

        def subnets(tier: str, cidrs: list[str]) -> list[Subnet]:
            return [
                Subnet(
                    self, f"{tier}_subnet_{index}", vpc_id=vpc_id, cidr_block=cidr,
                    availability_zone=zone, map_public_ip_on_launch=False,
                    tags={"Name": f"{prefix}-{tier}-{zone}", "Tier": tier},
                )
                for index, (zone, cidr) in enumerate(zip(zones, cidrs, strict=True))
            ]

        self.public_subnet_ids = [subnet.id for subnet in subnets("public", settings.public_subnets)]
        self.private_subnet_ids = [subnet.id for subnet in subnets("private", settings.private_subnets)]
        self.database_subnet_ids = [subnet.id for subnet in subnets("database", settings.database_subnets)]

        gateway = InternetGateway(self, "internet_gateway", vpc_id=vpc_id, tags={"Name": prefix})
        public_routes = RouteTable(self, "public_route_table", vpc_id=vpc_id, tags={"Name": f"{prefix}-public"}).id
        Route(self, "public_default_route", route_table_id=public_routes,
              destination_cidr_block="0.0.0.0/0", gateway_id=gateway.id)
        for index, subnet_id in enumerate(self.public_subnet_ids):
            RouteTableAssociation(self, f"public_route_table_association_{index}",
                                  route_table_id=public_routes, subnet_id=subnet_id)

        nat_count = len(zones) if settings.nat_gateways == "per_az" else 1
        nat_gateways = []
        for index in range(nat_count):
            address = Eip(self, f"nat_eip_{index}", domain="vpc", tags={"Name": f"{prefix}-nat-{zones[index]}"})
            nat_gateways.append(NatGateway(
                self, f"nat_gateway_{index}", allocation_id=address.id, subnet_id=self.public_subnet_ids[index],
                tags={"Name": f"{prefix}-{zones[index]}"}, depends_on=[gateway],
            ).id)
        self.private_route_table_ids = []
        for index, subnet_id in enumerate(self.private_subnet_ids):
            table = RouteTable(self, f"private_route_table_{index}", vpc_id=vpc_id,
                               tags={"Name": f"{prefix}-private-{zones[index]}"}).id
            Route(self, f"private_default_route_{index}", route_table_id=table,
                  destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat_gateways[index % nat_count])
            RouteTableAssociation(self, f"private_route_table_association_{index}",
                                  route_table_id=table, subnet_id=subnet_id)
            self.private_route_table_ids.append(table)

        # Only the VPC-local route: the database tier cannot reach or be reached from outside.
        database_routes = RouteTable(self, "database_route_table", vpc_id=vpc_id,
                                     tags={"Name": f"{prefix}-database"}).id
        for index, subnet_id in enumerate(self.database_subnet_ids):
            RouteTableAssociation(self, f"database_route_table_association_{index}",
                                  route_table_id=database_routes, subnet_id=subnet_id)

        if settings.vpc_endpoints:
            self._endpoints(prefix=prefix, aws=aws, vpc_cidr=settings.vpc_cidr)
        if settings.flow_logs:
            self._flow_logs(prefix=prefix, aws=aws, log_group_name=flow_log_group_name,
                            retention_days=log_retention_days, kms_key_arn=kms_key_arn)

    def _endpoints(self, *, prefix: str, aws: AwsContext, vpc_cidr: str) -> None:
        vpc_id = self.vpc_id
        VpcEndpoint(
            self, "s3_gateway_endpoint", vpc_id=vpc_id, vpc_endpoint_type="Gateway",
            service_name=f"com.amazonaws.{aws.region}.s3",
            route_table_ids=self.private_route_table_ids,
            tags={"Name": f"{prefix}-s3"},
        )
        endpoints_sg = SecurityGroup(
            self, "endpoints_security_group", name=f"{prefix}-endpoints", vpc_id=vpc_id,
            description="Interface VPC endpoints: HTTPS from inside the VPC",
            tags={"Name": f"{prefix}-endpoints"},
        ).id
        VpcSecurityGroupIngressRule(
            self, "endpoints_https_from_vpc", security_group_id=endpoints_sg, ip_protocol="tcp",
            from_port=443, to_port=443, cidr_ipv4=vpc_cidr, description="HTTPS from the VPC",
        )
        for service in INTERFACE_ENDPOINTS:
            VpcEndpoint(
                self, f"{service.replace('.', '_')}_endpoint", vpc_id=vpc_id,
                vpc_endpoint_type="Interface", service_name=f"com.amazonaws.{aws.region}.{service}",
                subnet_ids=self.private_subnet_ids,
                security_group_ids=[endpoints_sg], private_dns_enabled=True,
                tags={"Name": f"{prefix}-{service}"},
            )

    def _flow_logs(self, *, prefix: str, aws: AwsContext, log_group_name: str, retention_days: int,
                   kms_key_arn: str) -> None:
        group = encrypted_log_group(self, "flow_log_group", name=log_group_name,
                                    retention_days=retention_days, kms_key_arn=kms_key_arn)
        group_arn = group.arn
        role = IamRole(
            self, "flow_log_role", name=f"{prefix}-flow-logs", **self._role_placement.arguments(),
            assume_role_policy=policies.service_trust(
                "vpc-flow-logs.amazonaws.com", account_id=aws.account_id,
                source_arn=aws.arn("ec2", "vpc-flow-log/*"),
            ),
        )
        IamRolePolicy(
            self, "flow_log_role_policy", role=role.id, name="write-flow-logs",
            policy=policies.document(
                policies.allow(
                    ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    [group_arn, f"{group_arn}:*"], sid="WriteFlowLogs",
                ),
                # The delivery service checks the group exists; this action has no narrower resource.
                policies.allow(["logs:DescribeLogGroups"], aws.arn("logs", "log-group:*"), sid="FindLogGroup"),
            ),
        )
        FlowLog(
            self, "flow_log", vpc_id=self.vpc_id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
            log_destination=group_arn, iam_role_arn=role.arn, max_aggregation_interval=60,
            tags={"Name": prefix},
        )
