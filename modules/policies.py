"""IAM and resource policy documents as JSON strings.

cdktf string tokens (ARNs of resources not yet created) may appear inside the values: they are
plain strings to json.dumps and resolve to ${...} interpolations when the stack is synthesized.
"""

from __future__ import annotations

import json
from typing import Any

from modules.aws import AwsContext

Statement = dict[str, Any]


def document_of(*statements: Statement) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def document(*statements: Statement) -> str:
    return json.dumps(document_of(*statements), sort_keys=False)


def statement(effect: str, actions: list[str] | str | None, *, sid: str, resources: list[str] | str | None = "*",
              not_resources: list[str] | None = None, not_actions: list[str] | None = None,
              condition: dict | None = None) -> Statement:
    """One statement; `not_resources` instead of `resources`, `not_actions` instead of `actions`, for
    "everything but these"."""
    found: Statement = {"Sid": sid, "Effect": effect}
    if not_actions is not None:
        found["NotAction"] = not_actions
    else:
        found["Action"] = actions
    if not_resources is not None:
        found["NotResource"] = not_resources
    elif resources is not None:
        found["Resource"] = resources
    if condition:
        found["Condition"] = condition
    return found


def allow(actions: list[str], resources: list[str] | str, *, sid: str, condition: dict | None = None) -> Statement:
    return statement("Allow", actions, sid=sid, resources=resources, condition=condition)


def account_administers_key(aws: AwsContext) -> Statement:
    """The key policy statement of every key of the project: the account administers the key and
    delegates its use to IAM policies (which name exactly who may use it)."""
    return {"Sid": "AccountAdministersKey", "Effect": "Allow",
            "Principal": {"AWS": f"arn:{aws.partition}:iam::{aws.account_id}:root"},
            "Action": "kms:*", "Resource": "*"}


def service_trust(service_principal: str, *, account_id: str, source_arn: str | None = None) -> str:
    """Trust policy for an AWS service, limited to this account (confused-deputy protection)."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return document({
        "Sid": "ServiceAssumesRole",
        "Effect": "Allow",
        "Principal": {"Service": service_principal},
        "Action": "sts:AssumeRole",
        "Condition": condition,
    })


def deny_insecure_transport(bucket_arn: str) -> Statement:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
