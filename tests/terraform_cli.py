"""Running the real Terraform CLI against synthesized stacks, offline.

Providers come from a local filesystem mirror (no registry is reachable). hashicorp/aws 5.100.0
is in the mirror; hashicorp/random is not on every machine. When it is missing, a *validation
copy* of the stack replaces each random_password by Terraform's built-in terraform_data (its
`output` standing in for `result`) and drops the random provider. Everything else - every AWS
resource, argument, reference and type - is still checked by the real provider. When the random
provider is in the mirror, the stack is used unchanged.
"""

from __future__ import annotations

import json
import os
import re
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
AWS_VERSION = "5.100.0"
PLACEHOLDER_SECRET = "validation-placeholder-not-a-secret"


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


def random_provider_available(mirror: Path) -> bool:
    return (mirror / HASHICORP / "random").is_dir()


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


def validation_copy(stack: dict, *, keep_random: bool) -> dict:
    """The stack as Terraform will check it here: backend removed (validate needs none), and
    random_password swapped for terraform_data when the random provider is not installed."""
    document = json.loads(json.dumps(stack))
    document.get("terraform", {}).pop("backend", None)
    if keep_random:
        return document
    return without_random_provider(document)


def without_random_provider(document: dict) -> dict:
    document = json.loads(json.dumps(document))
    document.get("terraform", {}).get("required_providers", {}).pop("random", None)
    document.get("provider", {}).pop("random", None)
    resources = document.get("resource", {})
    passwords = resources.pop("random_password", {})
    if passwords:
        stand_ins = resources.setdefault("terraform_data", {})
        for name, body in passwords.items():
            stand_ins[name] = {"input": PLACEHOLDER_SECRET}
            if "lifecycle" in body:
                stand_ins[name]["lifecycle"] = body["lifecycle"]
    text = re.sub(r"random_password\.([A-Za-z0-9_-]+)\.result", r"terraform_data.\1.output", json.dumps(document))
    if "random_" in json.dumps(json.loads(text).get("resource", {})):
        raise AssertionError("a random_* resource other than random_password needs a stand-in here")
    return json.loads(text)


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
