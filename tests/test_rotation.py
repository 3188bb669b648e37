"""The password roll's plain data (modules/rotation/documents.py): which event starts it, what the
state machine does, and what its two roles may do.

The event pattern is checked against the sample event AWS documents, by a matcher of the pattern
semantics used (exact values; a list means any of them; nested objects match nested fields).
moto 5.2.5 cannot do it: its EventBridge TestEventPattern handler is a stub (`pass` in
moto/events/responses.py). moto's Step Functions interpreter (`execute_state_machine`) parses and
runs the definition, but its aws-sdk ecs:updateService task ends in "State Task encountered an
unhandled exception" and the execution stays RUNNING: the definition is parsed by that
interpreter's ASL parser here (the one tests/moto_server.py answers ValidateStateMachineDefinition
with) and asserted whole, the roll itself is not executed.
"""

from __future__ import annotations

import copy
import json

import pytest

from modules.rotation import documents

SECRET = "arn:aws:secretsmanager:us-west-2:012345678901:secret:mySecret-a1b2c3"

# Secrets Manager's documented example of the event it publishes itself (no CloudTrail):
# https://docs.aws.amazon.com/secretsmanager/latest/userguide/event-detail-secret-label-updated-secretsmanager.html
DOCUMENTED_SAMPLE = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "Secret Label Updated",
    "source": "aws.secretsmanager",
    "account": "012345678901",
    "time": "2024-02-06T16:43:48Z",
    "region": "us-west-2",
    "resources": [SECRET],
    "detail": {
        "name": "mySecret",
        "labelUpdated": "AWSCURRENT",
        "versionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    },
}


def cloudtrail_rotation(event_name: str) -> dict:
    """A rotation outcome as CloudTrail reports it to EventBridge (AwsServiceEvent, no `resources`)."""
    return {
        "version": "0", "detail-type": "AWS Service Event via CloudTrail", "source": "aws.secretsmanager",
        "account": "012345678901", "region": "us-west-2", "resources": [],
        "detail": {"eventSource": "secretsmanager.amazonaws.com", "eventName": event_name,
                   "eventType": "AwsServiceEvent", "additionalEventData": {"SecretId": SECRET}},
    }


def matches(pattern: dict, event: dict) -> bool:
    """EventBridge's matching for the pattern forms used here: every pattern field must be present;
    a list matches when the event's value (or any element of the event's list) is in it; an object
    matches the event's object field by field."""
    for key, expected in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not matches(expected, value):
                return False
        else:
            values = value if isinstance(value, list) else [value]
            if not any(item in expected for item in values):
                return False
    return True


def edited(path: str, value: object) -> dict:
    event = copy.deepcopy(DOCUMENTED_SAMPLE)
    *parents, last = path.split(".")
    target = event
    for part in parents:
        target = target[part]
    target[last] = value
    return event


def test_the_pattern_matches_the_documented_event():
    assert matches(documents.event_pattern(SECRET), DOCUMENTED_SAMPLE)


@pytest.mark.parametrize("case, event", [
    ("another secret's rotation", edited("resources", [SECRET.replace("mySecret-a1b2c3", "mySecret-d4e5f6")])),
    ("a look-alike secret whose ARN extends ours", edited("resources", [SECRET + "x"])),
    ("a custom label moved, not the one ECS reads", edited("detail.labelUpdated", "MYLABEL")),
    ("the same event from another service", edited("source", "aws.rds")),
    ("a failed rotation (CloudTrail)", cloudtrail_rotation("RotationFailed")),
    ("CloudTrail's RotationSucceeded: not matched, one roll per rotation", cloudtrail_rotation("RotationSucceeded")),
])
def test_the_pattern_refuses_its_near_neighbours(case, event):
    assert not matches(documents.event_pattern(SECRET), event), case


def test_the_matcher_itself_can_fail():
    assert not matches({"a": ["x"]}, {}) and not matches({"a": {"b": ["x"]}}, {"a": "x"})
    assert matches({"a": ["x", "y"]}, {"a": ["z", "y"]})


def test_the_state_machine_only_forces_a_new_deployment_of_the_service():
    assert documents.state_machine_definition(cluster="litellm-dev", service="litellm-dev") == {
        "Comment": "Roll the LiteLLM service after its database password rotated",
        "StartAt": "RollService",
        "States": {
            "RollService": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:ecs:updateService",
                "Parameters": {"Cluster": "litellm-dev", "Service": "litellm-dev", "ForceNewDeployment": True},
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 30, "MaxAttempts": 5,
                           "BackoffRate": 2.0}],
                "End": True,
            },
        },
    }


def test_each_role_does_one_thing():
    machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:litellm-dev-password-roll"
    service = "arn:aws:ecs:eu-west-1:123456789012:service/litellm-dev/litellm-dev"
    assert documents.events_role_statements(machine) == [
        {"Sid": "StartTheRoll", "Effect": "Allow", "Action": ["states:StartExecution"], "Resource": machine}]
    assert documents.state_machine_role_statements(service) == [
        {"Sid": "RollTheService", "Effect": "Allow", "Action": ["ecs:UpdateService"], "Resource": service}]


def test_the_definition_is_valid_amazon_states_language():
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    definition = documents.state_machine_definition(cluster="litellm-dev", service="litellm-dev")
    AmazonStateLanguageParser.parse(json.dumps(definition))
    definition["States"]["RollService"]["Type"] = "Tsk"
    with pytest.raises(Exception, match="mismatched input"):
        AmazonStateLanguageParser.parse(json.dumps(definition))
