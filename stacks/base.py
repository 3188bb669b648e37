"""What every stack of the project shares: the AWS provider, with default tags and an account guard."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from environments.model import Project

# Write-only arguments and ephemeral resources, which keep every secret out of state and plans.
REQUIRED_TERRAFORM = ">= 1.11"


class ProjectStack(TerraformStack):
    """Base of every stack. Resource addresses are made readable after synthesis
    (stacks/addresses.py), which is much cheaper than overriding allocateLogicalId."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        self.add_override("terraform.required_version", REQUIRED_TERRAFORM)

    def aws_provider(self, *, project: Project, region: str, tags: dict[str, str], alias: str | None = None
                     ) -> AwsProvider:
        return AwsProvider(
            self, f"aws_{alias}" if alias else "aws",
            region=region, alias=alias,
            # A deploy with credentials of any other account fails before it changes anything.
            allowed_account_ids=[project.aws_account_id],
            default_tags=[AwsProviderDefaultTags(tags={
                "Project": project.name,
                "ManagedBy": "cdktf",
                "Repository": project.github.repository,
                **project.tags,
                **tags,
            })],
        )
