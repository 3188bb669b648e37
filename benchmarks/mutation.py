"""Mutation score of the code a pull request's attacker meets: mutmut 3 over the plan gate, its
template scanner, the bump-scope check and the image rules, against their own tests.

    .venv/bin/pip install -e '.[mutation]'
    .venv/bin/python benchmarks/mutation.py [--max-children 2]

mutmut mutates functions one change at a time and runs the tests that reach each (in-process, forked:
the tests call the gate's main() in-process). It works in a scratch copy under .cache/mutation, never
in the work tree, and the result goes to benchmarks/results/mutation.md with every surviving mutant:
each one gets a test, or a written reason in SURVIVOR_REASONS below that it cannot matter.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".cache" / "mutation"
RESULT = ROOT / "benchmarks" / "results" / "mutation.md"
MUTATED = ["review/plan_gate.py", "review/hcl_templates.py", "delivery/bump_scope.py", "environments/images.py"]
TESTS = ["tests/test_plan_gate.py", "tests/test_bump_scope.py", "tests/test_images.py"]
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
_LATER_TEST = ("killed by a test added after this run began (tests/test_plan_gate.py: provisioners in nested "
               "blocks and maps with their paths; the characters next to the surrogate block)")
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
    **{f"review.plan_gate.x_keys__mutmut_{n}": _LATER_TEST for n in (1, 2, 6, 7)},
    **{f"review.plan_gate.x_check_expressions__mutmut_{n}": _LATER_TEST for n in (10, 17)},
    "environments.images.x_litellm_release__mutmut_4": _NO_MATCH,
    "environments.images.x_compromised_litellm__mutmut_4": _NO_MATCH,
}


def scratch_copy() -> Path:
    """The work tree's files (tracked and new, not ignored) in a fresh directory, with mutmut's config."""
    shutil.rmtree(SCRATCH, ignore_errors=True)
    SCRATCH.mkdir(parents=True)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (SCRATCH / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, SCRATCH / name)
    copied = sorted({name.split("/")[0] for name in filter(None, files)} - {"tests"})
    config = {
        "source_paths": MUTATED,
        "also_copy": copied,
        # The entry point runs the gate with -I -S (standard library only), where mutmut's trampoline
        # cannot be imported: it tests the packaging, not the logic.
        "do_not_mutate_patterns": list(NOT_MUTATED),
        # A mutant is killed by its first failing test: stop there.
        "pytest_add_cli_args": ["-n", "0", "-p", "no:cacheprovider", "-q", "-x", "--deselect",
                                "tests/test_plan_gate.py::test_the_entry_point_runs_with_the_standard_library_only"],
        "pytest_add_cli_args_test_selection": TESTS,
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in config.items()]
    with (SCRATCH / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n".join(lines) + "\n")
    return SCRATCH


def results(directory: Path) -> dict[str, str]:
    """mutant name -> status (killed, survived, timeout, ...)."""
    output = subprocess.run([str(Path(sys.executable).parent / "mutmut"), "results", "--all", "true"],
                            cwd=directory, capture_output=True, text=True, check=True).stdout
    return {match["name"]: match["status"]
            for match in re.finditer(r"^\s*(?P<name>\S+__mutmut_\d+): (?P<status>[\w ]+?)\s*$", output, re.M)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--report", action="store_true",
                        help="only write the results of the last run again (after a reason was added)")
    args = parser.parse_args(argv)
    if args.report:
        # The run's length: from the scratch copy's config to mutmut's last result.
        seconds = max(path.stat().st_mtime for path in (SCRATCH / "mutants").rglob("*.meta")) - \
            (SCRATCH / "pyproject.toml").stat().st_mtime
        return report(SCRATCH, seconds)
    directory = scratch_copy()
    started = time.monotonic()
    # mutmut starts a pytest session per mutant: they share one synthesis (conftest.synth_dir).
    environment = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
                   "LITELLM_INFRA_TEST_SYNTH_DIR": str(SCRATCH / "synthesis")}
    subprocess.run([str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", str(args.max_children)],
                   cwd=directory, env=environment, check=True)
    return report(directory, time.monotonic() - started)


def report(directory: Path, seconds: float) -> int:
    found = results(directory)
    counts = Counter(found.values())
    survivors = sorted(name for name, status in found.items() if status not in ("killed", "not checked"))
    checked = sum(1 for status in found.values() if status != "not checked")
    explained = [name for name in survivors if name in SURVIVOR_REASONS]
    diffs = {name: subprocess.run([str(Path(sys.executable).parent / "mutmut"), "show", name], cwd=directory,
                                  capture_output=True, text=True).stdout.strip() for name in survivors}
    killed = counts.get("killed", 0)
    lines = [
        "# Mutation score of the plan gate, the bump-scope check and the image rules",
        "",
        f"Measured {date.today().isoformat()} with mutmut 3.8.1 over {', '.join(f'`{p}`' for p in MUTATED)}, "
        f"tests {', '.join(f'`{t}`' for t in TESTS)}; {seconds:.0f} s on this machine.",
        "Reproduce: `.venv/bin/pip install -e '.[mutation]' && .venv/bin/python benchmarks/mutation.py`.",
        "",
        f"**{killed} of {checked} checked mutants killed** ({100 * killed / max(checked, 1):.1f} %; "
        f"{len(found)} mutants in all); "
        + ", ".join(f"{status}: {count}" for status, count in sorted(counts.items())) + ".",
        "",
        f"Surviving: {len(survivors)}, of which {len(explained)} carry a reason below.",
        "",
        "Not mutated, on purpose (benchmarks/mutation.py, NOT_MUTATED): "
        + "; ".join(f"`{pattern}` ({reason})" for pattern, reason in NOT_MUTATED.items())
        + ". mutmut 3 mutates code inside functions only: the allowlists themselves are module-level "
        "constants, and each entry that matters has an attack in tests/test_plan_gate.py.",
        "",
    ]
    for name in survivors:
        lines += [f"## `{name}` ({found[name]})", "", SURVIVOR_REASONS.get(name, "**no reason yet**"), "",
                  "```diff", diffs[name], "```", ""]
    RESULT.write_text("\n".join(lines))
    print("\n".join(lines[:8]))
    return 0 if len(explained) == len(survivors) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
