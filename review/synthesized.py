"""Reading synthesized stacks as plain data (no cdktf import): what the diagram and cost tools see."""

from __future__ import annotations

import json
from pathlib import Path


def read_stack(outdir: Path, name: str) -> dict:
    return json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())


def resources(stack: dict, kind: str) -> list[dict]:
    """The bodies of every resource of one type."""
    return list(stack.get("resource", {}).get(kind, {}).values())


def first(stack: dict, kind: str) -> dict | None:
    found = resources(stack, kind)
    return found[0] if found else None
