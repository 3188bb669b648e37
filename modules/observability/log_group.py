"""Every log group of the project: a fixed retention and the workspace KMS key."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct


def encrypted_log_group(
    scope: Construct, id_: str, *, name: str, retention_days: int, kms_key_arn: str
) -> CloudwatchLogGroup:
    return CloudwatchLogGroup(
        scope, id_, name=name, retention_in_days=retention_days, kms_key_id=kms_key_arn
    )
