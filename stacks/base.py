"""What every stack of the project shares: readable resource addresses, the AWS provider."""

from __future__ import annotations

import re

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from environments.model import Project

_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


class ProjectStack(TerraformStack):
    """A stack whose resource addresses are the construct path (aws_lb.load_balancer_alb), not
    path plus hash: plans, checkov findings and allowlists stay readable and stable."""

    def _allocate_logical_id(self, element) -> str:  # jsii name: allocateLogicalId
        parts = element.node.path.split("/")[1:]
        return _NOT_IDENTIFIER.sub("_", "_".join(parts))

    def aws_provider(self, *, project: Project, region: str, tags: dict[str, str]) -> AwsProvider:
        return AwsProvider(
            self, "aws",
            region=region,
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
