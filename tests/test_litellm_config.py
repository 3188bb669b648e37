"""The rendered LiteLLM config: content per workspace, secrets by reference only, and the link
to the task definition (a change rolls out, no change changes nothing)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from environments.litellm_config import redis_environment, referenced_environment, render, sha256
from environments.loader import load_environments
from environments.secret_inputs import container_secret_names
from environments.startup import plan
from modules.ecs_service.containers import ConfigObject, container_definitions
from tests.conftest import ROOT, SHIPPED_WORKSPACES, containers_of

SECRET_KEYS = {"api_key", "master_key", "database_url", "password", "redis_password", "salt_key"}


def workspace(name: str, **changes):
    """A shipped workspace, optionally with settings changed (nested with dotted keys)."""
    loaded = load_environments([name]).workspaces[0]
    if not changes:
        return loaded
    data = loaded.settings.model_dump()
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        target = data
        for part in parents:
            if target.get(part) is None:
                target[part] = {}
            target = target[part]
        target[last] = value
    settings = type(loaded.settings).model_validate(data)
    return type(loaded)(name=loaded.name, source=loaded.source, project=loaded.project, settings=settings)


def config(name: str, **changes) -> dict:
    return yaml.safe_load(render(workspace(name, **changes)))


def walk(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    else:
        yield path, value


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_local_model_through_ollama_chat(name):
    local = config(name)["model_list"][0]
    model = workspace(name).settings.task.ollama.model
    assert local == {"model_name": model,
                     "litellm_params": {"model": f"ollama_chat/{model}", "api_base": "http://127.0.0.1:11434"}}


def test_cloud_models_only_for_declared_providers():
    models = {
        name: [model["litellm_params"]["model"] for model in config(name)["model_list"][1:]]
        for name in SHIPPED_WORKSPACES
    }
    assert models["dev-ci"] == []
    assert models["dev"] == ["openai/gpt-6-luna"]
    assert {model.split("/")[0] for model in models["prod"]} == {"openai", "anthropic", "bedrock"}
    bedrock = [m for m in config("prod")["model_list"] if m["litellm_params"]["model"].startswith("bedrock/")]
    assert bedrock and all("api_key" not in m["litellm_params"] for m in bedrock), "Bedrock uses the task role"
    azure = config("dev", **{"providers.azure": {"api_base": "https://acme.openai.azure.com",
                                                 "api_version": "2024-10-21", "deployments": ["gpt-4o"]}})
    (entry,) = [m for m in azure["model_list"] if m["model_name"] == "azure/gpt-4o"]
    assert entry["litellm_params"]["api_key"] == "os.environ/AZURE_API_KEY"


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_no_secret_value_in_the_config(name):
    rendered = config(name, **{"litellm.cache": {"host": "cache.internal", "port": 6379, "tls": True}})
    for path, value in walk(rendered):
        if path.split(".")[-1] in SECRET_KEYS:
            assert isinstance(value, str) and value.startswith("os.environ/"), f"{path} = {value!r}"


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_every_reference_is_set_on_the_container(name, stacks):
    """Each os.environ/ reference of the config is a variable of the synthesized litellm container;
    the secret ones arrive by reference (secrets), never as plain values."""
    loaded = workspace(name)
    container = containers_of(stacks[name])["litellm"]
    plain = {item["name"] for item in container["environment"]}
    secret = {item["name"] for item in container["secrets"]}
    referenced = referenced_environment(render(loaded))
    assert referenced <= plain | secret
    assert secret == container_secret_names(loaded.settings)
    assert not plain & secret


def test_guardrails_follow_the_workspace():
    stages = {g["litellm_params"]["mode"] for g in config("dev")["guardrails"]}
    assert stages == {"pre_call", "post_call"}
    only_input = config("dev", **{"litellm.guardrails": {"pii_post_call": False}})
    assert [g["litellm_params"]["mode"] for g in only_input["guardrails"]] == ["pre_call"]
    none = config("dev", **{"litellm.guardrails": {"pii_pre_call": False, "pii_post_call": False}})
    assert "guardrails" not in none
    blocking = config("dev", **{"litellm.guardrails": {"action": "BLOCK", "patterns": ["email"]}})
    assert blocking["guardrails"][0]["litellm_params"]["patterns"] == [
        {"pattern_type": "prebuilt", "pattern_name": "email", "action": "BLOCK"}
    ]


def test_redis_only_with_a_redis():
    assert "redis_host" not in config("dev-ci")["router_settings"]
    for managed_or_external in (config("prod"), config("dev-ci", **{"litellm.cache": {"host": "cache.internal"}})):
        router = managed_or_external["router_settings"]
        assert (router["redis_host"], router["redis_port"], router["redis_password"]) == (
            "os.environ/REDIS_HOST", "os.environ/REDIS_PORT", "os.environ/REDIS_PASSWORD")
        settings = managed_or_external["litellm_settings"]
        assert settings["cache"] is True and settings["cache_params"]["host"] == "os.environ/REDIS_HOST"
        assert settings["cache_params"]["supported_call_types"] == [], "response caching is opt-in"
    cached = config("prod", **{"litellm.response_cache": True})
    assert "supported_call_types" not in cached["litellm_settings"]["cache_params"]
    assert "cache" not in config("dev-ci", **{"litellm.response_cache": True})["litellm_settings"], "no Redis"


def test_timeouts_and_retries_come_from_the_model():
    rendered = config("dev", **{"litellm.num_retries": 4, "litellm.request_timeout_seconds": 120})
    assert rendered["litellm_settings"]["request_timeout"] == 120 and rendered["router_settings"]["num_retries"] == 4


def definitions(loaded) -> str:
    text = render(loaded)
    return json.dumps(container_definitions(
        workspace=loaded, startup=plan(loaded.settings.task.ollama),
        log_groups={"litellm": "/l", "ollama": "/o"},
        secrets={"LITELLM_MASTER_KEY": "arn:master", "REDIS_PASSWORD": "arn:redis"},
        config=ConfigObject(bucket="bucket", key="litellm/config.yaml", sha256=sha256(text)),
        litellm_environment=redis_environment("redis.internal", 6379, tls=True),
    ))


def test_config_change_changes_the_task_definition_and_nothing_else():
    before = definitions(workspace("dev"))
    after = definitions(workspace("dev", **{"litellm.num_retries": 5}))
    assert before != after
    pairs = zip(json.loads(before)[1]["environment"], json.loads(after)[1]["environment"], strict=True)
    changed = [pair for pair in pairs if pair[0] != pair[1]]
    assert [pair[0]["name"] for pair in changed] == ["LITELLM_CONFIG_SHA256"]
    assert json.loads(before)[0] == json.loads(after)[0]


def test_unchanged_config_gives_identical_json():
    assert definitions(workspace("dev")) == definitions(workspace("dev"))
    assert render(workspace("prod")) == render(workspace("prod"))


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_synthesized_object_and_hash_match_the_rendered_config(name, stacks):
    stack = stacks[name]
    (config_object,) = stack["resource"]["aws_s3_object"].values()
    expected = render(workspace(name))
    assert config_object["content"] == expected
    assert config_object["server_side_encryption"] == "aws:kms"
    (task,) = stack["resource"]["aws_ecs_task_definition"].values()
    litellm = json.loads(task["container_definitions"])[1]
    environment = {item["name"]: item["value"] for item in litellm["environment"]}
    assert environment["LITELLM_CONFIG_SHA256"] == sha256(expected)
    assert environment["LITELLM_CONFIG_BUCKET_OBJECT_KEY"] == config_object["key"]


def test_rendering_does_not_import_cdktf():
    probe = ("import sys\nfrom environments.loader import load_environments\n"
             "from environments.litellm_config import render\n"
             "[render(w) for w in load_environments().workspaces]\n"
             "print([m for m in sys.modules if m.startswith(('cdktf', 'jsii', 'constructs'))])")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
