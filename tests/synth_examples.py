"""Synthesize every example into OUTDIR/<example>, importing the provider bindings once.

    python tests/synth_examples.py OUTDIR EXAMPLE_DIR...
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from environments.loader import load_environments  # noqa: E402
from stacks.publish import synthesize  # noqa: E402


def main(outdir: str, directories: list[str]) -> None:
    for directory in map(Path, directories):
        names = synthesize(load_environments(None, directory=directory), Path(outdir) / directory.name)
        print(f"{directory.name}: {', '.join(names)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
