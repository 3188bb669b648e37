"""The bootstrap stack: the S3 bucket and DynamoDB table every other stack keeps its state in.

It cannot keep its own state there before they exist, so its state is local
(terraform.bootstrap.tfstate at the project root; it holds no secrets).
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput
from constructs import Construct

from environments.model import Project
from modules.aws import AwsContext
from modules.state_backend.construct import StateBackend
from stacks.base import ProjectStack

STACK_ID = "bootstrap"
# Relative to the stack's directory (cdktf.out/stacks/bootstrap): the project root.
LOCAL_STATE_PATH = "../../../terraform.bootstrap.tfstate"


class BootstrapStack(ProjectStack):
    def __init__(self, scope: Construct, id_: str, *, project: Project) -> None:
        super().__init__(scope, id_)
        LocalBackend(self, path=LOCAL_STATE_PATH)
        self.aws_provider(project=project, region=project.region, tags={"Stack": STACK_ID})
        backend = StateBackend(self, "state_backend", project=project,
                               aws=AwsContext(account_id=project.aws_account_id, region=project.region))
        TerraformOutput(self, "state_bucket", value=backend.bucket.bucket.bucket)
        TerraformOutput(self, "lock_table", value=backend.lock_table.name)
        TerraformOutput(self, "state_key_arn", value=backend.key.arn)
