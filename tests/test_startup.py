"""Start-up of the task: timing derived from delivery mode and model size stays inside ECS
limits, health checks use only what the images contain, and each delivery mode gets the
storage it needs."""

from __future__ import annotations

import json
import math

import pytest

from environments import limits, startup
from environments.model import OllamaContainer
from tests.conftest import SHIPPED_WORKSPACES

# Executables each image is known to contain: the LiteLLM images are Python images without curl
# or wget; the ollama image's entry point is the ollama binary, and it is Ubuntu-based (/bin/sh).
IMAGE_EXECUTABLES = {"litellm": {"python3"}, "ollama": {"ollama", "/bin/sh"}, "redis-auth-gate": {"python3"}}


def ollama(**changes) -> OllamaContainer:
    values = {"image": "ollama/ollama:0.12.5", "cpu": 1024, "memory": 3072, "model": "llama3.2:3b",
              "model_size_mb": 2019, "model_delivery": "pull"} | changes
    return OllamaContainer.model_validate(values)


GRID = [
    ollama(model_delivery=mode, model_size_mb=size, pull_throughput_mb_per_s=speed)
    for mode in ("baked", "pull") for size in (100, 700, 2019, 2400, 4920, 40000, 190000) for speed in (10, 40, 200)
]


@pytest.mark.parametrize(
    "settings", GRID, ids=lambda o: f"{o.model_delivery}-{o.model_size_mb}MB-{o.pull_throughput_mb_per_s}MBps"
)
def test_accepted_timing_fits_ecs_and_refused_timing_would_not(settings):
    plan = startup.plan(settings)
    refused = list(startup.violations(settings))
    fits = (
        plan.ollama_start_timeout <= limits.FARGATE_START_TIMEOUT[1]
        and plan.ollama_health.start_period <= limits.HEALTH_CHECK_START_PERIOD[1]
        and (plan.ephemeral_storage_gib or 0) <= limits.FARGATE_EPHEMERAL_STORAGE_GIB[1]
    )
    assert bool(refused) == (not fits)
    if not refused:
        # litellm waits long enough: the model is ready, with margin, before one more check.
        assert plan.ollama_start_timeout >= math.ceil(plan.ollama_ready_seconds * startup.SAFETY_FACTOR)
        assert plan.ollama_health.start_period >= plan.ollama_ready_seconds
        assert limits.FARGATE_START_TIMEOUT[0] <= plan.ollama_start_timeout
        assert plan.health_check_grace_period > plan.ollama_start_timeout + plan.litellm_health.start_period - 1
        if plan.ephemeral_storage_gib is not None:
            assert plan.ephemeral_storage_gib >= limits.FARGATE_EPHEMERAL_STORAGE_GIB[0]


def test_baked_starts_faster_than_pull():
    baked, pull = startup.plan(ollama(model_delivery="baked")), startup.plan(ollama())
    assert baked.ollama_start_timeout < pull.ollama_start_timeout


def test_pull_of_a_large_model_is_refused_and_baked_is_not():
    assert list(startup.violations(ollama(model_size_mb=4920)))
    assert not list(startup.violations(ollama(model_size_mb=4920, model_delivery="baked")))


def test_a_large_baked_model_gets_ephemeral_storage():
    assert startup.plan(ollama(model_size_mb=2019, model_delivery="baked")).ephemeral_storage_gib is None
    assert startup.plan(ollama(model_size_mb=40000, model_delivery="baked")).ephemeral_storage_gib == 48


def containers(stack: dict) -> dict[str, dict]:
    (task,) = stack["resource"]["aws_ecs_task_definition"].values()
    return {container["name"]: container for container in json.loads(task["container_definitions"])}


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_health_checks_use_only_what_the_images_contain(name, stacks):
    for label, container in containers(stacks[name]).items():
        # A one-shot container (the Redis AUTH gate) is checked by its exit code, not a health check.
        command = container["healthCheck"]["command"] if container["essential"] else ["CMD", *container["entryPoint"]]
        assert command[0] == "CMD", f"{label}: exec form, no shell needed"
        assert command[1] in IMAGE_EXECUTABLES[label], f"{label}: {command[1]} is not in the image"
        for part in (*command, *container.get("entryPoint", []), *container.get("command", [])):
            assert "curl" not in part and "wget" not in part, f"{label}: {part}"
        if "entryPoint" in container:
            assert container["entryPoint"][0] in IMAGE_EXECUTABLES[label]


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_synthesized_timing_is_the_derived_plan(name, stacks):
    from environments.loader import load_environments

    plan = startup.plan(load_environments([name]).workspaces[0].settings.task.ollama)
    found = containers(stacks[name])
    assert found["ollama"]["startTimeout"] == plan.ollama_start_timeout
    assert found["ollama"]["healthCheck"]["startPeriod"] == plan.ollama_health.start_period
    assert found["litellm"]["healthCheck"]["startPeriod"] == plan.litellm_health.start_period
    (service,) = stacks[name]["resource"]["aws_ecs_service"].values()
    assert service["health_check_grace_period_seconds"] == plan.health_check_grace_period


@pytest.mark.parametrize("name", ["dev", "dev-ci", "staging"])
def test_pull_mode_caches_the_model_on_encrypted_efs(name, stacks):
    stack = stacks[name]
    (file_system,) = stack["resource"]["aws_efs_file_system"].values()
    assert file_system["encrypted"] is True and file_system["kms_key_id"].startswith("${aws_kms_key.")
    mounts = stack["resource"]["aws_efs_mount_target"].values()
    assert {mount["subnet_id"] for mount in mounts} == {
        f"${{aws_subnet.network_private_subnet_{index}.id}}" for index in range(len(mounts))
    }
    assert all(mount["security_groups"] == ["${aws_security_group.security_groups_efs_security_group.id}"]
               for mount in mounts)
    (task,) = stack["resource"]["aws_ecs_task_definition"].values()
    (cache,) = [volume for volume in task["volume"] if "efs_volume_configuration" in volume]
    assert cache["efs_volume_configuration"]["transit_encryption"] == "ENABLED"
    assert cache["efs_volume_configuration"]["authorization_config"]["iam"] == "ENABLED"
    ollama_container = containers(stack)["ollama"]
    cache_mount = {"sourceVolume": "model-cache", "containerPath": "/models", "readOnly": False}
    assert cache_mount in ollama_container["mountPoints"]
    assert {"name": "OLLAMA_MODELS", "value": "/models"} in ollama_container["environment"]
    assert "ollama pull" in ollama_container["command"][0] and ollama_container["readonlyRootFilesystem"] is True


def test_baked_mode_has_no_model_cache(stacks):
    prod = stacks["prod"]
    assert "aws_efs_file_system" not in prod["resource"]
    assert "security_groups_efs_security_group" not in prod["resource"]["aws_security_group"]
    ollama_container = containers(prod)["ollama"]
    assert "command" not in ollama_container and ollama_container["mountPoints"] == []
