"""Shared fixtures. The whole session synthesizes once, in a subprocess: the pytest process never
imports the provider bindings (several seconds and hundreds of MB per process)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit

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


# Example 002 with its API open to one block and its admin routes to none: the edge's other two rules.
PRIVATE_002 = "002-private-callers"


def private_variant(target: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "002-high-availability", target)
    document = tomlkit.parse((target / "prod.toml").read_text())
    document["ingress"]["allowed_cidrs"] = ["203.0.113.0/24"]
    document["ingress"]["admin_cidrs"] = []
    (target / "prod.toml").write_text(tomlkit.dumps(document))
    return target


def read_example_stacks(outdir: Path) -> dict[str, dict[str, dict]]:
    """What examples_outdir holds: example name -> stack name -> stack."""
    return {directory.name: {stack.parent.name: json.loads(stack.read_text())
                             for stack in (directory / "stacks").glob("*/cdk.tf.json")}
            for directory in outdir.iterdir()}


# The longest files, longest first: each xdist worker takes the next file when it is free, so the
# moto file (mostly waiting on the AWS provider's pollers) starts at once and runs beside everything
# else, and no long file starts last to set the wall time alone. pyproject's addopts keep this order
# (--no-loadscope-reorder: xdist would otherwise sort the files by their number of tests).
FIRST = ("test_moto_deploy.py", "test_examples.py", "test_two_proxies.py", "test_litellm_loader.py",
         "test_terraform_validate.py", "test_cdktf_cli.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: FIRST.index(item.path.name) if item.path.name in FIRST else len(FIRST))


# The moto file is one chain (bootstrap, dev-ci's deploy, its re-plan, its destroy) that sets the suite's
# wall time; most of it is the provider's fixed waits, and its busy stretches must not queue behind the
# other files' work. Every other file runs at a lower CPU priority, its session fixtures (the examples'
# synthesis) included, and so does what it starts; a process may only lower its own priority, so the moto
# worker lowers it once its file is done. The files that start beside it need no shared synthesis, which
# the moto worker would otherwise wait for at their priority.
LONG_POLE = FIRST[0]
OTHER_FILES_NICENESS = 19


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.path.name != LONG_POLE and os.nice(0) < OTHER_FILES_NICENESS:
        os.nice(OTHER_FILES_NICENESS - os.nice(0))


@pytest.fixture(scope="session", autouse=True)
def bindings_stay_out_of_the_test_process() -> Iterator[None]:
    """Synthesis runs in a subprocess: a test that imports a module built on the provider
    bindings costs seconds and hundreds of MB in every worker. Fails the session's last test if one did."""
    yield
    assert "cdktf_cdktf_provider_aws" not in sys.modules, (
        "a test imported the provider bindings; import the plain-data module instead")


def session_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's base directory, the same for every xdist worker."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def examples_outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every example and the 002 variant, synthesized once for the whole run into OUTDIR/<name> by one
    process (tests/synth_examples.py imports the bindings once for all of them); the first worker that
    needs them writes them, the others wait for it and read."""
    shared = session_directory(tmp_path_factory) / "examples"
    outdir, done = shared / "cdktf.out", shared / "done"
    shared.mkdir(exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file():
            directories = [*EXAMPLE_DIRECTORIES, private_variant(shared / "variants" / PRIVATE_002)]
            result = subprocess.run([sys.executable, str(ROOT / "tests" / "synth_examples.py"), str(outdir),
                                     *map(str, directories)], capture_output=True, text=True, timeout=600,
                                    env={**os.environ, **QUIET_NODE})
            assert result.returncode == 0, result.stdout + result.stderr
            done.touch()
    return outdir


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shipped stack, synthesized once for the whole run into a directory the workers share
    (tests only read it): the first worker synthesizes, the next finds the output current and
    `main.py synth` skips the work (stacks/fingerprint.py)."""
    shared = session_directory(tmp_path_factory)
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
