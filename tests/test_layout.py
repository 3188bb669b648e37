"""The house rules of the layout (docs/DESIGN.md, "Layout"): floors that import only downwards, no
product file over 450 lines, a model that calls no AWS, and the code CI runs from main against a pull
request importable with the standard library alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Lower floors never import higher ones (function-level imports included); rooms on one floor do not
# import each other.
FLOORS = {"environments": 0, "modules": 1, "review": 1, "delivery": 1, "operations": 1, "stacks": 2, "main": 3}
MAX_LINES = 450
# What the model's folder never imports: it describes and validates, it calls nothing.
NOT_IN_THE_MODEL = {"boto3", "botocore", "subprocess"}
# What CI runs from main's checkout with nothing installed.
STANDARD_LIBRARY_ONLY = ("review.plan_gate", "review.hcl_templates", "review.plan_review", "delivery.bump_scope")


def product_files() -> list[Path]:
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "*.py"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    return [ROOT / name for name in tracked
            if not name.startswith(("tests/", "benchmarks/")) and (ROOT / name).is_file()]


def room(path: Path) -> str:
    relative = path.relative_to(ROOT)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_import_runs_back_up_a_floor():
    upward = []
    for path in product_files():
        own = room(path)
        if own not in FLOORS:
            continue
        for name in imported(path):
            other = name.split(".")[0]
            if other in FLOORS and other != own and FLOORS[other] >= FLOORS[own]:
                upward.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not upward, "\n".join(upward)


def test_the_model_calls_nothing():
    calls = [f"{path.relative_to(ROOT)} imports {name}" for path in product_files() if room(path) == "environments"
             for name in imported(path) if name.split(".")[0] in NOT_IN_THE_MODEL]
    assert not calls, "\n".join(calls)


def test_no_product_file_is_over_the_limit():
    long = {str(path.relative_to(ROOT)): count for path in product_files()
            if (count := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"


@pytest.mark.parametrize("module", STANDARD_LIBRARY_ONLY)
def test_what_ci_runs_against_a_pull_request_needs_only_the_standard_library(module):
    """-I -S: no site-packages, no user site, no PYTHON* variables - a virtualenv without packages."""
    probe = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import {module}"
    result = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
