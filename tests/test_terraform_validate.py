"""`terraform validate` on every synthesized stack, with the real hashicorp/aws 5.100.0 provider."""

from __future__ import annotations

import json
import re

import pytest

from tests import terraform_cli
from tests.conftest import SECRETS_STACKS, SHARED_STACKS, SHIPPED_WORKSPACES

pytestmark = pytest.mark.terraform


@pytest.mark.parametrize("stack_name", SHARED_STACKS + SHIPPED_WORKSPACES + SECRETS_STACKS)
def test_stack_passes_terraform_validate(stack_name, stacks, terraform_env, tmp_path):
    report = terraform_cli.validate(stacks[stack_name], tmp_path, terraform_env["cli_config"])
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
