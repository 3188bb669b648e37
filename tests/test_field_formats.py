"""Every text field of the model, walked from its JSON schema, has a value AWS (or the shell, or the
image parser) would reject, and validation refuses it naming the field. A new text field without
a case here fails `test_every_text_field_has_a_rejected_case`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tomlkit

from environments.loader import load_environments
from environments.model import Project, WorkspaceSettings
from environments.problems import InvalidEnvironment
from tests.conftest import ENVIRONMENTS

AZURE = {"api_base": "https://acme.openai.azure.com", "api_version": "2024-10-21", "deployments": ["gpt4o"]}

# schema path -> (file, TOML path to set, rejected value, the field the error names)
WORKSPACE_CASES: dict[str, tuple[str, str, object, str]] = {
    "tier": ("dev", "tier", "dev", "tier"),
    "region": ("dev", "region", "Ireland", "region"),
    "tags.<key>": ("dev", "tags", {"aws:team": "x"}, "tags"),
    "tags.<value>": ("dev", "tags", {"team": "a<b"}, "tags.team"),
    "network.vpc_cidr": ("dev", "network.vpc_cidr", "10.0.0.0/33", "network.vpc_cidr"),
    "network.availability_zones[]": ("dev", "network.availability_zones", ["eu-west-1a", "zone b"],
                                     "network.availability_zones"),
    "network.public_subnets[]": ("dev", "network.public_subnets", ["10.0.1.0/24", "10.0.2.300/24"],
                                 "network.public_subnets[1]"),
    "network.private_subnets[]": ("dev", "network.private_subnets", ["10.0.10.0/24", "10.0.20.0"],
                                  "network.private_subnets[1]"),
    "network.database_subnets[]": ("dev", "network.database_subnets", ["10.0.100.0/24", "fd00::/64"],
                                   "network.database_subnets[1]"),
    "network.nat_gateways": ("dev", "network.nat_gateways", "many", "network.nat_gateways"),
    "ingress.allowed_cidrs[]": ("dev", "ingress.allowed_cidrs", ["office"], "ingress.allowed_cidrs[0]"),
    "ingress.certificate_arn": ("prod", "ingress.certificate_arn", "arn:aws:acm:eu-west-1:123:certificate/x",
                                "ingress.certificate_arn"),
    "ingress.domain.name": ("staging", "ingress.domain.name", "llm staging.example.com", "ingress.domain.name"),
    "ingress.domain.hosted_zone_id": ("staging", "ingress.domain.hosted_zone_id", "zone-1",
                                      "ingress.domain.hosted_zone_id"),
    "ingress.geo_block[]": ("staging", "ingress.geo_block", ["Germany"], "ingress.geo_block[0]"),
    "ingress.cdn.price_class": ("staging", "ingress.cdn", {"price_class": "cheap"}, "ingress.cdn.price_class"),
    "ingress.admin_cidrs[]": ("staging", "ingress.admin_cidrs", ["vpn"], "ingress.admin_cidrs[0]"),
    "task.cpu_architecture": ("dev", "task.cpu_architecture", "SPARC", "task.cpu_architecture"),
    "task.capacity_provider": ("dev", "task.capacity_provider", "EC2", "task.capacity_provider"),
    "task.litellm.image": ("dev", "task.litellm.image", "ghcr.io/berriai/litellm:v1 && curl x", "task.litellm.image"),
    "task.ollama.image": ("dev", "task.ollama.image", "ollama/ollama:$(id)", "task.ollama.image"),
    "task.ollama.model": ("dev", "task.ollama.model", "llama3.2:3b; rm -rf /", "task.ollama.model"),
    "task.ollama.model_delivery": ("dev", "task.ollama.model_delivery", "download", "task.ollama.model_delivery"),
    "task.ollama.additional_models[].name": ("dev", "task.ollama.additional_models",
                                             [{"name": "Llama 3", "size_mb": 100}],
                                             "task.ollama.additional_models[0].name"),
    "database.instance_class": ("dev", "database.instance_class", "db.t3.micro`", "database.instance_class"),
    "database.engine_version": ("dev", "database.engine_version", "9", "database.engine_version"),
    "redis.engine": ("dev", "redis.engine", "memcached", "redis.engine"),
    "redis.engine_version": ("dev", "redis.engine_version", "6", "redis.engine_version"),
    "redis.node_type": ("dev", "redis.node_type", "cache.t4g.micro extra", "redis.node_type"),
    "observability.alarm_email": ("prod", "observability.alarm_email", "oncall", "observability.alarm_email"),
    "providers.openai.models[]": ("dev", "providers.openai.models", ["gpt-4o-mini\n"], "providers.openai.models[0]"),
    "providers.anthropic.models[]": ("prod", "providers.anthropic.models", ["claude sonnet"],
                                     "providers.anthropic.models[0]"),
    "providers.azure.api_base": ("dev", "providers.azure", {**AZURE, "api_base": "http://acme.openai.azure.com"},
                                 "providers.azure.api_base"),
    "providers.azure.api_version": ("dev", "providers.azure", {**AZURE, "api_version": "latest"},
                                    "providers.azure.api_version"),
    "providers.azure.deployments[]": ("dev", "providers.azure", {**AZURE, "deployments": ["gpt 4o"]},
                                      "providers.azure.deployments[0]"),
    "providers.bedrock.models[]": ("prod", "providers.bedrock.models", ["anthropic.claude*"],
                                   "providers.bedrock.models[0]"),
    "litellm.guardrails.action": ("dev", "litellm", {"guardrails": {"action": "LOG"}}, "litellm.guardrails.action"),
    "litellm.guardrails.patterns[]": ("dev", "litellm", {"guardrails": {"patterns": ["passport_mars"]}},
                                      "litellm.guardrails.patterns[0]"),
    "litellm.cache.host": ("dev", "litellm", {"cache": {"host": "cache host"}}, "litellm.cache.host"),
}

PROJECT_CASES: dict[str, tuple[str, object, str]] = {
    "name": ("name", "LiteLLM", "name"),
    "aws_account_id": ("aws_account_id", "1234", "aws_account_id"),
    "region": ("region", "eu west 1", "region"),
    "allowed_image_repositories[]": ("allowed_image_repositories", ["ghcr.io/berriai/litellm@sha256:00"],
                                     "allowed_image_repositories[0]"),
    "tags.<key>": ("tags", {"cost center;": "x"}, "tags"),
    "tags.<value>": ("tags", {"Owner": "a|b"}, "tags.Owner"),
    "state.bucket": ("state.bucket", "Acme_State", "state.bucket"),
    "state.lock_table": ("state.lock_table", "locks table", "state.lock_table"),
    "registry.repositories[]": ("registry.repositories", ["LiteLLM"], "registry.repositories[0]"),
    "github.repository": ("github.repository", "acme/infra/x", "github.repository"),
    "github.app_repository": ("github.app_repository", "acme", "github.app_repository"),
}


def text_fields(model: type) -> set[str]:
    """Schema paths of every text value: `a.b`, `list[]`, `table.<key>` / `.<value>`."""
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    found: set[str] = set()

    def walk(node: dict, path: str) -> None:
        if "$ref" in node:
            node = definitions[node["$ref"].split("/")[-1]]
        for option in node.get("anyOf", []):
            walk(option, path)
        if node.get("type") == "object":
            for name, child in node.get("properties", {}).items():
                walk(child, f"{path}.{name}" if path else name)
            if isinstance(node.get("additionalProperties"), dict):
                found.add(f"{path}.<key>")
                walk(node["additionalProperties"], f"{path}.<value>")
        elif node.get("type") == "array":
            walk(node.get("items", {}), f"{path}[]")
        elif node.get("type") == "string":
            found.add(path)

    walk(schema, "")
    return found


def test_every_text_field_has_a_rejected_case():
    assert text_fields(WorkspaceSettings) == set(WORKSPACE_CASES)
    assert text_fields(Project) == set(PROJECT_CASES)


def set_path(document: dict, path: str, value: object) -> None:
    *parents, last = path.split(".")
    table = document
    for part in parents:
        table = table.setdefault(part, {})
    table[last] = value


def assert_refused(directory: Path, edited: str, path: str, value: object, named: str) -> None:
    """`edited` (a file of the shipped environments) with `path` set to `value`, beside copies of the
    others the loader needs: validation refuses it with a problem naming `named` in that file."""
    shutil.copy(ENVIRONMENTS / "project.toml", directory / "project.toml")
    shutil.copy(ENVIRONMENTS / "dev.toml", directory / "dev.toml")
    document = tomlkit.parse((ENVIRONMENTS / edited).read_text())
    set_path(document, path, value)
    (directory / edited).write_text(tomlkit.dumps(document))
    try:
        load_environments(directory=directory)
        problems = []
    except InvalidEnvironment as error:
        problems = [str(problem) for problem in error.problems]
    assert any(f"{edited}: {named} " in problem or f"{edited}: {named}." in problem for problem in problems), \
        "\n".join(problems) or "accepted"


@pytest.mark.parametrize("field", sorted(WORKSPACE_CASES))
def test_workspace_field_refuses_a_value_aws_would_reject(field, tmp_path):
    base, path, value, named = WORKSPACE_CASES[field]
    assert_refused(tmp_path, f"{base}.toml", path, value, named)


@pytest.mark.parametrize("field", sorted(PROJECT_CASES))
def test_project_field_refuses_a_value_aws_would_reject(field, tmp_path):
    path, value, named = PROJECT_CASES[field]
    assert_refused(tmp_path, "project.toml", path, value, named)
