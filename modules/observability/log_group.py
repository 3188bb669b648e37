"""Every log group of the project: a fixed retention and the workspace KMS key."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from constructs import Construct

from modules import policies
from modules.aws import AwsContext


def encrypted_log_group(
    scope: Construct, id_: str, *, name: str, retention_days: int, kms_key_arn: str
) -> CloudwatchLogGroup:
    return CloudwatchLogGroup(
        scope, id_, name=name, retention_in_days=retention_days, kms_key_id=kms_key_arn
    )


def log_delivery_policy(
    scope: Construct, id_: str, *, name: str, sid: str, log_group_arns: list[str], aws: AwsContext
) -> CloudwatchLogResourcePolicy:
    """Lets AWS's log delivery service (WAF, ElastiCache) write into these groups and nothing else."""
    return CloudwatchLogResourcePolicy(
        scope, id_, policy_name=name,
        policy_document=policies.document({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{arn}:*" for arn in log_group_arns],
            "Condition": {
                "StringEquals": {"aws:SourceAccount": aws.account_id},
                "ArnLike": {"aws:SourceArn": aws.arn("logs", "*")},
            },
        }),
    )
