"""The two roles of the task, each limited to what it uses.

Execution role (the ECS agent): pull from the project's ECR repositories, write the two log
groups, read the workspace's SSM path (decrypting with the workspace's secrets key) and the
database's RDS-managed secret (workspace key) - nothing else.
Task role (the containers): read the LiteLLM config object, mount the model cache, invoke the
listed Bedrock models. No ECS Exec, no wildcard services.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules import policies
from modules.aws import AwsContext
from modules.iam.boundary import RolePlacement


class TaskRoles(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        aws: AwsContext,
        ssm_path: str,
        kms_key_arn: str,
        secrets_key_alias: str,
        database_secret_arn: str,
        log_group_arns: list[str],
        ecr_repository_arns: list[str],
        role_placement: RolePlacement,
    ) -> None:
        super().__init__(scope, id_)
        trust = policies.service_trust(
            "ecs-tasks.amazonaws.com", account_id=aws.account_id, source_arn=aws.arn("ecs", "*")
        )
        self.execution_role = IamRole(
            self, "execution_role", name=f"{prefix}-task-execution", assume_role_policy=trust,
            **role_placement.arguments(),
            description="ECS agent: pull images, write logs, read this workspace's secrets",
        )
        self.execution_policy = IamRolePolicy(
            self, "execution_role_policy", role=self.execution_role.id, name="task-execution",
            policy=policies.document(
                # GetAuthorizationToken has no resource-level permissions.
                policies.allow(["ecr:GetAuthorizationToken"], "*", sid="EcrLogin"),
                policies.allow(
                    ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    ecr_repository_arns, sid="PullProjectImages",
                ),
                policies.allow(
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [f"{arn}:log-stream:*" for arn in log_group_arns], sid="WriteContainerLogs",
                ),
                policies.allow(
                    ["ssm:GetParameters"], aws.arn("ssm", f"parameter{ssm_path}/*"), sid="ReadWorkspaceSecrets",
                ),
                policies.allow(["secretsmanager:GetSecretValue"], database_secret_arn, sid="ReadDatabasePassword"),
                policies.allow(["kms:Decrypt"], kms_key_arn, sid="DecryptDatabasePassword"),
                # The secrets key belongs to the workspace's secrets stack: named by its alias, so
                # this stack needs neither its ARN nor a lookup (which a first plan could not do).
                policies.allow(
                    ["kms:Decrypt"], aws.arn("kms", "key/*"), sid="DecryptWorkspaceSecrets",
                    condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": [secrets_key_alias]}},
                ),
            ),
        )
        self.task_role = IamRole(
            self, "task_role", name=f"{prefix}-task", assume_role_policy=trust, **role_placement.arguments(),
            description="LiteLLM and Ollama containers",
        )

    def add_task_policy(self, name: str, *statements: policies.Statement) -> None:
        """Attach an inline policy to the task role; each feature brings its own, named after it."""
        IamRolePolicy(
            self, f"task_role_policy_{name.replace('-', '_')}", role=self.task_role.id, name=name,
            policy=policies.document(*statements),
        )
