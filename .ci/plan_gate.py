"""Entry point of the plan gate for the workflows (review/plan_gate.py holds it):

    python3 .ci/plan_gate.py SRC [--out DEST] [--project FILE] [--state-bucket NAME]

Runs with the standard library only, from main's checkout, before anything is installed.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from review.plan_gate import main  # noqa: E402  (the path above first)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
