"""Mermaid's own parser, run on Node.js from its npm prefix under .cache/tools (tests/tools.py)."""

from __future__ import annotations

import json
import os
import subprocess

from tests import tools
from tests.conftest import ROOT

SCRIPT = ROOT / "tests" / "mermaid_parse.mjs"


def parse(diagrams: list[str]) -> list[dict]:
    """One result per diagram: {"ok": True, "type": ...} or {"ok": False, "error": ...}."""
    directory = tools.npm_tool("mermaid")
    result = subprocess.run(["node", str(SCRIPT)], input=json.dumps(diagrams), capture_output=True, text=True,
                            timeout=120, env={**os.environ, "MERMAID_DIR": str(directory)})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)

