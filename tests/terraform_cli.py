"""Running the real Terraform CLI against synthesized stacks, offline.

Providers come from a local filesystem mirror (no registry is reachable): hashicorp/aws 5.100.0
is the only provider the stacks use (generated secrets come from its ephemeral
aws_secretsmanager_random_password, not from hashicorp/random), so every stack runs unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

MIRROR_CANDIDATES = (
    os.environ.get("TF_PLUGIN_MIRROR", ""),
    "/opt/tf-plugins",
    str(Path.home() / ".terraform.d" / "plugins"),
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
)
HASHICORP = "registry.terraform.io/hashicorp"
LOCK_FILE = Path(__file__).resolve().parent.parent / "stacks" / "terraform.lock.hcl"
AWS_VERSION = "5.100.0"


class TerraformUnavailable(RuntimeError):
    pass


def terraform_binary() -> str:
    found = shutil.which("terraform")
    if not found:
        raise TerraformUnavailable("terraform is not on PATH; install Terraform >= 1.5 (README: Prerequisites)")
    return found


def mirror_dir() -> Path:
    for candidate in MIRROR_CANDIDATES:
        if candidate and (Path(candidate) / HASHICORP / "aws" / AWS_VERSION).is_dir():
            return Path(candidate)
    raise TerraformUnavailable(
        f"no filesystem mirror holds {HASHICORP}/aws/{AWS_VERSION}; set TF_PLUGIN_MIRROR to its directory"
    )


def write_cli_config(directory: Path, mirror: Path) -> Path:
    """A Terraform CLI config that installs hashicorp/* from the mirror only, with a shared cache."""
    cache = directory / "plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    config = directory / "terraformrc"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{HASHICORP}/*"]\n  }}\n'
        f'  direct {{\n    exclude = ["{HASHICORP}/*"]\n  }}\n'
        "}\n"
        f'plugin_cache_dir = "{cache}"\n'
    )
    return config


def validation_copy(stack: dict) -> dict:
    """The stack as Terraform will check it here: backend removed (validate needs none)."""
    document = json.loads(json.dumps(stack))
    document.get("terraform", {}).pop("backend", None)
    return document


def validate(stack: dict, directory: Path, cli_config: Path, init_lock: AbstractContextManager | None = None) -> dict:
    """`terraform validate -json` of `stack` in `directory`, after an init that takes the provider
    from the committed lock file, read-only (its package must match the recorded checksum); the init
    holds `init_lock` when given (the CLI config's plugin cache is not safe for concurrent installs)."""
    (directory / "cdk.tf.json").write_text(json.dumps(validation_copy(stack)))
    shutil.copy(LOCK_FILE, directory / ".terraform.lock.hcl")
    with init_lock or nullcontext():
        init = run(["init", "-backend=false", "-input=false", "-lockfile=readonly"], cwd=directory,
                   cli_config=cli_config)
    assert init.returncode == 0, init.stdout + init.stderr
    return json.loads(run(["validate", "-json"], cwd=directory, cli_config=cli_config).stdout)


# Validations side by side: each spends much of its time starting and reading the provider, not computing.
VALIDATIONS_AT_ONCE = 3


def validate_each(stacks: dict[str, dict], directory: Path, cli_config: Path) -> dict[str, Future]:
    """`validate` of every stack (name -> stack), each in DIRECTORY/name, VALIDATIONS_AT_ONCE at a time;
    returns when all are done: name -> its report (a failed init is raised by that stack's `.result()`)."""
    init_lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=VALIDATIONS_AT_ONCE) as pool:
        futures = {}
        for name, stack in stacks.items():
            (directory / name).mkdir(parents=True)
            futures[name] = pool.submit(validate, stack, directory / name, cli_config, init_lock)
    return futures


def run(args: list[str], *, cwd: Path, cli_config: Path, env: dict[str, str] | None = None,
        timeout: int = 600) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        **(env or {}),
    }
    return subprocess.run(
        [terraform_binary(), *args, "-no-color"], cwd=cwd, env=environment, capture_output=True,
        text=True, timeout=timeout,
    )
