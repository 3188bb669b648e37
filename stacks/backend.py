"""The S3 backend every stack but bootstrap uses: one bucket, one key per stack, locked."""

from __future__ import annotations

from cdktf import S3Backend, TerraformStack

from environments.model import Project
from modules.aws import AwsContext
from modules.ci_access.policies import StackGroup


def s3_backend(stack: TerraformStack, *, project: Project, key: str, group: str) -> S3Backend:
    """`group`: the stack group whose state key encrypts this object (shared, or the workspace)."""
    aws = AwsContext(account_id=project.aws_account_id, region=project.region)
    return S3Backend(
        stack,
        bucket=project.state.bucket,
        key=key,
        region=project.region,
        encrypt=True,
        # Without it, `encrypt` would ask for SSE-S3 and override the bucket's KMS default.
        kms_key_id=aws.arn("kms", StackGroup(project=project, name=group).state_key_alias),
        dynamodb_table=project.state.lock_table,
    )
