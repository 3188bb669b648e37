"""Ask an IAM policy simulator (@cloud-copilot/iam-simulate, tests/iam_simulate.mjs) what AWS
would decide: identity policies, a permissions boundary, conditions, NotResource - the parts of
IAM that moto 5.2.5 does not evaluate (it treats every condition as met and NotResource as a
match, and passes no resource but S3's)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tests import tools

SCRIPT = Path(__file__).resolve().parent / "iam_simulate.mjs"
ALLOWED = "Allowed"


@cache
def aws_managed_policy(name: str) -> dict:
    """An AWS managed policy document, from the copy moto ships (moto/iam/aws_managed_policies.py)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)[name]["Document"]


@dataclass(frozen=True)
class Request:
    principal: str
    action: str
    resource: str | dict
    """An ARN, or {"derive": {placeholder: value}}: the ARN of the action's resource type (AWS's
    service reference), its placeholders filled from the map."""
    identity: tuple[tuple[str, dict], ...]
    context: dict = field(default_factory=dict)
    boundary: dict | None = None
    resource_policy: dict | None = None
    """A key policy, bucket policy...: KMS decides nothing without one."""
    key_policy: dict | None = None
    """Used as the resource policy when the (derived) resource is a KMS key."""

    def simulation(self, account_id: str) -> dict:
        found = {
            "request": {"principal": self.principal, "action": self.action,
                        "resource": {"resource": self.resource, "accountId": account_id},
                        "contextVariables": self.context},
            "identityPolicies": [{"name": name, "policy": policy} for name, policy in self.identity],
            "serviceControlPolicies": [],
            "resourceControlPolicies": [],
        }
        if self.key_policy is not None:
            found["keyPolicy"] = self.key_policy
        if self.resource_policy is not None:
            found["resourcePolicy"] = self.resource_policy
        if self.boundary is not None:
            found["permissionBoundaryPolicies"] = [{"name": "boundary", "policy": self.boundary}]
        return found


def decide(requests: list[Request], account_id: str) -> list[str]:
    """One decision per request: Allowed, ImplicitlyDenied or ExplicitlyDenied. A request the
    simulator finds invalid (unknown action, wrong resource type, malformed policy) fails."""
    directory = tools.npm_tool("iam-simulate")
    result = subprocess.run(
        ["node", str(SCRIPT)], input=json.dumps([request.simulation(account_id) for request in requests]),
        capture_output=True, text=True, timeout=300, env={**os.environ, "IAM_SIMULATE_DIR": str(directory)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = json.loads(result.stdout)
    invalid = [(request.action, request.resource, outcome["errors"])
               for request, outcome in zip(requests, outcomes, strict=True) if outcome["result"] == "Invalid"]
    assert not invalid, json.dumps(invalid, indent=1, default=str)[:4000]
    return [outcome["result"] for outcome in outcomes]
