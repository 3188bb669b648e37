"""Run checkov on synthesized stacks and fail on any finding the allowlist does not explain.

    python .ci/checkov_gate.py [--checkov PATH | --report FILE] [--allowlist FILE] [--save-report FILE]
                               [--scope EXAMPLE] OUTDIR

OUTDIR is a cdktf output directory (cdktf.out). checkov scans every stack with the
terraform_json framework; each failed check is resolved to its full resource address (checkov
names some resources only as `resource.<name>`; names are unique across types in every stack).

checkov 3.3.30's terraform_json parser rejects a whole file whose `terraform` block holds
`required_version` (a string where it expects blocks), so checkov reads copies without that one
key, which no check looks at. A file checkov still cannot parse fails the gate.

Exit 1 when a finding is not in the allowlist, when checkov could not parse a stack, when an
allowlist entry no longer matches a finding (stale entries hide future regressions), or when an
entry's reason is missing or shorter than 10 characters.

With --scope EXAMPLE (an examples/ directory's synthesized output), stacks are named
EXAMPLE/<stack>: an allowlist entry lists them beside the shipped stacks it applies to, so one
reason covers both, and neither run finds the other's entries stale. Inline skip comments do not exist in
cdktf JSON; this file is the only place a finding can be accepted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

DEFAULT_ALLOWLIST = Path(__file__).resolve().parent / "policy-allowlist.toml"
MIN_REASON = 10

Finding = tuple[str, str, str]  # (check id, resource address, stack)


def checkov_readable_copy(outdir: Path, target: Path) -> None:
    for stack_file in (outdir / "stacks").glob("*/cdk.tf.json"):
        document = json.loads(stack_file.read_text())
        document.get("terraform", {}).pop("required_version", None)
        (target / "stacks" / stack_file.parent.name).mkdir(parents=True)
        (target / "stacks" / stack_file.parent.name / "cdk.tf.json").write_text(json.dumps(document))


def run_checkov(checkov: str, outdir: Path) -> list[dict]:
    with tempfile.TemporaryDirectory() as directory:
        checkov_readable_copy(outdir, Path(directory))
        result = subprocess.run(
            [checkov, "--directory", str(Path(directory) / "stacks"), "--framework", "terraform_json",
             "--output", "json", "--compact", "--skip-download"],
            capture_output=True, text=True, timeout=900,
        )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise SystemExit(f"checkov failed ({result.returncode}):\n{result.stderr[-4000:]}")
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


def addresses_by_name(outdir: Path, stack: str) -> dict[str, str]:
    document = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())
    names: dict[str, str] = {}
    for block, prefix in (("resource", ""), ("data", "data.")):
        for resource_type, elements in document.get(block, {}).items():
            for name in elements:
                names[name] = f"{prefix}{resource_type}.{name}"
    return names


def scoped(stack: str, scope: str | None) -> str:
    return f"{scope}/{stack}" if scope else stack


def findings(reports: list[dict], outdir: Path, scope: str | None) -> set[Finding]:
    found: set[Finding] = set()
    for report in reports:
        for failed in report.get("results", {}).get("failed_checks", []):
            stack = Path(failed["file_path"]).parts[-2]
            name = failed["resource"].split(".")[-1]
            address = addresses_by_name(outdir, stack).get(name)
            if address is None:
                raise SystemExit(f"checkov reported {failed['resource']} in {stack}, which the stack does not define")
            found.add((failed["check_id"], address, scoped(stack, scope)))
    return found


def allowed(allowlist: Path) -> tuple[set[Finding], list[str]]:
    entries = tomllib.loads(allowlist.read_text()).get("checkov", [])
    accepted: set[Finding] = set()
    problems = []
    for entry in entries:
        reason = entry.get("reason", "").strip()
        if len(reason) < MIN_REASON:
            problems.append(
                f"{entry.get('check')} {entry.get('resource')}: reason missing or shorter than {MIN_REASON}"
            )
        for stack in entry["stacks"]:
            accepted.add((entry["check"], entry["resource"], stack))
    return accepted, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--checkov", default="checkov", help="checkov executable (default: checkov on PATH)")
    source.add_argument("--report", type=Path, help="use an existing checkov JSON report instead of running it")
    parser.add_argument("--allowlist", type=Path, default=DEFAULT_ALLOWLIST)
    parser.add_argument("--save-report", type=Path, metavar="FILE", help="also write checkov's JSON report here")
    parser.add_argument("--scope", metavar="EXAMPLE", help="OUTDIR is this example's: its stacks are EXAMPLE/<stack>")
    parser.add_argument("outdir", type=Path)
    args = parser.parse_args()

    reports = json.loads(args.report.read_text()) if args.report else run_checkov(args.checkov, args.outdir)
    reports = reports if isinstance(reports, list) else [reports]
    if args.save_report:
        args.save_report.write_text(json.dumps(reports))
    found = findings(reports, args.outdir, args.scope)
    accepted, problems = allowed(args.allowlist)
    scanned = {scoped(path.parent.name, args.scope) for path in (args.outdir / "stacks").glob("*/cdk.tf.json")}
    new = sorted(found - accepted)
    stale = sorted(entry for entry in accepted - found if entry[2] in scanned)
    passed = sum(report.get("summary", {}).get("passed", 0) for report in reports)
    unparsed = sum(report.get("summary", {}).get("parsing_errors", 0) for report in reports)
    if unparsed:
        problems.append(f"checkov could not parse {unparsed} stack file(s): nothing in them was checked")

    for check, address, stack in new:
        problems.append(f"NEW finding {check} on {address} in {stack}: fix it, or allowlist it with a reason")
    for check, address, stack in stale:
        problems.append(f"STALE allowlist entry {check} on {address} in {stack}: no longer found, remove it")
    print(f"checkov: {passed} passed, {len(found)} failed, {len(found & accepted)} allowlisted with a reason, "
          f"{len(new)} new, {len(stale)} stale ({len(scanned)} stacks)")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
