"""Managed Redis (ElastiCache, Valkey or Redis OSS) for the state LiteLLM tasks share.

Private subnets, a security group that admits the LiteLLM tasks only, TLS required, encrypted at
rest with the workspace key, Multi-AZ with automatic failover when there is a replica, daily
snapshots, slow and engine logs in encrypted log groups.

The AUTH token is not here: the provider (5.100.0) has no write-only token argument, so any
token Terraform sets would sit in state. The secrets stack generates it into SSM (write-only),
and `main.py redis-auth` hands it to the replication group after apply.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.elasticache_replication_group import (
    ElasticacheReplicationGroup,
    ElasticacheReplicationGroupLogDeliveryConfiguration,
)
from cdktf_cdktf_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from environments.litellm_config import redis_environment
from environments.model import ManagedRedis
from modules.aws import AwsContext
from modules.observability.log_group import encrypted_log_group, log_delivery_policy

SNAPSHOT_WINDOW = "02:00-03:00"  # before the database's backup window (03:00-03:59)
MAINTENANCE_WINDOW = "sun:05:00-sun:06:00"  # after the database's (sun 04:00-05:00)
LOG_TYPES = ("slow-log", "engine-log")


class Redis(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        group_id: str,
        settings: ManagedRedis,
        aws: AwsContext,
        vpc_id: str,
        subnet_ids: list[str],
        client_security_group_id: str,
        kms_key_arn: str,
        log_group_names: dict[str, str],
        log_retention_days: int,
        production: bool,
    ) -> None:
        super().__init__(scope, id_)
        self.settings = settings
        subnet_group = ElasticacheSubnetGroup(
            self, "subnet_group", name=group_id, subnet_ids=subnet_ids,
            description=f"{group_id}: private subnets",
        )
        self.security_group_id = SecurityGroup(
            self, "security_group", name=group_id, vpc_id=vpc_id, tags={"Name": group_id},
            description="Redis: from the LiteLLM tasks only",
        ).id
        VpcSecurityGroupIngressRule(
            self, "from_tasks", security_group_id=self.security_group_id, ip_protocol="tcp",
            from_port=settings.port, to_port=settings.port, referenced_security_group_id=client_security_group_id,
            description="Redis from the LiteLLM tasks",
        )
        VpcSecurityGroupEgressRule(
            self, "tasks_to_redis", security_group_id=client_security_group_id, ip_protocol="tcp",
            from_port=settings.port, to_port=settings.port, referenced_security_group_id=self.security_group_id,
            description="Redis of the workspace",
        )
        log_groups = {
            log_type: encrypted_log_group(self, f"{log_type.replace('-', '_')}_log_group",
                                          name=log_group_names[log_type], retention_days=log_retention_days,
                                          kms_key_arn=kms_key_arn)
            for log_type in LOG_TYPES
        }
        delivery = log_delivery_policy(self, "log_delivery_policy", name=f"{group_id}-log-delivery",
                                       sid="ElastiCacheLogDelivery",
                                       log_group_arns=[group.arn for group in log_groups.values()], aws=aws)
        failover = settings.replicas > 0
        self.group = ElasticacheReplicationGroup(
            self, "replication_group",
            replication_group_id=group_id,
            description=f"{prefix}: LiteLLM rate limits, key and budget state",
            engine=settings.engine,
            engine_version=settings.engine_version,
            node_type=settings.node_type,
            port=settings.port,
            num_cache_clusters=settings.replicas + 1,
            automatic_failover_enabled=failover,
            multi_az_enabled=failover,
            subnet_group_name=subnet_group.name,
            security_group_ids=[self.security_group_id],
            at_rest_encryption_enabled="true",  # a string in this provider version
            kms_key_id=kms_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            snapshot_retention_limit=settings.snapshot_retention_days,
            snapshot_window=SNAPSHOT_WINDOW,
            maintenance_window=MAINTENANCE_WINDOW,
            auto_minor_version_upgrade="true",
            # Production changes wait for the maintenance window; elsewhere they apply now.
            apply_immediately=not production,
            final_snapshot_identifier=f"{group_id}-final" if production else None,
            log_delivery_configuration=[
                ElasticacheReplicationGroupLogDeliveryConfiguration(
                    destination=log_groups[log_type].name, destination_type="cloudwatch-logs",
                    log_format="json", log_type=log_type,
                )
                for log_type in LOG_TYPES
            ],
            depends_on=[delivery],
        )

    def connection_environment(self) -> dict[str, str]:
        """Where the tasks find Redis: the primary endpoint, which follows a failover."""
        return redis_environment(self.group.primary_endpoint_address, self.settings.port, tls=True)
