"""Shared fixtures. The whole session synthesizes once, in a subprocess: the pytest process never
imports the provider bindings (about 1 GB and 10-20 s per process)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import terraform_cli

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ROOT / "environments"
SHIPPED_WORKSPACES = ("dev", "dev-ci", "prod", "staging")
SHARED_STACKS = ("bootstrap", "shared")
SECRETS_STACKS = tuple(f"{name}-secrets" for name in SHIPPED_WORKSPACES)
# examples/<design>/: one directory per design document, each with its own project.toml.
EXAMPLE_DIRECTORIES = sorted(path for path in (ROOT / "examples").iterdir() if (path / "project.toml").is_file())

# jsii prints a banner about Node 20's end of life on every start; it says nothing about our code.
QUIET_NODE = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def containers_of(stack: dict) -> dict[str, dict]:
    """The synthesized task definition's containers, by name."""
    (definition,) = stack["resource"]["aws_ecs_task_definition"].values()
    return {container["name"]: container for container in json.loads(definition["container_definitions"])}


def run_main(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, input: str | None = None,
             timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `python main.py ARGS` the way a user does (`input`: what they type on stdin)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, capture_output=True, text=True, input=input,
        env={**os.environ, **QUIET_NODE, **(env or {})}, timeout=timeout,
    )


def synthesize_examples(outdir: Path, directories: list[Path]) -> Path:
    """Example directories synthesized into OUTDIR/<name> by one process (tests/synth_examples.py), which
    imports the bindings once for all of them."""
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "synth_examples.py"), str(outdir),
                             *map(str, directories)], capture_output=True, text=True, timeout=600,
                            env={**os.environ, **QUIET_NODE})
    assert result.returncode == 0, result.stdout + result.stderr
    return outdir


def read_example_stacks(outdir: Path) -> dict[str, dict[str, dict]]:
    """What synthesize_examples wrote: example name -> stack name -> stack."""
    return {directory.name: {stack.parent.name: json.loads(stack.read_text())
                             for stack in (directory / "stacks").glob("*/cdk.tf.json")}
            for directory in outdir.iterdir()}


# The longest files, longest first: each xdist worker takes the next file when it is free, so the
# moto file (mostly waiting on the AWS provider's pollers) starts at once and runs beside everything
# else, and no long file starts last to set the wall time alone. pyproject's addopts keep this order
# (--no-loadscope-reorder: xdist would otherwise sort the files by their number of tests).
FIRST = ("test_moto_deploy.py", "test_examples.py", "test_terraform_validate.py", "test_litellm_loader.py",
         "test_two_proxies.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: FIRST.index(item.path.name) if item.path.name in FIRST else len(FIRST))


@pytest.fixture(scope="session", autouse=True)
def bindings_stay_out_of_the_test_process() -> Iterator[None]:
    """Synthesis runs in a subprocess: a test that imports a module built on the provider
    bindings costs ~1 GB and 10 s in every worker. Fails the session's last test if one did."""
    yield
    assert "cdktf_cdktf_provider_aws" not in sys.modules, (
        "a test imported the provider bindings; import the plain-data module instead")


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shipped stack, synthesized once for the whole run into a directory the workers share
    (tests only read it): the first worker synthesizes, the next finds the output current and
    `main.py synth` skips the work (stacks/fingerprint.py)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    # A run of many short sessions (benchmarks/mutation.py) names one directory for all of them.
    shared = Path(os.environ.get("LITELLM_INFRA_TEST_SYNTH_DIR") or shared)
    outdir = shared / "synth" / "cdktf.out"
    outdir.parent.mkdir(parents=True, exist_ok=True)
    with (shared / "synth.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = run_main("synth", "--outdir", str(outdir))
    assert result.returncode == 0, f"synthesis failed:\n{result.stdout}\n{result.stderr}"
    return outdir


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, dict]:
    manifest = json.loads((synth_dir / "manifest.json").read_text())
    return {
        name: json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text())
        for name in manifest["stacks"]
    }


@pytest.fixture(scope="session")
def terraform_env(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """CLI config for offline Terraform (providers from the mirror only)."""
    mirror = terraform_cli.mirror_dir()
    terraform_cli.terraform_binary()
    directory = tmp_path_factory.mktemp("terraform")
    return {
        "cli_config": terraform_cli.write_cli_config(directory, mirror),
        "directory": directory,
    }
