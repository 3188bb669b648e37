"""The shared stack: what every workspace uses but none owns - the ECR repositories and the
roles GitHub Actions assumes (OIDC). Its first deploy is done by an administrator, like bootstrap:
the deploy role that manages it is created by it."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from environments.model import Project
from modules.aws import AwsContext
from modules.ci_access.construct import GitHubAccess
from modules.registry.construct import Registry
from stacks.backend import s3_backend
from stacks.base import ProjectStack

STACK_ID = "shared"


class SharedStack(ProjectStack):
    def __init__(self, scope: Construct, id_: str, *, project: Project, workspaces: list[str]) -> None:
        super().__init__(scope, id_)
        s3_backend(self, project=project, key=f"{project.name}/{STACK_ID}/terraform.tfstate")
        self.aws_provider(project=project, region=project.region, tags={"Stack": STACK_ID})
        registry = Registry(self, "registry", project_name=project.name, settings=project.registry)
        for name, repository in registry.repositories.items():
            TerraformOutput(self, f"{name}_repository_url", value=repository.repository_url)
        access = GitHubAccess(self, "github", project=project,
                              aws=AwsContext(account_id=project.aws_account_id, region=project.region),
                              stacks=[STACK_ID, *workspaces])
        TerraformOutput(self, "github_plan_role_arn", value=access.plan_role.arn,
                        description="AWS_ROLE_ARN of every plan-<stack> GitHub environment")
        TerraformOutput(self, "github_deploy_role_arns",
                        value={stack: role.arn for stack, role in access.deploy_roles.items()},
                        description="AWS_ROLE_ARN of each stack's GitHub environment")
