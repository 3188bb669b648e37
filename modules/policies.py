"""IAM and resource policy documents as JSON strings.

cdktf string tokens (ARNs of resources not yet created) may appear inside the values: they are
plain strings to json.dumps and resolve to ${...} interpolations when the stack is synthesized.
"""

from __future__ import annotations

import json
from typing import Any

Statement = dict[str, Any]


def document(*statements: Statement) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=False)


def allow(actions: list[str], resources: list[str] | str, *, sid: str, condition: dict | None = None) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


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
