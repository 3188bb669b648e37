"""What a synthesis depends on, as one digest, so `python main.py synth` can skip work it has done.

Inputs: the validated environments (every workspace of the directory, since the bootstrap and
shared stacks serve them all, and which ones are selected), the project's code and templates,
the provider lock file, and the versions of Python and the CDKTF packages. The record in the
output directory holds that digest and the digest of every file the synthesis wrote; the output
is current only when both still match (a hand-edited or deleted stack file is synthesized again).

No cdktf import here: deciding that nothing changed must not cost the bindings' import.
"""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

from environments.loader import Environments

ROOT = Path(__file__).resolve().parent.parent
RECORD = ".synthesis.json"
# The project's own inputs, relative to the repository root.
CODE_PATTERNS = ("main.py", "pyproject.toml", "stacks/terraform.lock.hcl", "stacks/**/*.py", "modules/**/*.py",
                 "environments/**/*.py", "environments/templates/**/*")
PINNED_PACKAGES = ("cdktf", "cdktf-cdktf-provider-aws", "cdktf-cdktf-provider-random", "constructs", "jsii")
# Each stack directory's copy of the lock file is an output too: a deleted or edited copy is synthesized again.
OUTPUT_PATTERNS = ("manifest.json", "stacks/*/cdk.tf.json", "stacks/*/.terraform.lock.hcl")


def code_files(root: Path = ROOT) -> list[Path]:
    found = {path for pattern in CODE_PATTERNS for path in root.glob(pattern)
             if path.is_file() and "__pycache__" not in path.parts}
    return sorted(found)


def _digest(chunks: list[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(hashlib.sha256(chunk).digest())
    return digest.hexdigest()


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:  # not every pinned package is installed everywhere
        return None


def inputs_digest(environments: Environments, root: Path = ROOT) -> str:
    everything = environments.everything()
    model = {
        "project": everything.project.model_dump(mode="json"),
        "workspaces": {workspace.name: workspace.settings.model_dump(mode="json")
                       for workspace in everything.workspaces},
        "selected": environments.names(),
        "versions": {name: _installed_version(name) for name in PINNED_PACKAGES},
        "python": list(sys.version_info[:2]),
    }
    files = code_files(root)
    return _digest([json.dumps(model, sort_keys=True).encode(),
                    *(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() for path in files)])


def outputs(outdir: Path) -> dict[str, str]:
    return {str(path.relative_to(outdir)): hashlib.sha256(path.read_bytes()).hexdigest()
            for pattern in OUTPUT_PATTERNS for path in sorted(outdir.glob(pattern)) if path.is_file()}


def is_current(outdir: Path, digest: str) -> bool:
    """True when `outdir` holds the synthesis of exactly these inputs, untouched since."""
    try:
        record = json.loads((outdir / RECORD).read_text())
    except (OSError, ValueError):
        return False
    return record.get("inputs") == digest and record.get("outputs") == outputs(outdir)


def record(outdir: Path, digest: str) -> None:
    (outdir / RECORD).write_text(json.dumps({"inputs": digest, "outputs": outputs(outdir)}, indent=2) + "\n")


def forget(outdir: Path) -> None:
    """Before a synthesis: a run that fails half-way must not leave an old record that looks current."""
    (outdir / RECORD).unlink(missing_ok=True)
