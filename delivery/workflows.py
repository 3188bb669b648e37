"""GitHub Actions workflows, rendered with jinja2 from the list of workspaces.

    python main.py render-workflows           write .github/workflows/*.yml
    python main.py render-workflows --check   exit 1 when a committed workflow differs

The templates (delivery/templates/workflows/) use [[ ]] and [% %] as jinja delimiters, so
GitHub's own ${{ }} expressions pass through untouched. No cdktf import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from environments.loader import Environments
from environments.workspace import TEARDOWN_TIERS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates" / "workflows"
WORKFLOWS_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = ("plan.yml", "plan-stacks.yml", "deploy.yml", "image-bump.yml", "drift.yml", "destroy.yml")
DISPATCH_EVENT = "litellm-image-published"
TERRAFORM_VERSION = "1.11.4"
PYTHON_VERSION = "3.11"
NODE_VERSION = "20"
CHECKOV_VERSION = "3.3.30"
# What leaves a plan job of the plan as JSON: which resources change and how, never a value
# (`terraform show -json` prints sensitive values in clear). review/plan_review.py reads
# exactly these fields.
PLAN_CHANGES_JQ = ("{format_version, resource_changes: [.resource_changes[]? | {address, mode, type, "
                   "change: {actions: .change.actions, replace_paths: (.change.replace_paths // [])}}]}")

# Third-party actions, pinned to full commit SHAs (the comment names the release).
ACTIONS = {
    "checkout": "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2",
    "cache": "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684  # v4.2.3",
    "setup_python": "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065  # v5.6.0",
    "setup_node": "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020  # v4.4.0",
    "setup_terraform": "hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd  # v3.1.2",
    "aws_credentials": "aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df  # v4.2.1",
    "upload_artifact": "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02  # v4.6.2",
    "download_artifact": "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093  # v4.3.0",
    "github_script": "actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea  # v7.0.1",
    "app_token": "actions/create-github-app-token@df432ceedc7162793a195dd1713ff69aefc7379e  # v2.0.6",
}

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    block_start_string="[%", block_end_string="%]",
    variable_start_string="[[", variable_end_string="]]",
    comment_start_string="[#", comment_end_string="#]",
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    autoescape=False,
)


@dataclass(frozen=True)
class Stack:
    name: str
    region: str
    tier: str
    secrets_stack: str | None
    """The workspace's secrets stack: applied first, by the same deploy job, never planned on PRs."""
    managed_redis: bool = False
    """After the apply, `main.py redis-auth` turns AUTH on with the generated token."""


def stacks(environments: Environments) -> list[Stack]:
    project = environments.project
    found = [Stack(name="shared", region=project.region, tier="shared", secrets_stack=None)]
    for workspace in environments.workspaces:
        found.append(Stack(name=workspace.name, region=workspace.settings.region,
                           tier=workspace.settings.tier, secrets_stack=workspace.secrets_stack_id,
                           managed_redis=workspace.settings.redis is not None))
    return found


def deploy_needs(all_stacks: list[Stack]) -> dict[str, list[str]]:
    """Which jobs each deploy job waits for: shared first; development and ephemeral workspaces
    next; staging after those; production after staging."""
    by_tier: dict[str, list[str]] = {}
    for stack in all_stacks:
        by_tier.setdefault(stack.tier, []).append(f"deploy-{stack.name}")
    needs = {}
    for stack in all_stacks:
        if stack.tier == "shared":
            needs[stack.name] = ["synthesize"]
        elif stack.tier in ("development", "ephemeral"):
            needs[stack.name] = ["deploy-shared"]
        elif stack.tier == "staging":
            needs[stack.name] = ["deploy-shared", *by_tier.get("development", []), *by_tier.get("ephemeral", [])]
        else:
            earlier = by_tier.get("staging") or by_tier.get("development", [])
            needs[stack.name] = ["deploy-shared", *earlier]
    return needs


def render(environments: Environments) -> dict[str, str]:
    all_stacks = stacks(environments)
    context = {
        "actions": ACTIONS,
        "stacks": all_stacks,
        "deploy_needs": deploy_needs(all_stacks),
        "workspaces": [stack for stack in all_stacks if stack.name != "shared"],
        "teardown_workspaces": [stack for stack in all_stacks if stack.tier in TEARDOWN_TIERS],
        "dispatch_event": DISPATCH_EVENT,
        "terraform_version": TERRAFORM_VERSION,
        "python_version": PYTHON_VERSION,
        "node_version": NODE_VERSION,
        "checkov_version": CHECKOV_VERSION,
        "plan_changes_jq": PLAN_CHANGES_JQ,
    }
    return {name: _environment.get_template(f"{name}.j2").render(**context) for name in WORKFLOWS}


def write(environments: Environments, directory: Path = WORKFLOWS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render(environments).items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


def stale(environments: Environments, directory: Path = WORKFLOWS_DIR) -> list[str]:
    """Workflows whose committed text differs from a fresh render."""
    return [name for name, text in render(environments).items()
            if not (directory / name).is_file() or (directory / name).read_text() != text]
