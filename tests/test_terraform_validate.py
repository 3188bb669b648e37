"""`terraform validate` on every synthesized stack, with the real hashicorp/aws 5.100.0 provider."""

from __future__ import annotations

import json

import pytest

from tests import terraform_cli
from tests.conftest import SHARED_STACKS, SHIPPED_WORKSPACES

pytestmark = pytest.mark.terraform


@pytest.mark.parametrize("stack_name", SHARED_STACKS + SHIPPED_WORKSPACES)
def test_stack_passes_terraform_validate(stack_name, stacks, terraform_env, tmp_path):
    copy = terraform_cli.validation_copy(stacks[stack_name], keep_random=terraform_env["keep_random"])
    (tmp_path / "cdk.tf.json").write_text(json.dumps(copy))
    config = terraform_env["cli_config"]

    init = terraform_cli.run(["init", "-backend=false", "-input=false"], cwd=tmp_path, cli_config=config)
    assert init.returncode == 0, init.stdout + init.stderr
    validate = terraform_cli.run(["validate", "-json"], cwd=tmp_path, cli_config=config)
    report = json.loads(validate.stdout)
    assert report["valid"], json.dumps(report["diagnostics"], indent=2)
    assert report["error_count"] == 0


def test_validation_copy_swaps_only_random_passwords(stacks):
    """The stand-in changes nothing but the random provider's resources and their references."""
    original = stacks["prod"]
    copy = terraform_cli.without_random_provider(original)
    assert "random_password" not in copy["resource"]
    assert set(copy["resource"]["terraform_data"]) == set(original["resource"]["random_password"])
    for resource_type, resources in original["resource"].items():
        if resource_type != "random_password":
            assert set(copy["resource"][resource_type]) == set(resources)
    assert "random_password." not in json.dumps(copy)
    assert "random" not in copy["terraform"]["required_providers"]
