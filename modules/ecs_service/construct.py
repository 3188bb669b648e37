"""ECS cluster, the LiteLLM + Ollama task definition, the service behind the ALB, autoscaling,
and (in `pull` mode) the EFS model cache."""

from __future__ import annotations

import json

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceCapacityProviderStrategy,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionEphemeralStorage,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
    EcsTaskDefinitionVolumeEfsVolumeConfiguration,
    EcsTaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfig,
)
from cdktf_cdktf_provider_aws.efs_access_point import (
    EfsAccessPoint,
    EfsAccessPointPosixUser,
    EfsAccessPointRootDirectory,
    EfsAccessPointRootDirectoryCreationInfo,
)
from cdktf_cdktf_provider_aws.efs_backup_policy import EfsBackupPolicy, EfsBackupPolicyBackupPolicy
from cdktf_cdktf_provider_aws.efs_file_system import EfsFileSystem
from cdktf_cdktf_provider_aws.efs_file_system_policy import EfsFileSystemPolicy
from cdktf_cdktf_provider_aws.efs_mount_target import EfsMountTarget
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

from environments import litellm_config
from environments import startup as startup_timing
from environments.workspace import Workspace
from modules import policies
from modules.ecs_service.containers import (
    LITELLM,
    MODEL_CACHE_VOLUME,
    OLLAMA_HOME_VOLUME,
    OLLAMA_TMP_VOLUME,
    ConfigObject,
    container_definitions,
)
from modules.iam.construct import TaskRoles
from modules.observability.log_group import encrypted_log_group
from modules.storage.construct import SecureBucket

# Target tracking (from the architecture brief): CPU 70 %, memory 80 %, ~1,000 requests/target/min.
CPU_TARGET = 70
MEMORY_TARGET = 80
REQUESTS_PER_TARGET = 1000
SCALE_OUT_COOLDOWN = 60
SCALE_IN_COOLDOWN = 300
# EFS identity for the model cache: every access through the access point acts as this user.
MODEL_CACHE_UID = 1000
CONFIG_KEY = "litellm/config.yaml"


class LiteLLMService(Construct):

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        workspace: Workspace,
        private_subnet_ids: list[str],
        security_group_id: str,
        model_cache_security_group_id: str | None,
        load_balancer: Lb,
        target_group: LbTargetGroup,
        listener: LbListener,
        roles: TaskRoles,
        secrets: dict[str, str],
        environment: dict[str, str],
        config_content: str,
        kms_key_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        settings = workspace.settings
        task = settings.task
        prefix = workspace.prefix
        plan = startup_timing.plan(task.ollama)
        self.startup = plan

        self.log_groups = {
            name: encrypted_log_group(
                self, f"{name}_log_group", name=workspace.log_group_name(name),
                retention_days=settings.observability.log_retention_days, kms_key_arn=kms_key_arn,
            )
            for name in task.containers()
        }

        self.cluster = EcsCluster(
            self, "cluster", name=prefix,
            setting=[EcsClusterSetting(
                name="containerInsights",
                value="enabled" if settings.observability.container_insights else "disabled",
            )],
        )
        # Tokens read once: every read is a round trip to jsii's Node process.
        self.cluster_name = self.cluster.name
        capacity = EcsClusterCapacityProviders(
            self, "capacity_providers", cluster_name=self.cluster_name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategy=[EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(
                capacity_provider=task.capacity_provider, weight=1, base=0,
            )],
        )

        config, config_object = self._config(
            prefix=prefix, content=config_content, kms_key_arn=kms_key_arn, roles=roles,
            force_destroy=not settings.database.deletion_protection,
        )
        volumes: list[EcsTaskDefinitionVolume] = []
        waits_for: list = [listener, capacity, roles.execution_policy, config_object]
        if task.pulls_model:
            assert model_cache_security_group_id is not None, "pull mode needs the model cache security group"
            volumes, mounts = self._model_cache(
                prefix=prefix, subnet_ids=private_subnet_ids, security_group_id=model_cache_security_group_id,
                kms_key_arn=kms_key_arn, roles=roles,
            )
            waits_for.extend(mounts)

        definitions = container_definitions(
            workspace=workspace, startup=plan,
            log_groups={name: group.name for name, group in self.log_groups.items()},
            secrets=secrets, config=config,
            # LiteLLM's S3 client (config bucket) and Bedrock calls need the region.
            litellm_environment={"AWS_REGION": settings.region, "AWS_DEFAULT_REGION": settings.region, **environment},
        )
        self.task_definition = EcsTaskDefinition(
            self, "task_definition", family=prefix, cpu=str(task.cpu), memory=str(task.memory),
            network_mode="awsvpc", requires_compatibilities=["FARGATE"],
            execution_role_arn=roles.execution_role.arn, task_role_arn=roles.task_role.arn,
            runtime_platform=EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture=task.cpu_architecture
            ),
            container_definitions=json.dumps(definitions),
            volume=volumes or None,
            ephemeral_storage=EcsTaskDefinitionEphemeralStorage(size_in_gib=plan.ephemeral_storage_gib)
            if plan.ephemeral_storage_gib else None,
        )

        self.service = EcsService(
            self, "service", name=prefix, cluster=self.cluster.arn, task_definition=self.task_definition.arn,
            desired_count=task.desired_count, platform_version="LATEST",
            capacity_provider_strategy=[EcsServiceCapacityProviderStrategy(
                capacity_provider=task.capacity_provider, weight=1, base=0,
            )],
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=private_subnet_ids, security_groups=[security_group_id], assign_public_ip=False,
            ),
            load_balancer=[EcsServiceLoadBalancer(
                target_group_arn=target_group.arn, container_name=LITELLM, container_port=task.litellm.port,
            )],
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            deployment_minimum_healthy_percent=100, deployment_maximum_percent=200,
            health_check_grace_period_seconds=plan.health_check_grace_period,
            propagate_tags="SERVICE", enable_ecs_managed_tags=True, enable_execute_command=False,
            # Autoscaling owns the running count after the first deploy.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"]),
            depends_on=waits_for,
        )
        self.service_name = self.service.name
        self._autoscaling(task_min=task.min_count, task_max=task.max_count,
                          load_balancer=load_balancer, target_group=target_group)

    def _config(self, *, prefix: str, content: str, kms_key_arn: str, roles: TaskRoles,
                force_destroy: bool) -> tuple[ConfigObject, S3Object]:
        """The rendered LiteLLM config as a KMS-encrypted, versioned S3 object LiteLLM reads at start
        (LITELLM_CONFIG_BUCKET_*): Fargate has no bind mounts, and the file is larger than an SSM
        parameter should be. Its hash in the container environment makes every change a new revision."""
        bucket = SecureBucket(
            self, "config", bucket_prefix=f"{prefix}-config-", kms_key_arn=kms_key_arn,
            force_destroy=force_destroy, noncurrent_version_days=30,
        )
        bucket_name = bucket.bucket.id
        config_object = S3Object(
            self, "config_object", bucket=bucket_name, key=CONFIG_KEY, content=content,
            content_type="application/yaml", server_side_encryption="aws:kms", kms_key_id=kms_key_arn,
        )
        roles.add_task_policy(
            "read-config",
            policies.allow(["s3:GetObject"], f"{bucket.bucket.arn}/{CONFIG_KEY}", sid="ReadLiteLLMConfig"),
            policies.allow(["kms:Decrypt"], kms_key_arn, sid="DecryptLiteLLMConfig"),
        )
        reference = ConfigObject(bucket=bucket_name, key=CONFIG_KEY, sha256=litellm_config.sha256(content))
        return reference, config_object

    def _model_cache(self, *, prefix: str, subnet_ids: list[str], security_group_id: str, kms_key_arn: str,
                     roles: TaskRoles) -> tuple[list[EcsTaskDefinitionVolume], list[EfsMountTarget]]:
        """EFS file system the first task pulls the model into; later tasks start warm."""
        file_system = EfsFileSystem(
            self, "model_cache", creation_token=f"{prefix}-model-cache", encrypted=True, kms_key_id=kms_key_arn,
            performance_mode="generalPurpose", throughput_mode="elastic",
            tags={"Name": f"{prefix}-model-cache"},
        )
        file_system_id, file_system_arn = file_system.id, file_system.arn
        # A cache the task refills by itself: backups would only cost money.
        EfsBackupPolicy(self, "model_cache_backup_policy", file_system_id=file_system_id,
                        backup_policy=EfsBackupPolicyBackupPolicy(status="DISABLED"))
        mounts = [
            EfsMountTarget(self, f"model_cache_mount_{index}", file_system_id=file_system_id,
                           subnet_id=subnet_id, security_groups=[security_group_id])
            for index, subnet_id in enumerate(subnet_ids)
        ]
        access_point = EfsAccessPoint(
            self, "model_cache_access_point", file_system_id=file_system_id,
            posix_user=EfsAccessPointPosixUser(uid=MODEL_CACHE_UID, gid=MODEL_CACHE_UID),
            root_directory=EfsAccessPointRootDirectory(
                path="/ollama-models",
                creation_info=EfsAccessPointRootDirectoryCreationInfo(
                    owner_uid=MODEL_CACHE_UID, owner_gid=MODEL_CACHE_UID, permissions="0750",
                ),
            ),
            tags={"Name": f"{prefix}-model-cache"},
        )
        EfsFileSystemPolicy(
            self, "model_cache_policy", file_system_id=file_system_id,
            policy=policies.document({
                "Sid": "DenyUnencryptedTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": file_system_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }),
        )
        roles.add_task_policy("model-cache", policies.allow(
            ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], file_system_arn,
            sid="MountModelCacheThroughAccessPoint",
            condition={"StringEquals": {"elasticfilesystem:AccessPointArn": access_point.arn}},
        ))
        volumes = [
            EcsTaskDefinitionVolume(
                name=MODEL_CACHE_VOLUME,
                efs_volume_configuration=EcsTaskDefinitionVolumeEfsVolumeConfiguration(
                    file_system_id=file_system_id, transit_encryption="ENABLED",
                    authorization_config=EcsTaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfig(
                        access_point_id=access_point.id, iam="ENABLED",
                    ),
                ),
            ),
            # Task-scoped scratch space, so ollama's root filesystem can stay read-only.
            EcsTaskDefinitionVolume(name=OLLAMA_HOME_VOLUME),
            EcsTaskDefinitionVolume(name=OLLAMA_TMP_VOLUME),
        ]
        return volumes, mounts

    def _autoscaling(self, *, task_min: int, task_max: int, load_balancer: Lb, target_group: LbTargetGroup) -> None:
        target = AppautoscalingTarget(
            self, "scaling_target", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{self.cluster_name}/{self.service_name}",
            min_capacity=task_min, max_capacity=task_max,
        )
        # Referencing the target (once) makes every policy wait for it.
        namespace, dimension, resource_id = target.service_namespace, target.scalable_dimension, target.resource_id
        metrics = (
            ("cpu", "ECSServiceAverageCPUUtilization", CPU_TARGET, None),
            ("memory", "ECSServiceAverageMemoryUtilization", MEMORY_TARGET, None),
            ("requests", "ALBRequestCountPerTarget", REQUESTS_PER_TARGET,
             f"{load_balancer.arn_suffix}/{target_group.arn_suffix}"),
        )
        for name, metric, value, label in metrics:
            AppautoscalingPolicy(
                self, f"scale_on_{name}", name=f"{self.service_name}-{name}", policy_type="TargetTrackingScaling",
                service_namespace=namespace, scalable_dimension=dimension, resource_id=resource_id,
                target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                    target_value=value, scale_in_cooldown=SCALE_IN_COOLDOWN, scale_out_cooldown=SCALE_OUT_COOLDOWN,
                    predefined_metric_specification=(
                        AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                            predefined_metric_type=metric, resource_label=label,
                        )
                    ),
                ),
            )
