"""Plan review: one summary of many `terraform show -json` plans, and a guard against destroying
what cannot be rebuilt.

    python -m review.plan_review [--allow FILE] [--guard] [--output FILE] STACK=PLAN_JSON...
    python main.py plan-report ...   (the same)

A STACK=PLAN_JSON whose file is missing or unreadable is an errored stack (its plan job failed):
the report says so, nothing else is assumed about it. The report is Markdown for a pull-request
comment and the job summary, cut to GitHub's comment limit with a pointer to the artifacts.

The guard (--guard) exits 1 when a plan destroys or replaces a stateful or identity resource
(PROTECTED) that the allow file does not list for that stack with a reason. The allow file is
reviewed like code: .ci/allowed-destruction.toml.

A teardown (destroy.yml) names its stacks with --teardown STACK instead: every destruction in that
stack's plan is allowed only if the plan destroys and does nothing else (no create, update or
replace hides in it), and never for the state stack. The approval of the destroy run in the
workspace's GitHub environment is the review.

Only the standard library: the plan workflow runs this from main's checkout with no install.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MARKER = "<!-- litellm-infra:plans -->"
# GitHub refuses comments over 65536 characters; keep room for the closing pointer.
COMMENT_LIMIT = 65_000
MIN_REASON = 20
EXIT_GUARD = 1
EXIT_USAGE = 2

# Resource type -> why destroying or replacing it matters. A replacement is a destruction: the
# new resource starts empty.
PROTECTED: dict[str, str] = {
    "aws_db_instance": "LiteLLM's database: virtual keys, teams, budgets and spend; a new instance starts empty",
    "aws_efs_file_system": "the model cache: every task downloads its models again before it can serve",
    "aws_kms_key": "everything encrypted with the key (state, logs, database, snapshots) becomes unreadable",
    "aws_dynamodb_table": "the state lock table: every plan and apply fails without it",
    "aws_ecr_repository": "the images the workspaces run; a new repository is empty",
    "aws_elasticache_replication_group": "rate-limit counters and caches are lost, and AUTH must be turned on "
                                         "again (main.py redis-auth)",
    "aws_iam_openid_connect_provider": "GitHub's identity in the account: no workflow can reach AWS without it",
    "aws_s3_bucket": "the Terraform state of every stack",
    "aws_ssm_parameter": "LiteLLM's salt key: the provider credentials stored in the database are encrypted with "
                         "it and become unreadable",
}
STATE_STACK = "bootstrap"


@dataclass(frozen=True)
class Change:
    address: str
    resource_type: str
    action: str  # create, update, replace, delete
    forced_by: tuple[str, ...] = ()


@dataclass
class StackPlan:
    stack: str
    changes: list[Change] = field(default_factory=list)
    error: str | None = None

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)


@dataclass(frozen=True)
class Destruction:
    stack: str
    change: Change
    why: str


ACTIONS = {("create",): "create", ("update",): "update", ("delete",): "delete",
           ("delete", "create"): "replace", ("create", "delete"): "replace"}


def read_plan(stack: str, path: Path) -> StackPlan:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return StackPlan(stack, error="no plan: the plan job failed (see the workflow run)")
    except (OSError, ValueError) as error:
        return StackPlan(stack, error=f"the plan could not be read: {error}")
    if not isinstance(document, dict) or "format_version" not in document:
        return StackPlan(stack, error="not the output of `terraform show -json` of a plan")
    changes = []
    for resource in document.get("resource_changes", []):
        if resource.get("mode") != "managed":
            continue
        action = ACTIONS.get(tuple(resource["change"]["actions"]))
        if action is None:  # no-op, read, forget
            continue
        forced = tuple(".".join(str(step) for step in path) for path in resource["change"].get("replace_paths", []))
        changes.append(Change(resource["address"], resource["type"], action, forced))
    return StackPlan(stack, changes)


def destructions(plan: StackPlan) -> list[Destruction]:
    """The plan's deletions and replacements of PROTECTED resources. S3 buckets count in the state
    stack only; SSM parameters only for the salt key."""
    found = []
    for change in plan.changes:
        if change.action not in ("delete", "replace") or change.resource_type not in PROTECTED:
            continue
        if change.resource_type == "aws_s3_bucket" and plan.stack != STATE_STACK:
            continue
        if change.resource_type == "aws_ssm_parameter" and "salt_key" not in change.address:
            continue
        found.append(Destruction(plan.stack, change, PROTECTED[change.resource_type]))
    return found


class AllowFileError(ValueError):
    """The allow file is malformed; the message names the entry and the fix."""


def read_allowances(path: Path | None) -> dict[tuple[str, str], str]:
    if path is None or not path.exists():
        return {}
    try:
        document = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise AllowFileError(f"{path}: not valid TOML: {error}") from None
    unknown = set(document) - {"allow"}
    if unknown:
        raise AllowFileError(f"{path}: unknown key(s) {sorted(unknown)}; only [[allow]] entries belong here")
    allowed = {}
    for index, entry in enumerate(document.get("allow", [])):
        where = f"{path}: allow[{index}]"
        if set(entry) != {"stack", "address", "reason"}:
            raise AllowFileError(f"{where}: needs exactly stack, address and reason (has {sorted(entry)})")
        if len(str(entry["reason"]).strip()) < MIN_REASON:
            raise AllowFileError(f"{where}: the reason must say why losing this resource is accepted "
                                 f"(at least {MIN_REASON} characters)")
        allowed[(entry["stack"], entry["address"])] = entry["reason"]
    return allowed


def _headline(plan: StackPlan) -> str:
    if plan.error:
        return plan.error
    if not plan.changes:
        return "no changes"
    parts = [f"{plan.count(action)} to {verb}" for action, verb in
             (("create", "add"), ("update", "change"), ("replace", "replace"), ("delete", "destroy"))
             if plan.count(action)]
    return ", ".join(parts)


def topology_changes(head: Path | None, base: Path | None) -> dict[str, str]:
    """Mermaid diagrams (docs/diagrams/<workspace>.md) of the pull request that differ from the base
    branch's, by workspace. The pull request's files are untrusted: only the flowchart inside the
    mermaid fence is kept, and none with a backtick in it (it could end the fence)."""
    if head is None or base is None or not head.is_dir():
        return {}
    changed = {}
    for path in sorted(head.glob("*.md")):
        theirs = path.read_text()
        ours = (base / path.name).read_text() if (base / path.name).is_file() else None
        if theirs == ours:
            continue
        match = re.search(r"```mermaid\n(.*?)```", theirs, re.S)
        if match and "`" not in match.group(1):
            changed[path.stem] = match.group(1)
    return changed


def read_totals(path: Path | None) -> dict[str, float]:
    """Workspace -> monthly total from `main.py cost --json` output; the pull request's copy is untrusted,
    so only workspace names and numbers are taken from it."""
    if path is None or not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {name: float(entry["total"]) for name, entry in document.items()
            if re.fullmatch(r"[a-z][a-z0-9-]{0,23}", name) and isinstance(entry, dict)
            and isinstance(entry.get("total"), (int, float))}


def cost_lines(head: dict[str, float], base: dict[str, float]) -> list[str]:
    if not head:
        return []
    lines = ["", "### Monthly cost, fixed part (`python main.py cost`)", "",
             "| workspace | base USD | head USD | change |", "|---|---:|---:|---:|"]
    for name in sorted(set(head) | set(base)):
        before, after = base.get(name), head.get(name)
        change = f"{after - before:+.2f}" if before is not None and after is not None else "new" if before is None \
            else "removed"
        lines.append(f"| {name} | {'' if before is None else f'{before:.2f}'} | "
                     f"{'' if after is None else f'{after:.2f}'} | {change} |")
    return lines


def report(plans: list[StackPlan], blocked: list[Destruction], allowed: list[Destruction],
           artifact_hint: str, unused: list[tuple[str, str]] = (), topology: dict[str, str] | None = None,
           costs: tuple[dict[str, float], dict[str, float]] = ({}, {})) -> str:
    lines = [MARKER, "## Terraform plans", "", "| stack | add | change | replace | destroy | |",
             "|---|---:|---:|---:|---:|---|"]
    for plan in plans:
        if plan.error:
            lines.append(f"| {plan.stack} | | | | | :x: {plan.error} |")
            continue
        counts = " | ".join(str(plan.count(action)) for action in ("create", "update", "replace", "delete"))
        flag = ":warning: destroys state" if any(item.stack == plan.stack for item in blocked) else ""
        lines.append(f"| {plan.stack} | {counts} | {flag} |")
    if blocked:
        lines += ["", "### :no_entry: Destructive changes (the check fails)", ""]
        lines += [_destruction_line(item) for item in blocked]
        lines += ["", "If this is intended, list each in `.ci/allowed-destruction.toml` (stack, address, reason) "
                      "in this pull request; reviewers approve that file with the change."]
    if allowed:
        lines += ["", "### Destructive changes allowed by `.ci/allowed-destruction.toml`", ""]
        lines += [_destruction_line(item) for item in allowed]
    if unused:
        lines += ["", "Entries of `.ci/allowed-destruction.toml` no plan here needs (remove them once deployed): "
                  + ", ".join(f"{stack}: `{address}`" for stack, address in unused)]
    lines += cost_lines(*costs)
    for workspace, flowchart in (topology or {}).items():
        lines += ["", f"### Topology of {workspace} changes", "", "```mermaid", flowchart.rstrip("\n"), "```"]
    head = "\n".join(lines) + "\n"
    details = []
    for plan in plans:
        if plan.error or not plan.changes:
            continue
        rows = "\n".join(f"| {change.action} | `{change.address}` |" for change in plan.changes)
        details.append(f"\n<details><summary><b>{plan.stack}</b>: {_headline(plan)}</summary>\n\n"
                       f"| action | resource |\n|---|---|\n{rows}\n</details>\n")
    pointer = f"\n_Cut to fit a comment: {artifact_hint}._\n"
    body = head
    for block in details:
        if len(body) + len(block) + len(pointer) > COMMENT_LIMIT:
            return body + pointer
        body += block
    return body


def _destruction_line(item: Destruction) -> str:
    verb = "replaced" if item.change.action == "replace" else "destroyed"
    forced = f" (forced by `{'`, `'.join(item.change.forced_by)}`)" if item.change.forced_by else ""
    return f"- **{item.stack}**: `{item.change.address}` {verb}{forced}: {item.why}"


def parse_plan_arguments(values: list[str]) -> list[tuple[str, Path]]:
    pairs = []
    for value in values:
        stack, separator, path = value.partition("=")
        if not separator or not stack or not path:
            raise ValueError(f"{value!r}: write STACK=PLAN_JSON, e.g. dev=plans/dev/plan.json")
        pairs.append((stack, Path(path)))
    return pairs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plans", nargs="+", metavar="STACK=PLAN_JSON",
                        help="a stack's `terraform show -json` plan; a missing file means its plan failed")
    parser.add_argument("--allow", type=Path, default=Path(".ci/allowed-destruction.toml"),
                        help="reviewed destructive changes (default: .ci/allowed-destruction.toml)")
    parser.add_argument("--guard", action="store_true", help="exit 1 on a destructive change not allowed")
    parser.add_argument("--teardown", action="append", default=[], metavar="STACK",
                        help="allow every destruction of STACK's plan if that plan only destroys (destroy.yml)")
    parser.add_argument("--output", type=Path, help="write the Markdown here instead of stdout")
    parser.add_argument("--diagrams", type=Path, metavar="DIR",
                        help="the pull request's docs/diagrams: a workspace whose diagram differs is shown")
    parser.add_argument("--base-diagrams", type=Path, metavar="DIR", help="the base branch's docs/diagrams")
    parser.add_argument("--cost", type=Path, metavar="FILE", help="the pull request's `main.py cost --json`")
    parser.add_argument("--base-cost", type=Path, metavar="FILE", help="the base branch's docs/cost.json")
    parser.add_argument("--artifact-hint", default="the plan artifacts of this run hold every change",
                        help="where the whole plans are, for a cut report")


def run(args: argparse.Namespace) -> int:
    try:
        pairs = parse_plan_arguments(args.plans)
        allowances = read_allowances(args.allow)
    except (ValueError, AllowFileError) as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    plans = [read_plan(stack, path) for stack, path in pairs]
    found = [item for plan in plans for item in destructions(plan)]
    try:
        allowances = allowances | teardown_allowances(plans, found, args.teardown)
    except ValueError as error:
        print(error, file=sys.stderr)
        return EXIT_GUARD
    blocked = [item for item in found if (item.stack, item.change.address) not in allowances]
    allowed = [item for item in found if (item.stack, item.change.address) in allowances]
    planned = {plan.stack for plan in plans if plan.error is None}
    used = {(item.stack, item.change.address) for item in allowed}
    unused = sorted(key for key in allowances if key[0] in planned and key not in used)
    topology = topology_changes(args.diagrams, args.base_diagrams)
    costs = (read_totals(args.cost), read_totals(args.base_cost))
    markdown = report(plans, blocked, allowed, args.artifact_hint, unused, topology, costs)
    if args.output:
        args.output.write_text(markdown)
    else:
        sys.stdout.write(markdown)
    for item in blocked:
        print(f"destructive change: {item.stack}: {item.change.address} ({item.change.action}): {item.why}",
              file=sys.stderr)
    return EXIT_GUARD if args.guard and blocked else 0


def teardown_allowances(plans: list[StackPlan], found: list[Destruction],
                        stacks: list[str]) -> dict[tuple[str, str], str]:
    """The destructions a teardown of `stacks` may make: all of their plans', if those plans only destroy."""
    allowed = {}
    by_stack = {plan.stack: plan for plan in plans}
    for stack in stacks:
        plan = by_stack.get(stack)
        if stack == STATE_STACK:
            raise ValueError(f"--teardown {stack}: the state stack is never torn down by a workflow")
        if plan is None or plan.error is not None:
            raise ValueError(f"--teardown {stack}: no readable plan of {stack} is given")
        others = [change for change in plan.changes if change.action != "delete"]
        if others:
            listed = ", ".join(f"{change.address} ({change.action})" for change in others[:5])
            raise ValueError(f"--teardown {stack}: a teardown's plan only destroys; this one does more: {listed}")
        for item in found:
            if item.stack == stack:
                allowed[(stack, item.change.address)] = f"teardown of {stack}, approved in its destroy run"
    return allowed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plan-report", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
