"""Container settings checkov cannot see in cdktf JSON (the definitions are a JSON string):
never privileged, read-only root filesystem and a non-root user unless the allowlist explains
why the image does not allow it, and no secret in a plain environment variable."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from environments.loader import load_environments
from environments.secret_inputs import container_secret_names
from tests.conftest import ROOT, SHIPPED_WORKSPACES

EXCEPTIONS = {
    (entry["container"], entry["setting"], delivery): entry["reason"]
    for entry in tomllib.loads((ROOT / ".ci" / "policy-allowlist.toml").read_text())["container"]
    for delivery in entry["delivery"]
}
SECRET_LOOKING = re.compile(r"(API_KEY|MASTER_KEY|SALT_KEY|PRIVATE_KEY|SECRET|PASSWORD|TOKEN|CREDENTIAL|DATABASE_URL)",
                            re.IGNORECASE)


def containers(stack: dict) -> list[dict]:
    (task,) = stack["resource"]["aws_ecs_task_definition"].values()
    return json.loads(task["container_definitions"])


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_container_settings(name, stacks):
    delivery = load_environments([name]).workspaces[0].settings.task.ollama.model_delivery
    for container in containers(stacks[name]):
        label = container["name"]
        assert not container.get("privileged", False), f"{label} is privileged"
        if not container.get("readonlyRootFilesystem", False):
            assert (label, "readonlyRootFilesystem", delivery) in EXCEPTIONS, f"{label}: writable root, no reason"
        user = container.get("user", "root")
        if user in {"root", "0", "0:0"}:
            assert (label, "user", delivery) in EXCEPTIONS, f"{label} runs as root without a reason"
        secret_names = container_secret_names(load_environments([name]).workspaces[0].settings)
        for variable in container.get("environment", []):
            assert variable["name"] not in secret_names, f"{label}: {variable['name']} is a secret"
            assert not SECRET_LOOKING.search(variable["name"]), f"{label}: {variable['name']} belongs in secrets"
        for capability in container.get("linuxParameters", {}).get("capabilities", {}).get("add", []):
            pytest.fail(f"{label} adds capability {capability}")


def test_exceptions_are_used(stacks):
    """An exception that no container needs any more is removed, not kept as a blanket pass."""
    used = set()
    for name in SHIPPED_WORKSPACES:
        delivery = load_environments([name]).workspaces[0].settings.task.ollama.model_delivery
        for container in containers(stacks[name]):
            if not container.get("readonlyRootFilesystem", False):
                used.add((container["name"], "readonlyRootFilesystem", delivery))
            if container.get("user", "root") in {"root", "0", "0:0"}:
                used.add((container["name"], "user", delivery))
    assert used == set(EXCEPTIONS)
