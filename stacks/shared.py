"""The shared stack: what every workspace uses but none owns - the ECR repositories. Its deploy
role may manage those and nothing else (the CI roles live in the bootstrap stack)."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from environments.model import Project
from modules.registry.construct import Registry
from stacks.backend import s3_backend
from stacks.base import ProjectStack

STACK_ID = "shared"


class SharedStack(ProjectStack):
    def __init__(self, scope: Construct, id_: str, *, project: Project) -> None:
        super().__init__(scope, id_)
        s3_backend(self, project=project, key=f"{project.name}/{STACK_ID}/terraform.tfstate", group=STACK_ID)
        self.aws_provider(project=project, region=project.region, tags={"Stack": STACK_ID})
        registry = Registry(self, "registry", project_name=project.name, settings=project.registry)
        for name, repository in registry.repositories.items():
            TerraformOutput(self, f"{name}_repository_url", value=repository.repository_url)
