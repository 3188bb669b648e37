"""Mutation score of the code that decides what a pull request or a CI role may do: mutmut 3 over
(target `gate`) the plan gate, its template scanner, the bump-scope check and the image rules, and
(target `policies`) the CI roles' IAM documents, the permissions boundary and the model's rules,
each against its own tests.

    .venv/bin/pip install -e '.[mutation]'
    .venv/bin/python benchmarks/mutation.py [--target gate|policies] [--max-children 2]

mutmut mutates functions one change at a time and runs the tests that reach each (in-process, forked:
the tests call the gate's main() in-process). It works in a scratch copy under .cache/mutation-<target>,
never in the work tree, and the result goes to benchmarks/results/mutation-<target>.md with every
surviving mutant: each one gets a test, or a written reason in SURVIVOR_REASONS below that it cannot matter.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    title: str
    mutated: list[str]
    tests: list[str]
    # Tests left out of the mutation runs, each with the reason.
    deselected: dict[str, str]

    def scratch(self, name: str) -> Path:
        return ROOT / ".cache" / f"mutation-{name}"

    def result(self, name: str) -> Path:
        return ROOT / "benchmarks" / "results" / f"mutation-{name}.md"


TARGETS = {
    "gate": Target(
        title="the plan gate, the bump-scope check and the image rules",
        mutated=["review/plan_gate.py", "review/hcl_templates.py", "delivery/bump_scope.py", "environments/images.py"],
        tests=["tests/test_plan_gate.py", "tests/test_bump_scope.py", "tests/test_images.py"],
        # The entry point runs the gate with -I -S (standard library only), where mutmut's trampoline
        # cannot be imported: it tests the packaging, not the logic.
        deselected={"tests/test_plan_gate.py::test_the_entry_point_runs_with_the_standard_library_only":
                    "runs the gate with -I -S, where mutmut's trampoline cannot be imported"},
    ),
    "policies": Target(
        title="the CI roles' IAM documents, the permissions boundary and the model's rules",
        mutated=["modules/ci_access/policies.py", "modules/ci_access/boundary.py", "environments/rules.py"],
        tests=["tests/test_ci_access.py", "tests/test_environment_rules.py", "tests/test_field_formats.py"],
        deselected={},
    ),
}
# Lines not mutated, each kind with the reason it cannot change what the gate, the check or the rule lets
# through: the refusal stands whatever its message says (tests check the part of each message that
# names the finding), output and argparse wiring are exercised by the tests that call the commands
# with the workflows' exact arguments.
NOT_MUTATED = {
    r"raise (Finding|TemplateError|OutOfScope|ImageReferenceError|RedisAuthRefused)\(": "a refusal's message text",
    r"^\s*f?[\"'][^\"']*[\"']\s*\)*,?\s*$": "a message's continuation line (text only)",
    r"print\(": "what a command prints",
    r"add_argument\(|ArgumentParser\(": "argparse wiring and help text",
}
# Mutants that survive and cannot change what the gate lets through, each with the reason. (mutmut names
# mutants by position: a change to a mutated function renumbers them, and the run says which lack one.)
_SCRATCH_DIRECTORY = ("where the scratch directory is made: elsewhere than beside DEST, the final rename fails "
                      "across file systems (EXDEV), loudly, and nothing half-written is published")
_WHITESPACE = "the written JSON's layout (indent, key order): Terraform reads the same configuration"
_NAN = "allow_nan on writing: parsing already refused NaN and infinities, none can reach the writer"
_CLEANUP = ("cleaning up after a failed write: an error there is a second exception, which main()'s catch-all "
            "reports as the same one line and exit 1")
_CODEC = "the codec is UTF-8 and strict either way (Python's defaults, and codec names are case-insensitive)"
_GIT_FAILURE = ("git's exit status and timeout: a failed git gives empty output, which the check refuses as "
                "'changes one workspace file ... []' (fail closed)")
_NO_MATCH = "a tag that names no release: '' and 'XXXX' both fail the release pattern"
_WHERE = ("a path or a block's name that only goes into a finding's text: the stack is refused all the same "
          "(the tests pin the path of the findings where it matters)")
_MISSING = "a stack without this block: refused either way, by another finding"
_SID = "a statement's Sid: a label, it grants nothing"
_NONE_IS_FALSE = "None for False: the flag is only tested for truth, and None is false"
_UNUSED_GROUP = ("_other_groups_denied does not read its `group` argument (what it denies comes from `others`): "
                 "passing None changes nothing")
_LATER_RULES_TEST = ("killed by a test added after this run began (tests/test_environment_rules.py: boundaries, "
                     "the field and value each message names), each checked by applying the mutant by hand")
_MESSAGE = "the text of a rule's message: the tests check the fragments that name the field, the value and the fix"
_EXACT_FIT = ("the exact boundary of an estimate (a value equal to the limit refused as well): the rule's margin "
              "is in its headroom, one MiB or one connection either way")
_CLOSED = ("the end of the text inside an interpolation: the scanner reads an identifier or a `::` only "
           "inside `${...}`, which its closing brace always follows, so the index never reaches the end there")
_NAMESPACE = ("how a `::` namespace joins a call's name when a segment is one character long: Terraform knows only "
              "the `provider::` and `core::` namespaces, and any other is an error at plan; either way a call "
              "named with a namespace is not in FUNCTIONS and is refused")
_REREAD = ("the scan moves back (or stops short) instead of past a character: the characters are read again, "
           "and every call after them is still found (tests: an interpolation right after an escaped quote, the "
           "scanner's escaped-quote case)")
_LATER_GATE_TEST = ("killed by a test added after this run began, checked by applying the mutant by hand "
                    "(tests/test_plan_gate.py: an interpolation right after an escape and after an escaped quote, "
                    "a directive after text, --state-bucket naming the backend the gate requires)")
SURVIVOR_REASONS: dict[str, str] = {
    "review.plan_gate.x_shown__mutmut_5": "a name exactly SHOWN characters long is shown cut with '...': cosmetic",
    "review.plan_gate.x_shown__mutmut_7": "the marker of a cut name in a message: text",
    **{f"review.plan_gate.x_parse__mutmut_{n}": _CODEC for n in (7, 8, 10)},
    **{f"review.plan_gate.x_write__mutmut_{n}": _SCRATCH_DIRECTORY for n in (3, 4, 5, 6)},
    **{f"review.plan_gate.x_write__mutmut_{n}": _WHITESPACE for n in (18, 19, 22, 23, 25, 26)},
    **{f"review.plan_gate.x_write__mutmut_{n}": _NAN for n in (20, 24, 27)},
    **{f"review.plan_gate.x_write__mutmut_{n}": _CLEANUP for n in (36, 38, 39)},
    **{f"delivery.bump_scope.x_git__mutmut_{n}": _GIT_FAILURE for n in (4, 5, 9, 10, 18, 19)},
    "environments.images.x_parse_image__mutmut_2": ("the 512-character limit at exactly 512: no valid reference "
                                                    "is that long (255 name + 1 + 128 tag + 1 + 71 digest = 456)"),
    "environments.images.x_parse_image__mutmut_22": ("whether 'localhost' counts as a registry host: it is lower "
                                                     "case, and the case rule is all that depends on it"),
    **{f"review.plan_gate.x_check_terraform__mutmut_{n}": _WHERE
       for n in (4, 9, 20, 21, 22, 23, 26, 30, 31, 35, 40, 51)},
    **{f"review.plan_gate.x_check_terraform__mutmut_{n}": _MISSING for n in (14, 16, 45, 47)},
    **{f"review.plan_gate.x_body_of__mutmut_{n}": _WHERE for n in (14, 21)},
    **{f"review.plan_gate.x_check_providers__mutmut_{n}": _WHERE for n in (22, 31, 71)},
    **{f"review.plan_gate.x_check_providers__mutmut_{n}": _MISSING for n in (9, 11)},
    **{f"review.plan_gate.x_check_stack__mutmut_{n}": _WHERE for n in (3, 7, 8, 82, 87)},
    **{f"review.plan_gate.x_check_terraform__mutmut_{n}": _WHERE for n in (52, 53, 54, 57, 63, 64)},
    **{f"review.plan_gate.x_default_tags__mutmut_{n}": _WHERE for n in (3, 8, 13, 14, 17, 32)},
    **{f"review.plan_gate.x_unique_outputs__mutmut_{n}": _WHERE for n in (3, 8, 19, 20, 21, 22)},
    "review.plan_gate.x_read_stack__mutmut_18": (
        "O_NOFOLLOW dropped: read_stack refuses a symlink at every path part with lstat before it opens "
        "(test_symlinks_are_refused_not_followed); O_NOFOLLOW closes the window between that lstat and the "
        "open, a race a test cannot produce deterministically"),
    **{f"review.plan_gate.x_read_stack__mutmut_{n}": (
        "how much is read before the size check: reading more (or everything) still refuses a stack over "
        "MAX_STACK_BYTES with the same finding; only the memory used differs") for n in (25, 27)},
    "environments.images.x_litellm_release__mutmut_4": _NO_MATCH,
    "review.hcl_templates.x__identifier__mutmut_4": _CLOSED,
    **{f"review.hcl_templates.x__identifier__mutmut_{n}": _CLOSED for n in (16, 18)},
    **{f"review.hcl_templates.x__identifier__mutmut_{n}": _NAMESPACE for n in (17, 19, 20)},
    "review.hcl_templates.x__identifier__mutmut_24": _NAMESPACE,
    **{f"review.hcl_templates.x__identifier__mutmut_{n}": _CLOSED for n in (30, 36)},
    "review.hcl_templates.x__expression__mutmut_55": _REREAD,
    **{f"review.hcl_templates.x__template__mutmut_{n}": _REREAD for n in (7, 8)},
    **{f"review.hcl_templates.x__template__mutmut_{n}": _LATER_GATE_TEST for n in (9, 24, 40, 42)},
    **{f"review.plan_gate.x_main__mutmut_{n}": _LATER_GATE_TEST for n in (5, 7)},
    "review.hcl_templates.x_called_functions__mutmut_6": "None for False: `quoted` is only tested for truth",
    **{f"review.plan_gate.x_main__mutmut_{n}": (
        "what the one-line failure or the summary says (the error's text, where the stacks were written): "
        "the exit status and the files written are the same") for n in (28, 29, 33, 35)},
    # Target `policies`.
    "modules.ci_access.policies.x__edge__mutmut_12": ("IAM action names are case-insensitive: CLOUDFRONT:* is "
                                                      "cloudfront:*"),
    **{f"modules.ci_access.policies.x__edge__mutmut_{n}": _SID for n in (13, 14, 15)},
    **{f"modules.ci_access.policies.x_plan_policy__mutmut_{n}": _NONE_IS_FALSE for n in (13, 133)},
    "modules.ci_access.policies.x_plan_policy__mutmut_121": _UNUSED_GROUP,
    "modules.ci_access.policies.x_deploy_policy__mutmut_160": _UNUSED_GROUP,
    "environments.rules.x__ranges__mutmut_4": _LATER_RULES_TEST,
    **{f"environments.rules.{name}": _LATER_RULES_TEST for name in (
        "x_workspace_name__mutmut_13", "x_availability_zones__mutmut_9", "x_availability_zones__mutmut_10",
        "x_availability_zones__mutmut_11", "x_availability_zones__mutmut_12", "x_availability_zones__mutmut_20",
        "x_cidr_layout__mutmut_29", "x_cdn__mutmut_13", "x_admin_access__mutmut_6", "x_database__mutmut_2",
        "x_shared_state__mutmut_21", "x_shared_state__mutmut_22", "x_timeouts__mutmut_11", "x_images__mutmut_14",
        "x_models_in_service__mutmut_11")},
    **{f"environments.rules.{name}": _MESSAGE for name in (
        "x_cdn__mutmut_7", "x_cdn__mutmut_8", "x_cdn__mutmut_14", "x_cdn__mutmut_15", "x_production__mutmut_25",
        "x_task_counts__mutmut_6", "x_task_size__mutmut_34", "x_task_size__mutmut_52",
        "x_ollama_memory__mutmut_61")},
    "environments.rules.x_ollama_memory__mutmut_13": _NONE_IS_FALSE,
    **{f"environments.rules.x_ollama_memory__mutmut_{n}": (
        "zip's strict flag: both lists are built from the same `served` list, one item each, so their "
        "lengths are always equal") for n in (18, 21, 22)},
    "environments.rules.x_ollama_memory__mutmut_39": (
        "1,000,001 bytes for 1,000,000 per MB: one part in a million of the weights' estimate, under the "
        "rounding to MiB and the 10 % headroom the rule adds"),
    "environments.rules.x_ollama_memory__mutmut_59": _EXACT_FIT,
    "environments.rules.x_database_connections__mutmut_17": _EXACT_FIT,
    "environments.rules.x_database_connections__mutmut_7": (
        "`and` for `or`: the usable connections are derived from max_connections, so both are None together"),
    "environments.rules.x_cidr_layout__mutmut_7": (
        "a /28 VPC (the bound) refused as well: it cannot hold the six subnets of two zones, each /28 or larger, "
        "which the subnet rules refuse anyway"),
    "environments.images.x_compromised_litellm__mutmut_4": _NO_MATCH,
}


def scratch_copy(target: Target, scratch: Path) -> Path:
    """The work tree's files (tracked and new, not ignored) in a fresh directory, with mutmut's config."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, scratch / name)
    copied = sorted({name.split("/")[0] for name in filter(None, files)} - {"tests"})
    deselect = [argument for test in target.deselected for argument in ("--deselect", test)]
    config = {
        "source_paths": target.mutated,
        "also_copy": copied,
        "do_not_mutate_patterns": list(NOT_MUTATED),
        # A mutant is killed by its first failing test: stop there.
        "pytest_add_cli_args": ["-n", "0", "-p", "no:cacheprovider", "-q", "-x", *deselect],
        "pytest_add_cli_args_test_selection": target.tests,
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    with (scratch / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n".join(lines) + "\n")
    return scratch


def results(directory: Path) -> dict[str, str]:
    """mutant name -> status (killed, survived, timeout, ...)."""
    output = subprocess.run([str(Path(sys.executable).parent / "mutmut"), "results", "--all", "true"],
                            cwd=directory, capture_output=True, text=True, check=True).stdout
    return {match["name"]: match["status"]
            for match in re.finditer(r"^\s*(?P<name>\S+__mutmut_\d+): (?P<status>[\w ]+?)\s*$", output, re.M)}


# A mutant that makes the template scanner stop advancing loops forever (and eats memory): mutmut's own
# limit took minutes. A mutant session still running after this many seconds is stopped with SIGKILL,
# which mutmut records as "segfault": detected, like a timeout. (A surviving mutant runs its whole test
# selection in under a minute here.)
LOOP_SECONDS = 120
DETECTED = ("killed", "timeout", "segfault")


def stop_endless_mutants(done: threading.Event) -> None:
    while not done.wait(10):
        listing = subprocess.run(["ps", "-eo", "pid=,etimes=,args="], capture_output=True, text=True).stdout
        for line in listing.splitlines():
            pid, seconds, command = line.split(None, 2)
            if command.startswith("mutmut: ") and int(seconds) > LOOP_SECONDS:
                os.kill(int(pid), signal.SIGKILL)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=sorted(TARGETS), default="gate")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--report", action="store_true",
                        help="only write the results of the last run again (after a reason was added)")
    args = parser.parse_args(argv)
    target = TARGETS[args.target]
    scratch = target.scratch(args.target)
    if args.report:
        # The run's length: from the scratch copy's config to mutmut's last result.
        seconds = max(path.stat().st_mtime for path in (scratch / "mutants").rglob("*.meta")) - \
            (scratch / "pyproject.toml").stat().st_mtime
        return report(target, args.target, scratch, seconds)
    directory = scratch_copy(target, scratch)
    started = time.monotonic()
    # mutmut starts a pytest session per mutant: they share one synthesis (conftest.synth_dir), made once
    # with no mutant active, so a test that reads the synthesized stacks never sees a mutant (a survivor
    # there is the tests' gap, never a false kill).
    environment = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
                   "LITELLM_INFRA_TEST_SYNTH_DIR": str(scratch / "synthesis")}
    done = threading.Event()
    threading.Thread(target=stop_endless_mutants, args=(done,), daemon=True).start()
    try:
        subprocess.run([str(Path(sys.executable).parent / "mutmut"), "run", "--max-children",
                        str(args.max_children)], cwd=directory, env=environment, check=True)
    finally:
        done.set()
    return report(target, args.target, directory, time.monotonic() - started)


def report(target: Target, target_name: str, directory: Path, seconds: float) -> int:
    found = results(directory)
    counts = Counter(found.values())
    survivors = sorted(name for name, status in found.items() if status not in (*DETECTED, "not checked"))
    checked = sum(1 for status in found.values() if status != "not checked")
    explained = [name for name in survivors if name in SURVIVOR_REASONS]
    diffs = {name: subprocess.run([str(Path(sys.executable).parent / "mutmut"), "show", name], cwd=directory,
                                  capture_output=True, text=True).stdout.strip() for name in survivors}
    killed = sum(counts.get(status, 0) for status in DETECTED)
    lines = [
        f"# Mutation score of {target.title}",
        "",
        f"Measured {date.today().isoformat()} with mutmut 3.8.1 over {', '.join(f'`{p}`' for p in target.mutated)}, "
        f"tests {', '.join(f'`{t}`' for t in target.tests)}; {seconds:.0f} s on this machine.",
        "Reproduce: `.venv/bin/pip install -e '.[mutation]' && "
        f".venv/bin/python benchmarks/mutation.py --target {target_name}`.",
        "",
        f"**{killed} of {checked} checked mutants detected** ({100 * killed / max(checked, 1):.1f} %; "
        f"{len(found)} mutants in all); "
        + ", ".join(f"{status}: {count}" for status, count in sorted(counts.items())) + ".",
        "",
        "Detected = killed (a test failed), timeout (mutmut's own limit) or segfault (the run's SIGKILL of a "
        f"mutant session still running after {LOOP_SECONDS} s: the template scanner's mutants that stop advancing "
        "loop forever).",
        "",
        f"Surviving: {len(survivors)}, of which {len(explained)} carry a reason below.",
        "",
        "Not mutated, on purpose (benchmarks/mutation.py, NOT_MUTATED): "
        + "; ".join(f"`{pattern}` ({reason})" for pattern, reason in NOT_MUTATED.items())
        + ". mutmut 3 mutates code inside functions only: the allowlists and action lists themselves are "
        "module-level constants, each entry that matters tested by name (an attack in tests/test_plan_gate.py, "
        "an IAM-simulator case in tests/test_ci_access.py).",
        "",
    ] + [f"Left out: `{test}` ({reason})." for test, reason in target.deselected.items()] + [""]
    for name in survivors:
        lines += [f"## `{name}` ({found[name]})", "", SURVIVOR_REASONS.get(name, "**no reason yet**"), "",
                  "```diff", diffs[name], "```", ""]
    target.result(target_name).write_text("\n".join(lines))
    print("\n".join(lines[:8]))
    return 0 if len(explained) == len(survivors) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
