"""The plain data of the password roll (no cdktf import, so tests evaluate exactly these documents):
the EventBridge pattern of the database secret's rotation, the state machine that rolls the ECS
service, and the two roles' policies.

Why this event: Secrets Manager publishes `Secret Label Updated` to the default event bus itself
(no CloudTrail trail involved) whenever a staging label other than AWSPENDING/AWSPREVIOUS moves to
a new version, with the secret's ARN in `resources`. A successful rotation ends by moving AWSCURRENT
to the new version, which is the version ECS reads for `valueFrom`; a failed one moves nothing.
CloudTrail's `RotationSucceeded` (detail-type `AWS Service Event via CloudTrail`) is delivered on a
best-effort basis, carries no `resources`, and is deliberately not matched: one roll per rotation.
"""

from __future__ import annotations

from typing import Any

from modules.policies import Statement, statement

# Step Functions' AWS SDK integration: the ECS UpdateService call, no Lambda.
UPDATE_SERVICE = "arn:aws:states:::aws-sdk:ecs:updateService"
ROLL_STATE = "RollService"


def roll_name(prefix: str) -> str:
    """The state machine's name and its role's (the workspace boundary names it exactly)."""
    return f"{prefix}-password-roll"


def event_pattern(secret_arn: str) -> dict[str, Any]:
    """AWSCURRENT moved to a new version of this one secret (its full ARN, suffix included)."""
    return {
        "source": ["aws.secretsmanager"],
        "detail-type": ["Secret Label Updated"],
        "resources": [secret_arn],
        "detail": {"labelUpdated": ["AWSCURRENT"]},
    }


def state_machine_definition(*, cluster: str, service: str) -> dict[str, Any]:
    """Force a new deployment of the service: new tasks read the password again; the deployment's
    circuit breaker and minimum healthy percent apply as to any deploy."""
    return {
        "Comment": "Roll the LiteLLM service after its database password rotated",
        "StartAt": ROLL_STATE,
        "States": {
            ROLL_STATE: {
                "Type": "Task",
                "Resource": UPDATE_SERVICE,
                "Parameters": {"Cluster": cluster, "Service": service, "ForceNewDeployment": True},
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 30, "MaxAttempts": 5,
                           "BackoffRate": 2.0}],
                "End": True,
            },
        },
    }


def events_role_statements(state_machine_arn: str) -> list[Statement]:
    """EventBridge may start this one state machine."""
    return [statement("Allow", ["states:StartExecution"], sid="StartTheRoll", resources=state_machine_arn)]


def state_machine_role_statements(service_arn: str) -> list[Statement]:
    """The state machine may force a deployment of this one service; it passes no role."""
    return [statement("Allow", ["ecs:UpdateService"], sid="RollTheService", resources=service_arn)]
