"""Synthesize into a scratch directory, then publish the result into the output directory.

A failed synthesis leaves the previous output untouched. Publishing replaces only the files
cdktf generates, so `.terraform/` directories, plan files and local state inside stack
directories survive a re-synthesis.

Every stack directory also gets the project's provider lock file as `.terraform.lock.hcl`: the
official CLI (`cdktf deploy`) runs `terraform providers lock`, which needs the registry, in a
stack directory without one; with it, `terraform init` installs the locked provider (checksum
checked) from wherever the Terraform CLI config says, offline mirrors included.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from environments.loader import Environments
from stacks import addresses
from stacks.app import build_app

MANIFEST = "manifest.json"
STACK_FILE = "cdk.tf.json"
LOCK_FILE = Path(__file__).resolve().parent / "terraform.lock.hcl"
STACK_LOCK_FILE = ".terraform.lock.hcl"


def synthesize(environments: Environments, outdir: Path) -> list[str]:
    """Synthesize every stack of `environments` into `outdir`; return the stack names."""
    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    try:
        build_app(environments, outdir=str(scratch)).synth()
        for stack_file in scratch.glob(f"stacks/*/{STACK_FILE}"):
            document = addresses.rename(json.loads(stack_file.read_text()))
            stack_file.write_text(json.dumps(document, indent=2) + "\n")
            shutil.copyfile(LOCK_FILE, stack_file.parent / STACK_LOCK_FILE)
        return _publish(scratch, outdir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _publish(scratch: Path, outdir: Path) -> list[str]:
    stacks = sorted(json.loads((scratch / MANIFEST).read_text())["stacks"])
    # The manifest goes last: whoever reads it finds every stack it lists already in place.
    files = sorted((path for path in scratch.rglob("*") if path.is_file()), key=lambda path: path.name == MANIFEST)
    for source in files:
        target = outdir / source.relative_to(scratch)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    # A workspace that no longer exists must not leave a stack that looks current.
    for stale in (outdir / "stacks").glob(f"*/{STACK_FILE}"):
        if stale.parent.name not in stacks:
            stale.unlink()
            (stale.parent / STACK_LOCK_FILE).unlink(missing_ok=True)
    return stacks
