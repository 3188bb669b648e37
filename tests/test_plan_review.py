"""Plan review (review/plan_review.py) on plans written the way `terraform show -json` writes
them: the summary table, errored and empty stacks, the cut to a comment's size, and the guard
against destroying state (a real plan that replaces a file system: tests/test_moto_deploy.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from review import plan_review
from tests.conftest import ROOT, run_main


def resource(address: str, *actions: str, replace_paths: list | None = None, mode: str = "managed") -> dict:
    resource_type = address.split(".")[-2]
    change = {"actions": list(actions), "before": {}, "after": {}}
    if replace_paths:
        change["replace_paths"] = replace_paths
    return {"address": address, "mode": mode, "type": resource_type, "name": address.split(".")[-1],
            "change": change}


def plan_file(tmp_path: Path, stack: str, *changes: dict) -> str:
    path = tmp_path / f"{stack}.json"
    path.write_text(json.dumps({"format_version": "1.2", "terraform_version": "1.11.4",
                                "resource_changes": list(changes)}))
    return f"{stack}={path}"


def review(*arguments: str, allow: Path | None = None) -> subprocess.CompletedProcess:
    """The module as the plan workflow runs it: the system's Python, no site packages, nothing installed."""
    extra = ["--allow", str(allow)] if allow else ["--allow", str(ROOT / ".ci" / "allowed-destruction.toml")]
    return subprocess.run([sys.executable, "-E", "-S", "-m", "review.plan_review", *extra, *arguments],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def table_row(markdown: str, stack: str) -> list[str]:
    (line,) = [line for line in markdown.splitlines() if line.startswith(f"| {stack} |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_table_counts_each_kind_of_change_per_stack(tmp_path):
    dev = plan_file(tmp_path, "dev",
                    resource("aws_ecs_service.ecs_service", "update"),
                    resource("aws_ecs_task_definition.ecs_task", "delete", "create"),
                    resource("aws_cloudwatch_metric_alarm.observability_cpu", "create"),
                    resource("aws_cloudwatch_metric_alarm.observability_old", "delete"),
                    resource("aws_vpc.network_vpc", "no-op"),
                    resource("data.aws_iam_policy_document.x", "read", mode="data"))
    shared = plan_file(tmp_path, "shared", resource("aws_ecr_repository.registry_litellm", "no-op"))
    result = review("--guard", dev, shared)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(plan_review.MARKER)
    assert table_row(result.stdout, "dev") == ["dev", "1", "1", "1", "1", ""]
    assert table_row(result.stdout, "shared") == ["shared", "0", "0", "0", "0", ""]
    assert "<b>dev</b>: 1 to add, 1 to change, 1 to replace, 1 to destroy" in result.stdout
    assert "<b>shared</b>" not in result.stdout  # nothing to show for an empty plan
    assert "| replace | `aws_ecs_task_definition.ecs_task` |" in result.stdout


def test_a_failed_or_unreadable_plan_is_reported_not_guessed(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    result = review("--guard", f"prod={tmp_path / 'missing.json'}", f"staging={tmp_path / 'broken.json'}")
    assert result.returncode == 0
    assert "no plan: the plan job failed" in table_row(result.stdout, "prod")[-1]
    assert "could not be read" in table_row(result.stdout, "staging")[-1]


@pytest.mark.parametrize("address, actions, stack", [
    ("aws_db_instance.database_instance", ("delete", "create"), "prod"),
    ("aws_efs_file_system.ecs_model_cache", ("delete",), "dev"),
    ("aws_kms_key.workspace_key_key", ("create", "delete"), "staging"),
    ("aws_s3_bucket.state_backend_state_bucket", ("delete", "create"), "bootstrap"),
    ("aws_dynamodb_table.state_backend_lock_table", ("delete",), "bootstrap"),
    ("aws_ssm_parameter.secrets_litellm_salt_key_parameter", ("delete", "create"), "prod-secrets"),
    ("aws_ecr_repository.registry_litellm", ("delete",), "shared"),
    ("aws_elasticache_replication_group.redis_replication_group", ("delete", "create"), "prod"),
    ("aws_iam_openid_connect_provider.github_github_oidc", ("delete",), "bootstrap"),
])
def test_guard_fails_on_destroying_state(address, actions, stack, tmp_path):
    result = review("--guard", plan_file(tmp_path, stack, resource(address, *actions, replace_paths=[["identifier"]])))
    assert result.returncode == plan_review.EXIT_GUARD
    assert f"`{address}`" in result.stdout and "Destructive changes (the check fails)" in result.stdout
    assert f"destructive change: {stack}: {address}" in result.stderr
    assert plan_review.PROTECTED[address.split(".")[0]] in result.stdout  # says why it matters


@pytest.mark.parametrize("address, actions, stack", [
    ("aws_s3_bucket.ecs_config_bucket", ("delete", "create"), "dev"),  # regenerated from the repository
    ("aws_ssm_parameter.secrets_litellm_master_key_parameter", ("delete", "create"), "dev-secrets"),
    ("aws_db_instance.database_instance", ("update",), "prod"),  # changed in place
    ("aws_ecs_service.ecs_service", ("delete", "create"), "prod"),
])
def test_guard_lets_the_rest_through(address, actions, stack, tmp_path):
    result = review("--guard", plan_file(tmp_path, stack, resource(address, *actions)))
    assert result.returncode == 0, result.stderr


def test_an_allowance_with_a_reason_lets_exactly_that_change_through(tmp_path):
    allow = tmp_path / "allow.toml"
    allow.write_text('[[allow]]\nstack = "dev"\naddress = "aws_db_instance.database_instance"\n'
                     'reason = "dev moves to PostgreSQL 17; its test keys are recreated"\n'
                     '[[allow]]\nstack = "dev"\naddress = "aws_efs_file_system.ecs_model_cache"\n'
                     'reason = "no longer replaced, this entry should be reported as unused"\n')
    database = resource("aws_db_instance.database_instance", "delete", "create", replace_paths=[["engine_version"]])
    allowed = review("--guard", plan_file(tmp_path, "dev", database), allow=allow)
    assert allowed.returncode == 0, allowed.stderr
    assert "allowed by `.ci/allowed-destruction.toml`" in allowed.stdout
    assert "(forced by `engine_version`)" in allowed.stdout
    assert "no plan here needs" in allowed.stdout and "`aws_efs_file_system.ecs_model_cache`" in allowed.stdout
    # The same change in another stack is not covered.
    other = review("--guard", plan_file(tmp_path, "prod", database), allow=allow)
    assert other.returncode == plan_review.EXIT_GUARD


@pytest.mark.parametrize("content, fragment", [
    ('[[allow]]\nstack = "dev"\naddress = "aws_db_instance.database_instance"\nreason = "ok"\n', "at least 20"),
    ('[[allow]]\nstack = "dev"\naddress = "aws_db_instance.database_instance"\n', "exactly stack, address and reason"),
    ('allowed = []\n', "unknown key(s) ['allowed']"),
    ('[[allow]\n', "not valid TOML"),
])
def test_a_bad_allow_file_is_refused_and_nothing_is_written(content, fragment, tmp_path):
    allow = tmp_path / "allow.toml"
    allow.write_text(content)
    output = tmp_path / "report.md"
    result = review("--guard", "--output", str(output), plan_file(tmp_path, "dev"), allow=allow)
    assert result.returncode == plan_review.EXIT_USAGE and fragment in result.stderr
    assert not output.exists()


def test_a_bad_argument_is_refused_and_nothing_is_written(tmp_path):
    output = tmp_path / "report.md"
    result = review("--output", str(output), "dev.json")
    assert result.returncode == plan_review.EXIT_USAGE and "write STACK=PLAN_JSON" in result.stderr
    assert not output.exists()


def test_a_very_large_plan_is_cut_to_a_comment_with_a_pointer(tmp_path):
    many = [resource(f"aws_cloudwatch_metric_alarm.observability_alarm_number_{index:05d}", "create")
            for index in range(3000)]
    small = plan_file(tmp_path, "dev", resource("aws_ecs_service.ecs_service", "update"))
    result = review(small, plan_file(tmp_path, "prod", *many), "--artifact-hint", "see the plan-* artifacts")
    assert result.returncode == 0
    assert len(result.stdout) <= plan_review.COMMENT_LIMIT
    assert table_row(result.stdout, "prod") == ["prod", "3000", "0", "0", "0", ""]  # the table is never cut
    assert "<b>dev</b>" in result.stdout and "<b>prod</b>" not in result.stdout
    assert result.stdout.rstrip().endswith("_Cut to fit a comment: see the plan-* artifacts._")


def test_main_py_runs_the_same_report(tmp_path):
    arguments = [plan_file(tmp_path, "dev", resource("aws_efs_file_system.ecs_model_cache", "delete")), "--guard"]
    through_main = run_main("plan-report", *arguments, timeout=120)
    assert through_main.returncode == plan_review.EXIT_GUARD
    assert through_main.stdout == review(*arguments).stdout


def test_a_changed_topology_is_shown_and_nothing_else_from_the_pull_request(tmp_path):
    base, head = tmp_path / "base", tmp_path / "head"
    base.mkdir()
    head.mkdir()
    same = "# dev\n\n```mermaid\nflowchart LR\n  internet --> alb\n```\n"
    (base / "dev.md").write_text(same)
    (head / "dev.md").write_text(same)
    (base / "prod.md").write_text(same)
    (head / "prod.md").write_text("# prod\n\n```mermaid\nflowchart LR\n  internet --> cdn --> alb\n```\n")
    (head / "staging.md").write_text("```mermaid\nflowchart LR\n  a\n```\n[click](https://evil.example)\n"
                                     "```mermaid\nflowchart LR\n  b`x`\n```\n")
    (head / "qa.md").write_text("```mermaid\nflowchart LR\n  x --> y` and `\n```\n")
    result = review(plan_file(tmp_path, "dev"), "--diagrams", str(head), "--base-diagrams", str(base))
    assert result.returncode == 0, result.stderr
    assert "### Topology of prod changes\n\n```mermaid\nflowchart LR\n  internet --> cdn --> alb\n```" in result.stdout
    assert "Topology of dev" not in result.stdout and "Topology of qa" not in result.stdout  # a backtick: dropped
    assert "evil.example" not in result.stdout  # only the flowchart inside the fence is kept


def test_the_cost_change_per_workspace_is_shown(tmp_path):
    head, base = tmp_path / "head.json", tmp_path / "base.json"
    base.write_text(json.dumps({"dev": {"total": 121.41, "items": {}}, "qa": {"total": 50.0, "items": {}}}))
    head.write_text(json.dumps({"dev": {"total": 130.0, "items": {}}, "prod": {"total": 810.12, "items": {}},
                                "<img src=x>": {"total": 1, "items": {}}, "staging": {"total": "lots"}}))
    result = review(plan_file(tmp_path, "dev"), "--cost", str(head), "--base-cost", str(base))
    assert "| dev | 121.41 | 130.00 | +8.59 |" in result.stdout
    assert "| prod |  | 810.12 | new |" in result.stdout and "| qa | 50.00 |  | removed |" in result.stdout
    assert "img" not in result.stdout and "lots" not in result.stdout  # only names and numbers pass


def test_what_a_plan_job_uploads_carries_no_value_and_reviews_the_same(tmp_path):
    """The workflows pass `terraform show -json` through delivery.workflows.PLAN_CHANGES_JQ (jq) before
    uploading it: the review reads the same changes, and no attribute value leaves the job."""
    from delivery.workflows import PLAN_CHANGES_JQ

    database = resource("aws_db_instance.database_instance", "delete", "create", replace_paths=[["identifier"]])
    database["change"]["after"] = {"password": "s3cret-value-in-clear", "identifier": "litellm-prod"}
    full = tmp_path / "full.json"
    full.write_text(json.dumps({"format_version": "1.2", "resource_changes": [
        database, resource("aws_ecs_service.ecs_service", "update")]}))
    reduced = subprocess.run(["jq", PLAN_CHANGES_JQ, str(full)], capture_output=True, text=True, check=True).stdout
    assert "s3cret" not in reduced and "litellm-prod" not in reduced
    (tmp_path / "reduced.json").write_text(reduced)
    assert review(f"prod={tmp_path / 'reduced.json'}").stdout == review(f"prod={full}").stdout
    assert "(forced by `identifier`)" in review(f"prod={tmp_path / 'reduced.json'}").stdout


def test_a_teardown_allows_the_destructions_of_a_plan_that_only_destroys(tmp_path):
    """destroy.yml: `--teardown STACK` instead of an allow-file entry per resource; the approved
    destroy run is the review. Without it the same plan is refused."""
    dev = plan_file(tmp_path, "dev", resource("aws_db_instance.database_instance", "delete"),
                    resource("aws_efs_file_system.ecs_model_cache", "delete"),
                    resource("aws_ecs_service.ecs_service", "delete"))
    refused = review("--guard", dev)
    assert refused.returncode == 1 and "dev: aws_db_instance.database_instance (delete)" in refused.stderr
    allowed = review("--guard", "--teardown", "dev", dev)
    assert allowed.returncode == 0, allowed.stderr
    assert "### Destructive changes allowed" in allowed.stdout
    assert "`aws_db_instance.database_instance` destroyed" in allowed.stdout


@pytest.mark.parametrize("changes, stacks, message", [
    # A replacement or an update hidden in a "teardown" is refused: only a pure destroy passes.
    ([("aws_db_instance.database_instance", ("delete",)), ("aws_kms_key.secrets_key", ("delete", "create"))],
     ["dev"], "--teardown dev: a teardown's plan only destroys; this one does more: aws_kms_key.secrets_key (replace)"),
    ([("aws_db_instance.database_instance", ("delete",)), ("aws_ecs_service.ecs_service", ("update",))],
     ["dev"], "aws_ecs_service.ecs_service (update)"),
    ([("aws_db_instance.database_instance", ("delete",))], ["staging"], "--teardown staging: no readable plan"),
])
def test_a_teardown_is_refused_unless_its_plan_only_destroys(tmp_path, changes, stacks, message):
    dev = plan_file(tmp_path, "dev", *(resource(address, *actions) for address, actions in changes))
    result = review("--guard", *(f"--teardown={stack}" for stack in stacks), dev)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr


def test_the_state_stack_is_never_torn_down(tmp_path):
    bootstrap = plan_file(tmp_path, "bootstrap", resource("aws_s3_bucket.state_backend_state", "delete"))
    result = review("--guard", "--teardown", "bootstrap", bootstrap)
    assert result.returncode == 1 and "the state stack is never torn down" in result.stderr
