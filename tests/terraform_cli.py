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
# Every Terraform command starts the AWS provider one to four times, and each start builds the provider's
# whole schema, allocation-heavy Go: collecting garbage at 400 % heap growth instead of 100 % costs about a
# fifth less CPU (the moto file's Terraform: 312 -> 245 CPU-seconds) for ~150 MB more per process.
# GOGC=off was slower: a big plan grew to 2.7 GB.
GO_GARBAGE_COLLECTION = {"GOGC": "400"}


class TerraformUnavailable(RuntimeError):
    pass


def terraform_binary() -> str:
    found = shutil.which("terraform")
    if not found:
        raise TerraformUnavailable("terraform is not on PATH; install Terraform >= 1.11 (README: Prerequisites)")
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


def validate_together(stacks: dict[str, dict], directory: Path, cli_config: Path) -> dict[str, dict]:
    """`terraform validate -json` of every stack (name -> stack) in one run: each stack is a child module
    of one root in DIRECTORY (the provider's schema, most of a validation's cost, is then read once, not
    once per stack), after an init that takes the provider from the committed lock file, read-only (its
    package must match the recorded checksum). Returns name -> {"valid", "diagnostics"}: the diagnostics
    in that stack's file, and those in no stack's file (the root's, the provider's) in every report.
    A stack has no variables, and nothing in it is allowed only in a root module (no import block):
    a child module is checked as the same stack run as a root."""
    modules = {}
    for index, (name, stack) in enumerate(stacks.items()):
        # Stack names may hold "/" (example/stack): the module's directory is a plain one.
        (directory / f"stack{index}").mkdir(parents=True)
        (directory / f"stack{index}" / "cdk.tf.json").write_text(json.dumps(validation_copy(stack)))
        modules[name] = f"stack{index}"
    root = {"module": {folder: {"source": f"./{folder}"} for folder in modules.values()}}
    (directory / "main.tf.json").write_text(json.dumps(root))
    shutil.copy(LOCK_FILE, directory / ".terraform.lock.hcl")
    init = run(["init", "-backend=false", "-input=false", "-lockfile=readonly"], cwd=directory, cli_config=cli_config)
    assert init.returncode == 0, init.stdout + init.stderr
    report = json.loads(run(["validate", "-json"], cwd=directory, cli_config=cli_config).stdout)

    def folder_of(diagnostic: dict) -> str | None:
        filename = diagnostic.get("range", {}).get("filename", "")
        return filename.split("/", 1)[0] if "/" in filename else None

    unattributed = [diagnostic for diagnostic in report["diagnostics"] if folder_of(diagnostic) not in modules.values()]
    reports = {}
    for name, folder in modules.items():
        diagnostics = [d for d in report["diagnostics"] if folder_of(d) == folder] + unattributed
        reports[name] = {"valid": not any(d["severity"] == "error" for d in diagnostics), "diagnostics": diagnostics}
    return reports


def addresses(stack: dict) -> list[str]:
    """Every resource address of a synthesized stack (TYPE.NAME)."""
    return [f"{resource_type}.{name}" for resource_type, by_name in stack["resource"].items() for name in by_name]


def creating_every(addresses: list[str]) -> dict:
    """What planned_changes reads from a plan that creates exactly these resources and nothing else."""
    return {"changes": dict.fromkeys(addresses, "create"),
            "summary": {"add": len(addresses), "change": 0, "import": 0, "remove": 0, "operation": "plan"}}


def streamed(stdout: str) -> list[dict]:
    """The messages Terraform streamed on stdout with -json."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"@level"')]


def planned_changes(stdout: str) -> dict:
    """What `plan -json` streamed: {"changes": address -> action, "summary": the change summary} (a
    `show -json` of the saved plan would start the provider once more, for values these do not hold)."""
    messages = streamed(stdout)
    (summary,) = [message["changes"] for message in messages if message["type"] == "change_summary"]
    return {"summary": summary, "changes": {message["change"]["resource"]["addr"]: message["change"]["action"]
                                            for message in messages if message["type"] == "planned_change"}}


def run(args: list[str], *, cwd: Path, cli_config: Path, env: dict[str, str] | None = None,
        timeout: int = 600, niceness: int = 0) -> subprocess.CompletedProcess:
    """terraform ARGS in `cwd`, offline; `niceness` above 0 runs it at a lower CPU priority (`nice`)."""
    environment = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        **GO_GARBAGE_COLLECTION,
        **(env or {}),
    }
    lower_priority = ["nice", "-n", str(niceness)] if niceness > 0 else []
    return subprocess.run(
        [*lower_priority, terraform_binary(), *args, "-no-color"], cwd=cwd, env=environment, capture_output=True,
        text=True, timeout=timeout,
    )
