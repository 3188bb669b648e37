"""The example set (examples/<design>/): one per design document in the brief. Each validates,
synthesizes and passes `terraform validate` with the real provider, and shows the design's
defining traits in its synthesized JSON. environments/ itself is design 004."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from environments.loader import load_environments, workspace_files
from tests import terraform_cli
from tests.conftest import QUIET_NODE, ROOT, containers_of

EXAMPLES = ROOT / "examples"
DIRECTORIES = sorted(path for path in EXAMPLES.iterdir() if (path / "project.toml").is_file())
STACKS = [(directory.name, stack) for directory in DIRECTORIES for path in workspace_files(directory)
          for stack in (path.stem, f"{path.stem}-secrets")]


def test_one_example_per_design_document():
    assert [directory.name[:3] for directory in DIRECTORIES] == ["001", "002", "003"]


@pytest.mark.parametrize("directory", DIRECTORIES, ids=lambda path: path.name)
def test_example_is_valid(directory):
    assert load_environments(None, directory=directory).workspaces


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> dict[str, dict[str, dict]]:
    outdir = tmp_path_factory.mktemp("examples")
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "synth_examples.py"), str(outdir),
                             *map(str, DIRECTORIES)], capture_output=True, text=True, timeout=600,
                            env={**os.environ, **QUIET_NODE})
    assert result.returncode == 0, result.stdout + result.stderr
    return {directory.name: {stack.parent.name: json.loads(stack.read_text())
                             for stack in (outdir / directory.name / "stacks").glob("*/cdk.tf.json")}
            for directory in DIRECTORIES}


@pytest.mark.terraform
@pytest.mark.parametrize("example, stack", STACKS, ids=[f"{e}/{s}" for e, s in STACKS])
def test_example_stack_passes_terraform_validate(example, stack, examples, terraform_env, tmp_path):
    report = terraform_cli.validate(examples[example][stack], tmp_path, terraform_env["cli_config"])
    assert report["valid"], json.dumps(report["diagnostics"], indent=2)


def test_001_is_a_bedrock_gateway_without_a_sidecar(examples):
    prod = examples["001-bedrock-gateway"]["prod"]
    assert list(containers_of(prod)) == ["litellm"]
    assert "aws_efs_file_system" not in prod["resource"]
    bedrock = next(json.loads(body["policy"]) for body in prod["resource"]["aws_iam_role_policy"].values()
                   if body["name"] == "bedrock")
    assert bedrock["Statement"][0]["Resource"] == \
        "arn:aws:bedrock:eu-west-2:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert "aws_wafv2_web_acl" in prod["resource"] and "aws_acm_certificate" in prod["resource"]
    assert not [name for name in examples["001-bedrock-gateway"]["prod-secrets"]["resource"]["aws_ssm_parameter"]
                if "api_key" in name], "Bedrock needs no API key"


def test_002_runs_two_to_six_tasks_on_shared_redis_in_three_zones(examples):
    prod = examples["002-high-availability"]["prod"]
    (target,) = prod["resource"]["aws_appautoscaling_target"].values()
    assert (target["min_capacity"], target["max_capacity"]) == (2, 6)
    (group,) = prod["resource"]["aws_elasticache_replication_group"].values()
    assert group["num_cache_clusters"] == 3 and group["multi_az_enabled"] is True
    assert len(prod["resource"]["aws_nat_gateway"]) == 3


def test_003_differs_between_dev_and_prod_as_documented(examples):
    dev, prod = examples["003-litellm-only"]["dev"], examples["003-litellm-only"]["prod"]
    for stack in (dev, prod):
        assert list(containers_of(stack)) == ["litellm"]
    assert "aws_lb_listener_rule" not in dev["resource"] and "aws_wafv2_web_acl" not in dev["resource"]
    assert "aws_elasticache_replication_group" not in dev["resource"], "one task needs no Redis"
    assert set(dev["resource"]["aws_lb_listener"]) == {"load_balancer_http_listener"}
    assert "load_balancer_https_listener" in prod["resource"]["aws_lb_listener"]
    assert prod["output"]["url"]["value"] == "https://litellm.example.com"
    assert "aws_vpc_endpoint" in prod["resource"] and "aws_vpc_endpoint" not in dev["resource"]


@pytest.mark.moto
@pytest.mark.terraform
def test_001_plans_on_moto(examples, terraform_env, tmp_path):
    """The Bedrock gateway's workspace stack, planned against moto with the real provider (local state:
    the example's bootstrap is not applied here; tests/test_moto_deploy.py covers the S3 backend)."""
    from stacks import endpoints
    from tests.moto_server import moto_server

    stack = json.loads(json.dumps(examples["001-bedrock-gateway"]["prod"]))
    stack["terraform"].pop("backend")
    (tmp_path / "cdk.tf.json").write_text(json.dumps(stack))
    shutil.copy(terraform_cli.LOCK_FILE, tmp_path / ".terraform.lock.hcl")
    config = terraform_env["cli_config"]
    with moto_server() as url:
        (tmp_path / endpoints.OVERRIDE_FILE).write_text(json.dumps(endpoints.override(stack, url)))
        for command in (["init", "-input=false", "-lockfile=readonly"], ["plan", "-input=false", "-out=plan.tfplan"]):
            result = terraform_cli.run(command, cwd=tmp_path, cli_config=config, timeout=600)
            assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        plan = json.loads(terraform_cli.run(["show", "-json", "plan.tfplan"], cwd=tmp_path, cli_config=config).stdout)
    created = {change["type"] for change in plan["resource_changes"] if change["change"]["actions"] == ["create"]}
    assert {"aws_acm_certificate", "aws_route53_record", "aws_elasticache_replication_group", "aws_ecs_service",
            "aws_wafv2_web_acl", "aws_db_instance"} <= created
    assert all(change["change"]["actions"] == ["create"] for change in plan["resource_changes"])
