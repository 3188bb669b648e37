"""`python main.py synth` skips a synthesis it has done (stacks/fingerprint.py), and is never stale:
any change of an input, or of what it wrote, makes it synthesize again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from environments.loader import load_environments
from stacks import fingerprint
from tests.conftest import ENVIRONMENTS, QUIET_NODE, ROOT, run_main

PROBE = (
    "import sys, main\n"
    "code = main.main(sys.argv[1:])\n"
    "print('bindings imported:', any(name.startswith(('cdktf', 'jsii')) for name in sys.modules))\n"
    "sys.exit(code)\n"
)


def test_an_unchanged_synthesis_is_skipped_without_importing_the_bindings(synth_dir):
    result = subprocess.run([sys.executable, "-c", PROBE, "synth", "--outdir", str(synth_dir)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, env={**os.environ, **QUIET_NODE})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"unchanged: {synth_dir} holds the synthesis of these inputs")
    assert "bindings imported: False" in result.stdout


def copy_of_the_inputs(tmp_path: Path) -> Path:
    root = tmp_path / "repository"
    for path in fingerprint.code_files():
        target = root / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return root


@pytest.mark.parametrize("relative", [
    "main.py", "pyproject.toml", "stacks/terraform.lock.hcl", "stacks/workspace.py", "modules/cdn/construct.py",
    "environments/model/database.py", "environments/templates/litellm-config.yaml.j2",
])
def test_every_kind_of_input_changes_the_digest(relative, tmp_path):
    root = copy_of_the_inputs(tmp_path)
    environments = load_environments()
    before = fingerprint.inputs_digest(environments, root)
    assert fingerprint.inputs_digest(environments, root) == before  # the digest is stable
    path = root / relative
    assert path in fingerprint.code_files(root), f"{relative} is not an input"
    path.write_bytes(path.read_bytes() + b"\n")
    assert fingerprint.inputs_digest(environments, root) != before


def test_a_new_module_changes_the_digest(tmp_path):
    root = copy_of_the_inputs(tmp_path)
    environments = load_environments()
    before = fingerprint.inputs_digest(environments, root)
    (root / "modules" / "cdn" / "extra.py").write_text("VALUE = 1\n")
    assert fingerprint.inputs_digest(environments, root) != before


def test_environment_content_and_selection_change_the_digest(tmp_path):
    everything = fingerprint.inputs_digest(load_environments())
    assert fingerprint.inputs_digest(load_environments(["dev"])) != everything
    shutil.copytree(ENVIRONMENTS, tmp_path / "environments")
    staging = tmp_path / "environments" / "staging.toml"
    staging.write_text(staging.read_text().replace("desired_count = 1", "desired_count = 2", 1))
    # The bootstrap stack serves every workspace: a change in one not selected still counts.
    assert fingerprint.inputs_digest(load_environments(["dev"], directory=tmp_path / "environments")) != \
        fingerprint.inputs_digest(load_environments(["dev"]))
    # A comment changes no setting, so no synthesis.
    copied = tmp_path / "environments"
    before = fingerprint.inputs_digest(load_environments(["dev"], directory=copied))
    dev = copied / "dev.toml"
    dev.write_text("# a comment\n" + dev.read_text())
    assert fingerprint.inputs_digest(load_environments(["dev"], directory=copied)) == before


def test_every_stack_directory_holds_the_project_lock_file(synth_dir):
    """`cdktf deploy` runs `terraform providers lock` (the registry) in a stack directory without one."""
    lock = (ROOT / "stacks" / "terraform.lock.hcl").read_bytes()
    directories = sorted(path.parent for path in synth_dir.glob("stacks/*/cdk.tf.json"))
    assert directories
    for directory in directories:
        assert (directory / ".terraform.lock.hcl").read_bytes() == lock, directory.name
    assert "stacks/terraform.lock.hcl" in {str(path.relative_to(ROOT)) for path in fingerprint.code_files()}


@pytest.mark.parametrize("tamper", ["edit", "delete", "stray", "edit-lock", "delete-lock"])
def test_touched_output_is_not_current(tamper, synth_dir, tmp_path):
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synth_dir, outdir)
    digest = fingerprint.inputs_digest(load_environments())
    assert fingerprint.is_current(outdir, digest)
    stack = outdir / "stacks" / "dev" / "cdk.tf.json"
    if tamper == "edit":
        stack.write_text(stack.read_text().replace('"litellm-dev"', '"litellm-dev-x"', 1))
    elif tamper == "delete":
        stack.unlink()
    elif tamper == "edit-lock":
        lock = stack.parent / ".terraform.lock.hcl"
        lock.write_text(lock.read_text().replace("5.100.0", "5.99.0"))
    elif tamper == "delete-lock":
        (stack.parent / ".terraform.lock.hcl").unlink()
    else:
        (outdir / "stacks" / "qa").mkdir()
        shutil.copy(stack, outdir / "stacks" / "qa" / "cdk.tf.json")
    assert not fingerprint.is_current(outdir, digest)


def test_a_changed_environment_is_synthesized_again(synth_dir, tmp_path):
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synth_dir, outdir)
    shutil.copytree(ENVIRONMENTS, tmp_path / "environments")
    dev = tmp_path / "environments" / "dev.toml"
    dev.write_text(dev.read_text().replace("log_retention_days = 14", "log_retention_days = 30", 1))
    result = run_main("synth", "--environments", str(tmp_path / "environments"), "--outdir", str(outdir))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("synthesized 10 stacks")
    groups = json.loads((outdir / "stacks" / "dev" / "cdk.tf.json").read_text())["resource"]["aws_cloudwatch_log_group"]
    assert {group["retention_in_days"] for group in groups.values()} == {30}
    # Synthesis is deterministic: what the change does not touch comes out byte for byte the same.
    for stack in ("bootstrap", "shared", "prod", "dev-secrets"):
        assert (outdir / "stacks" / stack / "cdk.tf.json").read_bytes() == \
            (synth_dir / "stacks" / stack / "cdk.tf.json").read_bytes(), stack
    again = run_main("synth", "--environments", str(tmp_path / "environments"), "--outdir", str(outdir))
    assert again.stdout.startswith("unchanged:")
