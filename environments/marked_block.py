"""Generated blocks inside hand-written files (README.md): replaced between their markers."""

from __future__ import annotations

from pathlib import Path


def replace(text: str, block: str, start: str, end: str) -> str:
    """`text` with the part from `start` to `end` (markers included) replaced by `block`, which
    carries the markers itself. ValueError when a marker is missing."""
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    return before + block + after


def rewrite(path: Path, block: str, start: str, end: str) -> None:
    path.write_text(replace(path.read_text(), block, start, end))
