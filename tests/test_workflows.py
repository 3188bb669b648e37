"""The GitHub workflows: committed files equal a fresh render from the workspace list, zizmor
finds nothing, GitHub's workflow schema accepts them, and the rules the delivery design relies
on hold in every job."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from delivery import workflows
from environments.loader import load_environments
from tests.conftest import ROOT, SHIPPED_WORKSPACES, run_main

WORKFLOW_DIR = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOW_DIR / name).read_text())


def jobs() -> list[tuple[str, str, dict]]:
    return [(name, job_name, job) for name in workflows.WORKFLOWS for job_name, job in load(name)["jobs"].items()]


def steps() -> list[tuple[str, str, dict]]:
    return [(name, job_name, step) for name, job_name, job in jobs() for step in job.get("steps", [])]


def tool(name: str) -> str:
    found = shutil.which(name, path=str(ROOT / ".venv" / "bin")) or shutil.which(name)
    assert found, f"{name} is not installed (pip install -e '.[test]')"
    return found


def test_committed_workflows_equal_a_fresh_render():
    result = run_main("render-workflows", "--check")
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in WORKFLOW_DIR.glob("*.yml")) == sorted(workflows.WORKFLOWS)


def test_a_stale_workflow_is_detected(tmp_path):
    for name in workflows.WORKFLOWS:
        shutil.copy(WORKFLOW_DIR / name, tmp_path / name)
    environments = load_environments()
    assert workflows.stale(environments, tmp_path) == []
    plan = tmp_path / "plan-stacks.yml"
    edited = plan.read_text().replace("fail-fast: false", "fail-fast: true")
    assert edited != plan.read_text()
    plan.write_text(edited)
    assert workflows.stale(environments, tmp_path) == ["plan-stacks.yml"]


def test_zizmor_finds_nothing():
    result = subprocess.run([tool("zizmor"), "--offline", "--persona=auditor", "--no-progress", str(WORKFLOW_DIR)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_github_workflow_schema_accepts_them():
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
         *(str(WORKFLOW_DIR / name) for name in workflows.WORKFLOWS)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_expression_inside_any_run_script():
    """Payload and context values reach scripts only through env (no template injection)."""
    for name, job_name, step in steps():
        if "run" in step:
            assert "${{" not in step["run"], f"{name}:{job_name}:{step.get('name')}"


def test_event_payload_is_read_only_in_env_blocks():
    for name in workflows.WORKFLOWS:
        text = (WORKFLOW_DIR / name).read_text()
        for match in re.finditer(r"\$\{\{\s*github\.event\.[^}]*\}\}", text):
            line = text[:match.start()].splitlines()[-1] + match.group(0)
            # Values GitHub sets, never the pull request's author (head_branch, titles... are never read).
            github_set = r"github\.event\.(workflow_run\.(id|head_sha|conclusion|event)|repository\.default_branch)"
            # The bump-scope check: commits to check out, and author and branch as data through env.
            pull_request = r"github\.event\.pull_request\.(base\.sha|head\.sha|user\.login|head\.ref)"
            allowed = re.match(r"^\s+[A-Z_]+: \$\{\{ github\.event\.client_payload\.\w+ \}\}$", line) or \
                re.match(r"^\s+[A-Z_]+: \$\{\{ " + pull_request + r" \}\}$", line) or \
                re.match(r"^\s+ref: \$\{\{ github\.event\.pull_request\.(base|head)\.sha \}\}$", line) or \
                "group: plan-${{ github.event.pull_request.number }}" in line or \
                re.search(r"\$\{\{ " + github_set + r" \}\}$", line) or \
                re.match(r"^\s+if: " + github_set + r" == '\w+' && " + github_set + r" == '\w+'", line)
            assert allowed, f"{name}: {line.strip()}"


def test_every_action_is_pinned_to_a_commit():
    for name, job_name, step in steps():
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{name}:{job_name}: {step['uses']}"


def test_least_privilege_permissions():
    for name in workflows.WORKFLOWS:
        assert load(name)["permissions"] == {}, f"{name}: top-level permissions must grant nothing"
    for name, job_name, job in jobs():
        granted = job.get("permissions")
        assert granted is not None, f"{name}:{job_name} declares no permissions"
        assumes_aws = any("configure-aws-credentials" in step.get("uses", "") for step in job["steps"])
        assert (granted.get("id-token") == "write") == assumes_aws, f"{name}:{job_name}: id-token only for AWS"
        assert set(granted.values()) <= {"read", "write"}
        assert "write-all" not in str(granted)


def test_checkouts_do_not_persist_credentials():
    for name, job_name, step in steps():
        if "actions/checkout@" in step.get("uses", ""):
            assert step["with"]["persist-credentials"] is False, f"{name}:{job_name}"


def test_terraform_jobs_are_serialized_per_stack_and_never_cancelled():
    for name, job_name, job in jobs():
        changes_state = any("terraform apply" in step.get("run", "") or "terraform destroy" in step.get("run", "")
                            for step in job["steps"])
        if changes_state:
            concurrency = job["concurrency"]
            assert concurrency["group"].startswith("terraform-"), f"{name}:{job_name}"
            assert concurrency["cancel-in-progress"] is False
            assert "environment" in job, f"{name}:{job_name} applies outside a GitHub environment"
        for step in job["steps"]:
            for line in step.get("run", "").splitlines():
                if re.search(r"\bterraform (init|plan|apply|destroy)\b", line):
                    assert "-lock-timeout=" in line, f"{name}:{job_name}: waits for a held lock, never fails on it"


def test_plan_covers_every_stack_but_the_secrets_stacks():
    matrix = load("plan-stacks.yml")["jobs"]["plan"]["strategy"]["matrix"]["include"]
    assert [entry["stack"] for entry in matrix] == ["shared", *sorted(SHIPPED_WORKSPACES)]
    assert load("plan-stacks.yml")["jobs"]["plan"]["environment"] == "plan-${{ matrix.stack }}"
    (plan,) = [step for step in load("plan-stacks.yml")["jobs"]["plan"]["steps"] if step["name"] == "Plan"]
    assert plan["working-directory"] == "gated/stacks/${{ matrix.stack }}"


def test_pull_request_code_runs_without_credentials():
    """The workflow that runs the pull request's code can reach nothing: no token scope but
    contents: read, no environment, no secret, no AWS."""
    workflow = load("plan.yml")
    assert set(workflow[True]) == {"pull_request"}  # YAML 1.1: on -> True
    assert set(workflow["jobs"]) == {"synthesize", "bump-scope"}
    for job in workflow["jobs"].values():
        assert job["permissions"] == {"contents": "read"} and "environment" not in job
        for step in job["steps"]:
            assert "secrets." not in json.dumps(step) and "configure-aws-credentials" not in step.get("uses", "")


def test_credentials_exist_only_after_mains_gate_accepted_the_stacks():
    workflow = load("plan-stacks.yml")
    assert workflow[True] == {"workflow_run": {"workflows": ["plan"], "types": ["completed"]}}
    gate, plan = workflow["jobs"]["gate"], workflow["jobs"]["plan"]
    assert "id-token" not in gate["permissions"] and plan["needs"] == "gate"
    (checkout,) = [step for step in gate["steps"] if "actions/checkout@" in step.get("uses", "")]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    names = [step["name"] for step in gate["steps"]]
    gate_step = next(step for step in gate["steps"] if step["name"].startswith("Gate"))
    # The gate itself writes gated/ (re-serialized, main's backend and lock file); nothing else does.
    assert gate_step["run"] == ("python3 .ci/plan_gate.py untrusted/cdktf.out --out gated "
                                "--project environments/project.toml")
    writers = [step["name"] for step in gate["steps"] if "gated" in step.get("run", "")]
    assert writers == [gate_step["name"]]
    (keep,) = [step for step in gate["steps"] if step["name"] == "Keep the gated stacks"]
    assert keep["with"]["path"] == "gated" and names.index(gate_step["name"]) < names.index(keep["name"])
    downloads = [step["with"]["name"] for step in plan["steps"] if "download-artifact" in step.get("uses", "")]
    assert downloads == ["gated"], "the plan job reads only what the gate accepted"


GUARDED = " (plan, destructive-change guard, apply that plan)"
SMOKE = "Smoke checks inside the workspace (health, readiness, models, a completion; fails the job)"


def test_deploy_order_and_approvals():
    deploy = load("deploy.yml")["jobs"]
    assert deploy["deploy-dev"]["needs"] == ["deploy-shared"]
    assert deploy["deploy-staging"]["needs"] == ["deploy-shared", "deploy-dev", "deploy-dev-ci"]
    assert deploy["deploy-prod"]["needs"] == ["deploy-shared", "deploy-staging"]
    for stack in ("staging", "prod"):
        assert deploy[f"deploy-{stack}"]["environment"] == stack  # required reviewers live there
    dev_ci = [step["name"] for step in deploy["deploy-dev-ci"]["steps"]]
    assert dev_ci[-8:] == [f"Apply dev-ci-secrets (secret parameters, each written once){GUARDED}", f"Create{GUARDED}",
                           "Wait until the tasks are healthy (bounded by the AWS CLI waiter, 10 minutes)",
                           "Set up Python", "Install main.py (repository/)", SMOKE,
                           "Destroy", "Destroy dev-ci-secrets"]
    for name in ("Destroy", "Destroy dev-ci-secrets"):
        (destroy,) = [step for step in deploy["deploy-dev-ci"]["steps"] if step["name"] == name]
        assert destroy["if"] == "${{ always() }}"
    redis_auth = "Turn Redis AUTH on with the generated token (once; the token is never printed)"
    for stack in ("dev", "staging", "prod"):
        steps = deploy[f"deploy-{stack}"]["steps"]
        names = [step["name"] for step in steps]
        # The secrets stack first (it generates the token), then the workspace, then the token goes to Redis.
        assert names.index(f"Apply {stack}-secrets (secret parameters, each written once){GUARDED}") \
            < names.index(f"Apply{GUARDED}") < names.index(redis_auth), stack
        (step,) = [step for step in steps if step["name"] == redis_auth]
        assert step["run"].splitlines()[-1] == f".venv/bin/python main.py redis-auth --workspace {stack}"
        (checkout,) = [step for step in steps if "actions/checkout@" in step.get("uses", "")]
        assert checkout["with"] == {"path": "repository", "persist-credentials": False}
    assert redis_auth not in dev_ci, "dev-ci creates no Redis"


def test_deploys_run_from_main_only():
    workflow = load("deploy.yml")
    assert workflow[True]["push"] == {"branches": ["main"]}
    assert workflow["jobs"]["synthesize"]["if"] == "github.ref == 'refs/heads/main'"
    for job_name, job in workflow["jobs"].items():
        if job_name != "synthesize":
            assert "synthesize" in job["needs"] or any(need.startswith("deploy-") for need in job["needs"]), job_name


def test_plan_uploads_no_binary_plan():
    for step in load("plan-stacks.yml")["jobs"]["plan"]["steps"]:
        if "upload-artifact" in step.get("uses", ""):
            assert {Path(path).name for path in step["with"]["path"].splitlines()} == {"plan.txt", "plan.json"}


def test_every_apply_applies_the_plan_the_guard_passed():
    """No workflow applies anything but a saved plan that review/plan_review.py --guard accepted
    first (destroy steps of the ephemeral workspace aside)."""
    applies = 0
    for name, job_name, step in steps():
        script = step.get("run", "")
        if "terraform apply" not in script:
            continue
        applies += 1
        lines = [line.strip() for line in script.splitlines()]
        teardown = name == "destroy.yml"  # plan -destroy, and the guard told which stack is torn down
        plan = lines.index(f"terraform plan{' -destroy' if teardown else ''} -input=false -lock-timeout=10m -no-color "
                           "-out=plan.tfplan")
        guard = next(index for index, line in enumerate(lines) if "python3 -m review.plan_review --guard" in line)
        assert plan < guard < len(lines) - 1, (name, job_name)
        stack = step["working-directory"].removeprefix("cdktf.out/stacks/")
        assert ("--teardown" in lines[guard]) is teardown, (name, job_name)
        if teardown:
            assert f"--guard --teardown={stack} " in lines[guard], (name, job_name)
        assert lines[-1] == "terraform apply -input=false -lock-timeout=10m -auto-approve -no-color plan.tfplan"
    assert applies >= 12  # shared, three workspaces and their secrets stacks, dev-ci's two; destroy.yml's four


def test_pull_request_review_guards_every_planned_stack_from_mains_code():
    review = load("plan-stacks.yml")["jobs"]["review"]
    assert set(review["permissions"]) == {"contents", "actions", "pull-requests"}
    (checkout,) = [step for step in review["steps"] if "actions/checkout@" in step.get("uses", "")]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    (summary,) = [step for step in review["steps"] if step.get("id") == "review"]
    planned = [entry["stack"] for entry in load("plan-stacks.yml")["jobs"]["plan"]["strategy"]["matrix"]["include"]]
    assert [f"{stack}=plans/plan-{stack}/plan.json" for stack in planned] == \
        re.findall(r"(\S+=plans/plan-\S+/plan\.json)", summary["run"])
    assert "GITHUB_STEP_SUMMARY" in summary["run"]
    guard = review["steps"][-1]
    assert guard["env"] == {"STATUS": "${{ steps.review.outputs.status }}"} and "exit 1" in guard["run"]


def test_workspace_secrets_are_environment_scoped_static_names():
    for name, job_name, step in steps():
        for key, value in step.get("env", {}).items():
            if "secrets." in str(value):
                assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", value), f"{name}:{job_name}: {key}"


def test_image_bumps_are_pull_requests_and_nothing_pushes_to_main():
    """Every bump is a pull request of the App; only development ones ask for auto-merge (which the
    ruleset grants only past the required bump-scope check); no workflow pushes to main or applies."""
    workflow = load("image-bump.yml")
    assert workflow[True]["repository_dispatch"]["types"] == [workflows.DISPATCH_EVENT]  # YAML 1.1: on -> True
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"} and "id-token" not in json.dumps(workflow)
    (opening,) = [step for step in job["steps"] if step.get("name", "").startswith("Open the pull request")]
    assert opening["env"]["GH_TOKEN"] == "${{ steps.app-token.outputs.token }}"
    assert 'if [ "$AUTO_MERGE" = true ]; then\n  gh pr merge "$branch" --auto --squash\nfi' in opening["run"]
    for name, job_name, step in steps():
        script = step.get("run", "")
        assert "HEAD:main" not in script and "origin main" not in script, f"{name}:{job_name} pushes to main"
    (check,) = [step for step in load("plan.yml")["jobs"]["bump-scope"]["steps"] if "run" in step]
    assert check["run"].startswith("python3 -m delivery.bump_scope --repository=pull-request ")


def test_rendering_does_not_import_cdktf():
    probe = ("import sys\nimport main\nmain.main(['render-workflows', '--check'])\n"
             "print([m for m in sys.modules if m.startswith(('cdktf', 'jsii'))])")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().endswith("[]"), result.stdout + result.stderr


@pytest.mark.parametrize("name", workflows.WORKFLOWS)
def test_header_says_where_the_template_is(name):
    assert f"delivery/templates/workflows/{name}.j2" in (WORKFLOW_DIR / name).read_text().splitlines()[1]


def test_only_pull_requests_reuse_a_synthesis():
    """plan.yml restores the last synthesis before `main.py synth` (which reuses it only when its digest
    matches); a deploy synthesizes from nothing."""
    names = [step.get("uses", step.get("name", "")) for step in load("plan.yml")["jobs"]["synthesize"]["steps"]]
    cache = next(index for index, name in enumerate(names) if name.startswith("actions/cache@"))
    assert cache < names.index("Synthesize")
    for workflow in ("deploy.yml", "plan-stacks.yml", "image-bump.yml"):
        assert "actions/cache@" not in (ROOT / ".github" / "workflows" / workflow).read_text(), workflow


def test_drift_check_plans_what_pull_requests_plan_with_the_read_only_roles():
    drift = load("drift.yml")
    assert set(drift[True]) == {"schedule", "workflow_dispatch"}  # main's code only, never a pull request's
    plan = drift["jobs"]["plan"]
    assert plan["environment"] == "plan-${{ matrix.stack }}" and plan["permissions"] == {"id-token": "write"}
    assert plan["strategy"]["matrix"] == load("plan-stacks.yml")["jobs"]["plan"]["strategy"]["matrix"]
    (script,) = [step["run"] for step in plan["steps"] if step.get("name", "").startswith("Plan")]
    assert "-detailed-exitcode" in script and "terraform apply" not in script
    assert drift["jobs"]["issues"]["permissions"] == {"contents": "read", "issues": "write"}
    issue_script = drift["jobs"]["issues"]["steps"][-1]["with"]["script"]
    assert 'state: "closed"' in issue_script and "issues.create" in issue_script  # opened, updated, closed
    # Each workspace with a managed Redis: its AUTH checked with its plan role (DescribeReplicationGroups).
    redis = drift["jobs"]["redis-auth"]
    assert [entry["workspace"] for entry in redis["strategy"]["matrix"]["include"]] == ["dev", "prod", "staging"]
    assert redis["environment"] == "plan-${{ matrix.workspace }}"
    assert redis["steps"][-1]["run"] == '.venv/bin/python main.py redis-auth --workspace="$WORKSPACE" --check'



def run_issue_script(tmp_path: Path, statuses: dict[str, str], open_issues: list[dict]) -> list:
    """The drift workflow's issue step, run by Node.js against stand-ins of GitHub's client."""
    step = load("drift.yml")["jobs"]["issues"]["steps"][-1]
    for stack, status in statuses.items():
        directory = tmp_path / "drift" / f"drift-{stack}"
        directory.mkdir(parents=True)
        (directory / "status").write_text(status + "\n")
        if status == "drifted":
            (directory / "report.md").write_text(f"## Terraform plans\n\n{stack}: 1 to change\n")
    scenario = {"script": step["with"]["script"], "env": step["env"], "issues": open_issues, "run_id": 7}
    result = subprocess.run(["node", str(ROOT / "tests" / "github_script.mjs")], input=json.dumps(scenario),
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_drift_issues_are_opened_updated_and_closed(tmp_path):
    statuses = {"shared": "clean", "dev": "drifted", "dev-ci": "clean", "prod": "drifted", "staging": "clean"}
    open_issues = [{"number": 3, "title": "Drift: prod differs from main"},
                   {"number": 4, "title": "Drift: staging differs from main"}]
    calls = run_issue_script(tmp_path, statuses, open_issues)
    made = [(name, args.get("title"), args.get("issue_number"), args.get("state")) for name, args in calls
            if name in ("create", "update")]
    assert made == [("create", "Drift: dev differs from main", None, None),  # new drift: one issue
                    ("update", None, 3, None),                              # still drifted: updated
                    ("update", None, 4, "closed")]                          # clean again: closed
    (created,) = [args for name, args in calls if name == "create"]
    assert created["labels"] == ["drift"] and "dev: 1 to change" in created["body"]
    assert "actions/runs/7" in created["body"]
    assert not [call for call in calls if call[0] == "setFailed"]


def test_a_stack_without_a_plan_fails_the_drift_run_and_keeps_its_issue(tmp_path):
    statuses = {"shared": "clean", "dev": "failed", "dev-ci": "clean", "prod": "clean"}  # staging: no result at all
    calls = run_issue_script(tmp_path, statuses, [{"number": 9, "title": "Drift: dev differs from main"}])
    assert [call for call in calls if call[0] in ("create", "update")] == []
    assert ["setFailed", "no plan for dev, staging: see the plan jobs"] in calls


def test_every_workspace_apply_is_followed_by_the_smoke_checks():
    """deploy.yml: after each workspace's apply (and its Redis AUTH), `main.py smoke`, whose exit 1 fails
    the job (no `if`, no continue-on-error); dev-ci's comes before its destroy, which always runs."""
    deploy = load("deploy.yml")["jobs"]
    for stack in SHIPPED_WORKSPACES:
        steps = deploy[f"deploy-{stack}"]["steps"]
        names = [step["name"] for step in steps]
        (smoke,) = [step for step in steps if step["name"] == SMOKE]
        assert smoke == {"name": SMOKE, "working-directory": "repository",
                         "run": f".venv/bin/python main.py smoke --workspace {stack}"}, stack
        applied = names.index(f"Create{GUARDED}" if stack == "dev-ci" else f"Apply{GUARDED}")
        assert applied < names.index("Install main.py (repository/)") < names.index(SMOKE), stack
        redis = "Turn Redis AUTH on with the generated token (once; the token is never printed)"
        if redis in names:
            assert names.index(redis) < names.index(SMOKE), "AUTH first: no task starts without it"
    dev_ci = [step["name"] for step in deploy["deploy-dev-ci"]["steps"]]
    assert dev_ci.index(SMOKE) < dev_ci.index("Destroy")
    assert SMOKE not in [step["name"] for step in deploy["deploy-shared"]["steps"]]


def test_destroy_offers_development_and_staging_workspaces_only_from_main_with_approval():
    workflow = load("destroy.yml")
    (trigger,) = workflow[True].values()  # YAML 1.1: on -> True
    assert set(workflow[True]) == {"workflow_dispatch"}
    choice = trigger["inputs"]["workspace"]
    assert choice["type"] == "choice" and choice["required"] is True
    assert choice["options"] == ["dev", "staging"], "no production (nor the ephemeral dev-ci)"
    assert set(workflow["jobs"]) == {f"destroy-{name}" for name in choice["options"]}
    for name in choice["options"]:
        job = workflow["jobs"][f"destroy-{name}"]
        assert job["if"] == f"github.ref == 'refs/heads/main' && inputs.workspace == '{name}'"
        assert job["environment"] == name, "the workspace's environment: its reviewers and its deploy role"
        assert job["concurrency"] == {"group": f"terraform-{name}", "cancel-in-progress": False}, "as its deploy"
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        steps = job["steps"]
        names = [step["name"] for step in steps]
        assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["ref"] == "main"
        check = "Refuse unless the workspace may be torn down (not production, database not protected)"
        (refusal,) = [step for step in steps if step["name"] == check]
        assert refusal["run"] == f".venv/bin/python main.py teardown-check --workspace {name}"
        credentials = next(index for index, step in enumerate(steps)
                           if "configure-aws-credentials" in step.get("uses", ""))
        assert names.index(check) < names.index("Synthesize") < credentials
        destroys = [step for step in steps if "terraform apply" in step.get("run", "")]
        assert [step["working-directory"] for step in destroys] == [f"cdktf.out/stacks/{name}",
                                                                    f"cdktf.out/stacks/{name}-secrets"]
        assert all(step["name"].endswith("(plan -destroy, destructive-change guard, apply that plan)")
                   for step in destroys)
        assert "terraform destroy" not in json.dumps(steps), "only a saved plan the guard passed is applied"


@pytest.mark.parametrize("workspace, code, message", [
    ("dev", 0, "dev: may be torn down"),
    ("staging", 1, "staging.toml: database.deletion_protection = true"),
    ("prod", 1, "prod.toml: tier = 'production'"),
    ("dev-ci", 1, "dev-ci.toml: tier = 'ephemeral'"),
    ("nope", 1, "no workspace named 'nope'"),
])
def test_the_teardown_check_refuses_production_and_a_protected_database(workspace, code, message):
    result = run_main("teardown-check", "--workspace", workspace)
    assert result.returncode == code, result.stdout + result.stderr
    assert message in result.stdout + result.stderr


def test_the_guard_lets_a_teardown_through_only_in_destroy_yml(tmp_path):
    """What destroy.yml's guard step runs, on a destroy plan of dev with its database: passes with the
    step's --teardown, fails as deploy.yml's step would run it."""
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"format_version": "1.2", "resource_changes": [
        {"address": "aws_db_instance.database_instance", "mode": "managed", "type": "aws_db_instance",
         "name": "database_instance", "change": {"actions": ["delete"]}}]}))
    (destroy,) = [step for step in load("destroy.yml")["jobs"]["destroy-dev"]["steps"]
                  if step.get("working-directory") == "cdktf.out/stacks/dev"]
    guard_line = next(line for line in destroy["run"].splitlines() if "--guard" in line)
    arguments = re.search(r"plan_review (--guard.*) \"\$review\"", guard_line).group(1).split()
    for extra, code in ((arguments, 0), (["--guard"], 1)):
        result = subprocess.run([sys.executable, "-m", "review.plan_review", *extra, f"dev={plan}"],
                                capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert result.returncode == code, result.stderr
