"""`terraform validate` on every synthesized stack, with the real hashicorp/aws 5.100.0 provider."""

from __future__ import annotations

import json
import re

import pytest

from tests import terraform_cli
from tests.conftest import SECRETS_STACKS, SHARED_STACKS, SHIPPED_WORKSPACES

pytestmark = pytest.mark.terraform


NAMES = SHARED_STACKS + SHIPPED_WORKSPACES + SECRETS_STACKS


@pytest.fixture(scope="module")
def reports(stacks, terraform_env, tmp_path_factory):
    """Every stack validated once, a few side by side (terraform_cli.validate_each)."""
    return terraform_cli.validate_each({name: stacks[name] for name in NAMES}, tmp_path_factory.mktemp("validate"),
                                       terraform_env["cli_config"])


@pytest.mark.parametrize("stack_name", NAMES)
def test_stack_passes_terraform_validate(stack_name, reports):
    report = reports[stack_name].result()
    assert report["valid"], json.dumps(report["diagnostics"], indent=2)
    assert report["error_count"] == 0


def test_a_provider_package_the_lock_file_does_not_know_is_refused(stacks, terraform_env, tmp_path):
    """-lockfile=readonly really checks: one changed checksum and init fails."""
    (tmp_path / "cdk.tf.json").write_text(json.dumps(terraform_cli.validation_copy(stacks["shared"])))
    lock = terraform_cli.LOCK_FILE.read_text()
    assert lock.count('"h1:') == 1
    (tmp_path / ".terraform.lock.hcl").write_text(re.sub(r'"h1:[^"]+"', '"h1:' + "A" * 43 + '="', lock))
    init = terraform_cli.run(["init", "-backend=false", "-input=false", "-lockfile=readonly"], cwd=tmp_path,
                             cli_config=terraform_env["cli_config"])
    assert init.returncode != 0
    assert "checksum" in (init.stdout + init.stderr).lower()
