"""One stack per workspace: the whole LiteLLM deployment of dev, dev-ci, staging or prod.

Every workspace is an instance of the same class; what differs comes from its environment file.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from environments import litellm_config, rules
from environments.secret_inputs import DATABASE_PASSWORD, generated_secrets, provided_secrets
from environments.workspace import Workspace
from modules.aws import AwsContext
from modules.cdn.construct import EDGE_REGION, EdgeDistribution
from modules.ci_access.policies import Arns, StackGroup
from modules.database.construct import EXPORTED_LOGS, Database
from modules.dns.construct import Certificate, alias_records
from modules.ecs_service.construct import LiteLLMService
from modules.iam.bedrock import invoke_statements
from modules.iam.boundary import RolePlacement
from modules.iam.construct import TaskRoles
from modules.load_balancer.construct import LoadBalancer
from modules.network.construct import Network
from modules.observability.construct import MonitoredResources, Observability
from modules.redis.construct import LOG_TYPES as REDIS_LOG_TYPES
from modules.redis.construct import Redis
from modules.rotation.construct import PasswordRotation
from modules.secrets.construct import WorkspaceKey
from modules.security_groups.construct import SecurityGroups
from stacks.backend import s3_backend
from stacks.base import ProjectStack


class WorkspaceStack(ProjectStack):
    def __init__(self, scope: Construct, id_: str, *, workspace: Workspace) -> None:
        super().__init__(scope, id_)
        project = workspace.project
        settings = workspace.settings
        prefix = workspace.prefix
        aws = AwsContext(account_id=project.aws_account_id, region=settings.region)
        retention = settings.observability.log_retention_days
        pull = settings.task.pulls_model

        s3_backend(self, project=project, key=workspace.state_key, group=workspace.name)
        group = StackGroup(project=project, name=workspace.name)
        placement = RolePlacement(path=group.role_path, permissions_boundary=Arns(project).boundary(group))
        tags = {"Workspace": workspace.name, "Tier": settings.tier, **settings.tags}
        self.aws_provider(project=project, region=settings.region, tags=tags)
        cdn = settings.ingress.cdn

        key = WorkspaceKey(
            self, "workspace_key", alias=prefix, aws=aws,
            log_group_patterns=[
                workspace.log_group_name("*"),
                workspace.waf_log_group_name,
                workspace.rds_log_group_name("*"),
            ],
            deletion_window_days=30 if workspace.is_production else 7,
        )
        network = Network(
            self, "network", prefix=prefix, settings=settings.network, aws=aws,
            flow_log_group_name=workspace.log_group_name("vpc-flow-logs"),
            log_retention_days=retention, kms_key_arn=key.arn, role_placement=placement,
        )
        groups = SecurityGroups(
            self, "security_groups", prefix=prefix, vpc_id=network.vpc_id,
            allowed_cidrs=settings.ingress.allowed_cidrs, https=settings.ingress.https, behind_cdn=cdn is not None,
            litellm_port=settings.task.litellm.port, database_port=settings.database.port, model_cache=pull,
            cache_port=settings.litellm.cache.port if settings.litellm.cache else None,
            vpc_cidr=settings.network.vpc_cidr,
        )
        database = Database(
            self, "database", identifier=workspace.database_identifier, settings=settings.database, aws=aws,
            subnet_ids=network.database_subnet_ids, security_group_id=groups.database, kms_key_arn=key.arn,
            log_group_names={log_type: workspace.rds_log_group_name(log_type) for log_type in EXPORTED_LOGS},
            log_retention_days=retention, role_placement=placement,
        )
        redis = None
        if settings.redis is not None:
            redis = Redis(
                self, "redis", prefix=prefix, group_id=workspace.redis_group_id, settings=settings.redis, aws=aws,
                vpc_id=network.vpc_id, subnet_ids=network.private_subnet_ids, client_security_group_id=groups.ecs,
                kms_key_arn=key.arn,
                log_group_names={log_type: workspace.log_group_name(f"redis/{log_type}")
                                 for log_type in REDIS_LOG_TYPES},
                log_retention_days=retention, production=workspace.is_production,
            )
        environment = database.connection_environment() | litellm_config.admin_environment(workspace)
        if redis is not None:
            environment |= redis.connection_environment()
        elif settings.litellm.cache is not None:
            cache = settings.litellm.cache
            environment |= litellm_config.redis_environment(cache.host, cache.port, cache.tls)
        # Written by the workspace's secrets stack (stacks/secrets.py); referenced here by name only.
        parameters = {secret.env: f"{workspace.ssm_path}/{secret.parameter}"
                      for secret in (*generated_secrets(settings), *provided_secrets(settings))}
        container_secrets = {env: aws.arn("ssm", f"parameter{name}") for env, name in parameters.items()}
        container_secrets[DATABASE_PASSWORD] = database.password_reference()

        domain = settings.ingress.domain
        certificate = Certificate(self, "dns", domain=domain) if domain else None
        load_balancer = LoadBalancer(
            self, "load_balancer", prefix=prefix, settings=settings.ingress, aws=aws, vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids if cdn else network.public_subnet_ids,
            security_group_id=groups.alb, target_port=settings.task.litellm.port,
            certificate_arn=certificate.arn if certificate else settings.ingress.certificate_arn,
            drain_seconds=settings.litellm.request_budget_seconds,
            waf_log_group_name=workspace.waf_log_group_name, log_retention_days=retention, kms_key_arn=key.arn,
        )
        edge = None
        if cdn is not None and domain is not None and certificate is not None:  # the model requires the domain
            edge = EdgeDistribution(
                self, "cdn", prefix=prefix, settings=settings.ingress, cdn=cdn, domain=domain,
                account_id=project.aws_account_id,
                provider=self.aws_provider(project=project, region=EDGE_REGION, tags=tags, alias="edge"),
                load_balancer=load_balancer.alb, validation_record_fqdn=certificate.validation_record_fqdn,
                waf_log_group_name=workspace.waf_log_group_name, log_retention_days=retention,
                key_deletion_window_days=30 if workspace.is_production else 7,
            )
        roles = TaskRoles(
            self, "iam", prefix=prefix, aws=aws, ssm_path=workspace.ssm_path, kms_key_arn=key.arn,
            secrets_key_alias=workspace.secrets_key_alias, database_secret_arn=database.password_secret_arn,
            log_group_arns=[
                aws.arn("logs", f"log-group:{workspace.log_group_name(name)}") for name in settings.task.containers()
            ],
            ecr_repository_arns=[aws.arn("ecr", f"repository/{project.name}/*", region=project.region)],
            role_placement=placement,
        )
        if settings.providers.bedrock is not None:
            roles.add_task_policy("bedrock", *invoke_statements(settings.providers.bedrock.models, aws))

        service = LiteLLMService(
            self, "ecs", workspace=workspace, private_subnet_ids=network.private_subnet_ids,
            security_group_id=groups.ecs, model_cache_security_group_id=groups.efs,
            load_balancer=load_balancer.alb, target_group=load_balancer.target_group,
            listener=load_balancer.listener, roles=roles,
            secrets=container_secrets, environment=environment,
            config_content=litellm_config.render(workspace), kms_key_arn=key.arn,
        )
        rotation_days = settings.database.password_rotation_days
        PasswordRotation(
            self, "password_rotation", prefix=prefix, aws=aws, secret_arn=database.password_secret_arn,
            rotation_days=None if rotation_days == "off" else rotation_days,
            cluster_name=service.cluster_name, service_name=service.service_name, service_arn=service.service.id,
            role_placement=placement,
        )
        Observability(
            self, "observability", prefix=prefix, region=settings.region, account_id=project.aws_account_id,
            kms_key_arn=key.arn,
            alarm_email=settings.observability.alarm_email,
            resources=MonitoredResources(
                cluster_name=service.cluster_name, service_name=service.service_name,
                load_balancer_suffix=load_balancer.alb.arn_suffix,
                target_group_suffix=load_balancer.target_group.arn_suffix,
                database_identifier=workspace.database_identifier,
                web_acl_name=load_balancer.web_acl.name if load_balancer.web_acl else None,
                service_arn=service.service.id,
                min_tasks=settings.task.min_count,
                request_timeout_seconds=settings.litellm.request_timeout_seconds,
                database_connections=rules.usable_database_connections(settings.database),
                redis_nodes=workspace.redis_node_ids,
            ),
        )

        scheme = "https" if load_balancer.https else "http"
        dns_name = load_balancer.alb.dns_name
        if domain and edge:
            alias_records(self, "dns_alias_record", domain=domain, target_dns_name=edge.distribution.domain_name,
                          target_zone_id=edge.distribution.hosted_zone_id, cdn=True)
        elif domain:
            alias_records(self, "dns_alias_record", domain=domain, target_dns_name=dns_name,
                          target_zone_id=load_balancer.alb.zone_id, cdn=False)
        TerraformOutput(self, "url", value=f"{scheme}://{domain.name if domain else dns_name}",
                        description="LiteLLM endpoint")
        if edge:
            TerraformOutput(self, "cdn_domain_name", value=edge.distribution.domain_name,
                            description="The CloudFront distribution's own name (the url's alias target)")
        TerraformOutput(self, "alb_dns_name", value=dns_name)
        TerraformOutput(self, "cluster_name", value=service.cluster_name)
        TerraformOutput(self, "service_name", value=service.service_name)
        TerraformOutput(
            self, "ssm_parameters", description="SSM parameter name of each container secret",
            value=parameters,
        )
