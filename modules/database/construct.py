"""RDS PostgreSQL in the database subnets, encrypted with the workspace key, TLS enforced."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from environments.model import Database as DatabaseSettings
from modules import policies
from modules.aws import AwsContext
from modules.observability.log_group import encrypted_log_group

DATABASE_NAME = "litellm"
USERNAME = "litellm"
# RDS refuses windows that touch: 03:00-04:00 with sun:04:00-05:00 "overlap" at 04:00.
BACKUP_WINDOW = "03:00-03:59"
MAINTENANCE_WINDOW = "sun:04:00-sun:05:00"
EXPORTED_LOGS = ("postgresql", "upgrade")
ENHANCED_MONITORING_SECONDS = 60
PERFORMANCE_INSIGHTS_DAYS = 7  # the free tier


class Database(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        identifier: str,
        settings: DatabaseSettings,
        aws: AwsContext,
        subnet_ids: list[str],
        security_group_id: str,
        password: str,
        kms_key_arn: str,
        log_group_names: dict[str, str],
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, id_)
        subnet_group = DbSubnetGroup(
            self, "subnet_group", name=identifier, subnet_ids=subnet_ids,
            description=f"{identifier}: database subnets (no internet route)",
        )
        parameters = DbParameterGroup(
            self, "parameter_group", name_prefix=f"{identifier}-", family=f"postgres{settings.engine_version}",
            description=f"{identifier}: TLS only, slow statements logged",
            parameter=[
                DbParameterGroupParameter(name="rds.force_ssl", value="1"),
                # Statements over 1 s are logged. Statement text is not logged in general: LiteLLM
                # stores request payloads and key material in this database.
                DbParameterGroupParameter(name="log_min_duration_statement", value="1000"),
                DbParameterGroupParameter(name="log_connections", value="1"),
                DbParameterGroupParameter(name="log_disconnections", value="1"),
            ],
            # A family change needs a new group; the instance must switch before the old one goes.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # RDS creates these groups itself (never-expiring, unencrypted) unless they exist first.
        log_groups = [
            encrypted_log_group(self, f"{log_type}_log_group", name=log_group_names[log_type],
                                retention_days=log_retention_days, kms_key_arn=kms_key_arn)
            for log_type in EXPORTED_LOGS
        ]
        monitoring_role = IamRole(
            self, "monitoring_role", name=f"{identifier}-monitoring",
            assume_role_policy=policies.service_trust("monitoring.rds.amazonaws.com", account_id=aws.account_id),
            description="RDS enhanced monitoring",
        )
        monitoring_policy = IamRolePolicyAttachment(
            self, "monitoring_role_policy", role=monitoring_role.name,
            policy_arn=f"arn:{aws.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        )
        self.instance = DbInstance(
            self, "instance",
            identifier=identifier,
            engine="postgres",
            engine_version=settings.engine_version,
            auto_minor_version_upgrade=True,
            instance_class=settings.instance_class,
            allocated_storage=settings.allocated_storage_gb,
            max_allocated_storage=settings.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=kms_key_arn,
            db_name=DATABASE_NAME,
            username=USERNAME,
            password=password,
            port=settings.port,
            multi_az=settings.multi_az,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group_id],
            publicly_accessible=False,
            parameter_group_name=parameters.name,
            iam_database_authentication_enabled=True,
            backup_retention_period=settings.backup_retention_days,
            backup_window=BACKUP_WINDOW,
            maintenance_window=MAINTENANCE_WINDOW,
            copy_tags_to_snapshot=True,
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=settings.skip_final_snapshot,
            final_snapshot_identifier=None if settings.skip_final_snapshot else f"{identifier}-final",
            delete_automated_backups=settings.skip_final_snapshot,
            performance_insights_enabled=settings.performance_insights,
            performance_insights_kms_key_id=kms_key_arn if settings.performance_insights else None,
            performance_insights_retention_period=PERFORMANCE_INSIGHTS_DAYS if settings.performance_insights else None,
            monitoring_interval=ENHANCED_MONITORING_SECONDS,
            monitoring_role_arn=monitoring_role.arn,
            enabled_cloudwatch_logs_exports=list(EXPORTED_LOGS),
            depends_on=[*log_groups, monitoring_policy],
        )
        self.address = self.instance.address
        self.port = settings.port

    def url(self, password: str) -> str:
        """DATABASE_URL for LiteLLM (Prisma); TLS is required by the server anyway."""
        return (
            f"postgresql://{USERNAME}:{password}@{self.instance.address}:{self.port}/{DATABASE_NAME}"
            "?sslmode=require"
        )
