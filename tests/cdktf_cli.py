"""The official CDKTF CLI (npm cdktf-cli, the version of the project's cdktf), run as README's Deploying
shows it, offline and against a moto server: what tests/test_cdktf_cli.py (`cdktf synth`) and
tests/test_moto_deploy.py (`cdktf deploy`, `output` and `destroy` over the directories it plans) share."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests import terraform_cli, tools

# ANSI colours and cursor moves of the CLI's terminal UI (it draws one even without a terminal).
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
SPINNER = re.compile(r"^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]")
# A line the CLI prints for one stack: the stack's name, then Terraform's text; the lines that follow
# it indented are that stack's too.
STACK_LINE = re.compile(r"^(?P<stack>[a-z0-9-]+)\s{2,}(?P<text>.*)$")

Run = Callable[..., tuple[int, list[str]]]


def lines(output: str) -> list[str]:
    """What the CLI printed, in order, colours and spinner frames removed."""
    return [line for line in ANSI.sub("", output).replace("\r", "\n").splitlines()
            if line.strip() and not SPINNER.match(line)]


def by_stack(printed: list[str]) -> list[tuple[str | None, str]]:
    """Each line with the stack it belongs to (None for the CLI's own status lines)."""
    attributed, current = [], None
    for line in printed:
        match = STACK_LINE.match(line)
        if match:
            current = match["stack"]
            attributed.append((current, match["text"]))
        elif line.startswith(" "):
            attributed.append((current, line.strip()))
        else:
            current = None
            attributed.append((None, line))
    return attributed


def assert_clean(run: tuple[int, list[str]]) -> None:
    """The command succeeded and printed no `[ERROR]` line (the CLI's mark for anything on stderr)."""
    code, printed = run
    assert code == 0, "\n".join(printed[-80:])
    errors = [line for line in printed if "[ERROR]" in line]
    assert not errors, "\n".join(errors)


def runner(project: Path, moto_url: str, terraform_env: dict, home: Path) -> Run:
    """`cdktf ARGS` in `project` (a directory with a cdktf.json): offline (the Terraform CLI config's
    mirror, no version check), pointed at moto, `env` added; returns (exit code, output lines)."""
    executable = tools.npm_tool("cdktf-cli") / "node_modules" / ".bin" / "cdktf"
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("JSII_SILENCE_")},
        "LITELLM_INFRA_ENDPOINT_URL": moto_url,  # main.py's endpoint for runs that pass no flags
        # The virtualenv's interpreter first, as activating it does: the CLI asks `python3 --version` at every
        # command, which a pyenv shim answers in ~0.7 s.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "TF_CLI_CONFIG_FILE": str(terraform_env["cli_config"]),
        "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "true",  # the CLI config's plugin cache, not ~/.terraform.d
        "CDKTF_HOME": str(home),
        "CHECKPOINT_DISABLE": "1",
        "DISABLE_VERSION_CHECK": "true",
        **terraform_cli.GO_GARBAGE_COLLECTION,  # the Terraform the CLI runs
        "AWS_ACCESS_KEY_ID": "local-endpoint",
        "AWS_SECRET_ACCESS_KEY": "local-endpoint",
    }

    def run(*args: str, timeout: int = 900, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
        started = time.monotonic()
        result = subprocess.run([str(executable), *args], cwd=project, env={**environment, **(env or {})},
                                capture_output=True, text=True, timeout=timeout)
        printed = lines(result.stdout + result.stderr)
        print(f"\ncdktf {' '.join(args)}: exit {result.returncode} after {time.monotonic() - started:.0f} s")
        return result.returncode, printed

    return run
