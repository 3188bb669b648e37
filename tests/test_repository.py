"""Repository hygiene checked by real tools."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import ROOT


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    command = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    result = subprocess.run([*command, "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tool_installer_command_line():
    """`.ci/run` calls `python -m tests.tools install` without names."""
    listed = subprocess.run([sys.executable, "-m", "tests.tools", "install", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    wrong = subprocess.run([sys.executable, "-m", "tests.tools", "install", "nope"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 2 and "unknown tools ['nope']" in wrong.stderr
    run_script = (ROOT / ".ci" / "run").read_text()
    assert ".venv/bin/python -m tests.tools install\n" in run_script
