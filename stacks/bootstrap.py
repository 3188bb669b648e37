"""The bootstrap stack: the trust root, applied by an administrator only.

- the S3 bucket and DynamoDB table every other stack keeps its state in, and one KMS key per
  stack group (shared, each workspace) for its state objects;
- GitHub's OIDC provider, the plan and deploy role of each stack group, and each workspace's
  permissions boundary. No role GitHub can assume can change any of them.

It cannot keep its own state in the bucket before the bucket exists, so its state is local
(terraform.bootstrap.tfstate at the project root; it holds no secrets). It serves every
workspace: adding one means applying it again (README: Adding an environment).
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput
from constructs import Construct

from environments.loader import Environments
from modules.aws import AwsContext
from modules.ci_access.construct import GitHubAccess
from modules.ci_access.policies import TRUST_ROOT_TAG, stack_groups
from modules.state_backend.construct import StateBackend
from stacks.base import ProjectStack

STACK_ID = "bootstrap"
# Relative to the stack's directory (cdktf.out/stacks/bootstrap): the project root.
LOCAL_STATE_PATH = "../../../terraform.bootstrap.tfstate"


class BootstrapStack(ProjectStack):
    def __init__(self, scope: Construct, id_: str, *, environments: Environments) -> None:
        super().__init__(scope, id_)
        project = environments.project
        LocalBackend(self, path=LOCAL_STATE_PATH)
        # Every resource here is the trust root: the CI roles may change nothing tagged so.
        self.aws_provider(project=project, region=project.region, tags={"Stack": STACK_ID, TRUST_ROOT_TAG: "true"})
        groups = stack_groups(environments)
        backend = StateBackend(self, "state_backend", project=project,
                               aws=AwsContext(account_id=project.aws_account_id, region=project.region),
                               groups=groups)
        access = GitHubAccess(self, "github", groups=groups)
        TerraformOutput(self, "state_bucket", value=backend.bucket.bucket.bucket)
        TerraformOutput(self, "lock_table", value=backend.lock_table.name)
        TerraformOutput(self, "state_key_arn", value=backend.key.arn)
        TerraformOutput(self, "github_plan_role_arns",
                        description="AWS_ROLE_ARN of each plan-<group> GitHub environment",
                        value={name: role.arn for name, role in access.plan_roles.items()})
        TerraformOutput(self, "github_deploy_role_arns", description="AWS_ROLE_ARN of each group's GitHub environment",
                        value={name: role.arn for name, role in access.deploy_roles.items()})
