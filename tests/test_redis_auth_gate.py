"""The Redis AUTH gate of the task (modules/ecs_service/containers.py): its script, run by the image's
LiteLLM release (its own virtualenv, the redis-py it brings) against a real redis-server, lets litellm
start only when Redis refuses a client without the token and accepts the token. Its place in the task:
litellm waits for its SUCCESS in every workspace with a managed Redis, and only there."""

from __future__ import annotations

import secrets
import subprocess

import pytest

from modules.ecs_service.containers import REDIS_AUTH_GATE, REDIS_AUTH_GATE_SCRIPT
from tests import tools
from tests.conftest import SHIPPED_WORKSPACES, containers_of
from tests.redis_server import free_port, redis_server

TOKEN = secrets.token_hex(24)


def gate(port: int, token: str = TOKEN) -> subprocess.CompletedProcess:
    python = tools.tool_python("litellm")
    return subprocess.run([str(python), "-c", REDIS_AUTH_GATE_SCRIPT], capture_output=True, text=True, timeout=60,
                          env={"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(port), "REDIS_SSL": "False",
                               "REDIS_PASSWORD": token})


@pytest.mark.tools
def test_litellm_waits_while_redis_answers_without_auth(tmp_path):
    with redis_server(tmp_path) as port:
        result = gate(port)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Redis answers without AUTH: litellm starts once main.py redis-auth has turned it on" in result.stderr
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.tools
def test_litellm_starts_once_auth_is_on_with_the_token(tmp_path):
    with redis_server(tmp_path, password=TOKEN) as port:
        passed, wrong = gate(port), gate(port, token="not-" + TOKEN)
    assert passed.returncode == 0 and "Redis requires AUTH and accepts the workspace's token" in passed.stdout, \
        passed.stderr
    assert wrong.returncode == 1 and "AuthenticationError" in wrong.stderr and TOKEN not in wrong.stderr


@pytest.mark.tools
def test_no_redis_is_no_start():
    assert gate(free_port()).returncode == 1


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_litellm_waits_for_the_gate_where_there_is_a_managed_redis(name, stacks):
    containers = containers_of(stacks[name])
    managed = "aws_elasticache_replication_group" in stacks[name]["resource"]
    waits = {dependency["containerName"]: dependency["condition"] for dependency in containers["litellm"]["dependsOn"]}
    if not managed:
        assert REDIS_AUTH_GATE not in containers and REDIS_AUTH_GATE not in waits
        return
    assert waits[REDIS_AUTH_GATE] == "SUCCESS" and list(containers)[-1] == REDIS_AUTH_GATE
    gate_container = containers[REDIS_AUTH_GATE]
    litellm = containers["litellm"]
    assert gate_container == {
        "name": REDIS_AUTH_GATE, "image": litellm["image"], "essential": False,
        "entryPoint": ["python3", "-c"], "command": [REDIS_AUTH_GATE_SCRIPT],
        "environment": [item for item in litellm["environment"] if item["name"] in ("REDIS_HOST", "REDIS_PORT",
                                                                                     "REDIS_SSL")],
        "secrets": [item for item in litellm["secrets"] if item["name"] == "REDIS_PASSWORD"],
        "logConfiguration": {**litellm["logConfiguration"], "options": {
            **litellm["logConfiguration"]["options"], "awslogs-stream-prefix": REDIS_AUTH_GATE}},
        "user": "65534:65534", "linuxParameters": {"capabilities": {"drop": ["ALL"]}}, "readonlyRootFilesystem": True,
        "mountPoints": [],
    }
    assert [item["name"] for item in gate_container["environment"]] == ["REDIS_HOST", "REDIS_PORT", "REDIS_SSL"]
