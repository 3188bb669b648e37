"""Every task definition the project generates, checked against botocore's ECS API model and
the Fargate constraints; and the checks themselves shown to catch mistakes."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import SHIPPED_WORKSPACES
from tests.ecs_api_model import api_model_errors, fargate_errors, register_request


def task_definition(stack: dict) -> dict:
    (body,) = stack["resource"]["aws_ecs_task_definition"].values()
    return body


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_task_definition_matches_the_ecs_api_model(name, stacks):
    request = register_request(task_definition(stacks[name]))
    assert api_model_errors(request) == []
    assert fargate_errors(request) == []


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: c[1].update(unknownKey=True), "Unknown parameter in containerDefinitions[1]: \"unknownKey\""),
    (lambda c: c[0].update(memory="3072"), "Invalid type for parameter containerDefinitions[0].memory"),
    (lambda c: c[1]["dependsOn"][0].update(condition="READY"), "'READY' is not one of"),
    (lambda c: c[1]["portMappings"][0].update(protocol="sctp"), "'sctp' is not one of"),
    (lambda c: c[0]["healthCheck"].pop("command"), "Missing required parameter in containerDefinitions[0].healthCheck"),
])
def test_api_model_check_catches(mutate, expected, stacks):
    request = register_request(task_definition(stacks["dev"]))
    broken = copy.deepcopy(request)
    mutate(broken["containerDefinitions"])
    assert any(expected in line for line in api_model_errors(broken)), api_model_errors(broken)


@pytest.mark.parametrize("mutate, expected", [
    (lambda r: r.update(memory="5000"), "not a Fargate size"),
    (lambda r: r["containerDefinitions"][0].update(startTimeout=180), "startTimeout 180"),
    (lambda r: r["containerDefinitions"][0]["healthCheck"].update(startPeriod=400), "startPeriod 400"),
    (lambda r: r["containerDefinitions"][1].update(privileged=True), "privileged is not supported"),
    (lambda r: r["containerDefinitions"][1]["portMappings"][0].update(hostPort=8080), "hostPort == containerPort"),
    (lambda r: r["containerDefinitions"][1]["logConfiguration"].update(logDriver="syslog"), "'syslog'"),
    (lambda r: r["containerDefinitions"][0].update(memory=9000), "memory limits exceed"),
])
def test_fargate_check_catches(mutate, expected, stacks):
    broken = copy.deepcopy(register_request(task_definition(stacks["dev"])))
    mutate(broken)
    assert any(expected in line for line in fargate_errors(broken)), fargate_errors(broken)


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_no_secret_in_container_environment(name, stacks):
    for container in json.loads(task_definition(stacks[name])["container_definitions"]):
        for variable in container.get("environment", []):
            assert "sk-" not in variable["value"] and "postgresql://" not in variable["value"], variable


def test_a_litellm_only_task_matches_the_ecs_api_model(stacks):
    """Designs 001-003: no Ollama. One container, no dependency, no model cache; the request built
    from dev's synthesized task definition with the LiteLLM-only containers still passes AWS's
    model and the Fargate rules."""
    from environments.startup import plan
    from modules.ecs_service.containers import ConfigObject, container_definitions
    from tests.test_litellm_config import workspace

    loaded = workspace("staging", **{"task.ollama": None, "redis": None, "task.max_count": 1})
    containers = container_definitions(
        workspace=loaded, startup=plan(None), log_groups={"litellm": "/litellm/staging/litellm"},
        secrets={"LITELLM_MASTER_KEY": "arn:aws:ssm:eu-west-1:123456789012:parameter/litellm/staging/x"},
        config=ConfigObject(bucket="bucket", key="litellm/config.yaml", sha256="0" * 64),
    )
    assert [container["name"] for container in containers] == ["litellm"]
    assert containers[0]["dependsOn"] == [] and containers[0]["mountPoints"] == []
    definition = dict(task_definition(stacks["staging"]), container_definitions=json.dumps(containers))
    definition.pop("volume", None)
    request = register_request(definition)
    assert api_model_errors(request) == []
    assert fargate_errors(request) == []
    with_ollama = plan(workspace("staging").settings.task.ollama)
    assert plan(None).health_check_grace_period < with_ollama.health_check_grace_period, "nothing to wait for"
