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
    """Every stack validated in one Terraform run (terraform_cli.validate_together)."""
    return terraform_cli.validate_together({name: stacks[name] for name in NAMES}, tmp_path_factory.mktemp("validate"),
                                           terraform_env["cli_config"])


@pytest.mark.parametrize("stack_name", NAMES)
def test_stack_passes_terraform_validate(stack_name, reports):
    report = reports[stack_name]
    assert report == {"valid": True, "diagnostics": []}, json.dumps(report["diagnostics"], indent=2)


def test_a_stack_validated_together_with_others_reports_its_own_errors(terraform_env, tmp_path):
    """validate_together attributes each diagnostic to the stack whose file it names: one stack with an
    argument the provider does not know fails, the other passes."""
    valid = {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
             "provider": {"aws": [{"region": "eu-west-1"}]},
             "resource": {"aws_s3_bucket": {"state": {"bucket": "acme-state"}}}}
    broken = json.loads(json.dumps(valid))
    broken["resource"]["aws_s3_bucket"]["state"]["bucket_typo"] = "acme-state"
    reports = terraform_cli.validate_together({"example/valid": valid, "example/broken": broken}, tmp_path,
                                              terraform_env["cli_config"])
    assert reports["example/valid"] == {"valid": True, "diagnostics": []}
    (diagnostic,) = reports["example/broken"]["diagnostics"]
    assert reports["example/broken"]["valid"] is False
    assert (diagnostic["severity"], diagnostic["summary"]) == ("error", "Extraneous JSON object property")
    assert diagnostic["range"]["filename"] == "stack1/cdk.tf.json" and "bucket_typo" in diagnostic["detail"]


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
