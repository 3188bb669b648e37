"""Mermaid's own parser, run on Node.js from its npm prefix under .cache/tools (tests/tools.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

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


CHROMIUM = "/usr/bin/chromium"


def render_svg(diagram: str, directory: Path) -> str:
    """The diagram drawn by Mermaid's renderer (mermaid-cli) in Debian's Chromium, as SVG text."""
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: .ci/run installs it (Debian: apt-get install chromium)"
    tool = tools.npm_tool("mermaid-cli")
    (directory / "diagram.mmd").write_text(diagram)
    (directory / "puppeteer.json").write_text(json.dumps({"executablePath": CHROMIUM,
                                                          "args": ["--no-sandbox", "--headless=new"]}))
    result = subprocess.run([str(tool / "node_modules" / ".bin" / "mmdc"), "--puppeteerConfigFile",
                             str(directory / "puppeteer.json"), "--input", str(directory / "diagram.mmd"),
                             "--output", str(directory / "diagram.svg")], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return (directory / "diagram.svg").read_text()
