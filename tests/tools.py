"""Tools whose pins clash with the project's (checkov pins old boto3/botocore/packaging; litellm
brings its own pydantic and openai stacks) live in virtualenvs of their own under .cache/tools;
npm tools (the IAM policy simulator) in npm prefixes of their own there.

    python -m tests.tools install [NAME...]   create them (the test suite also does on first use)
"""

from __future__ import annotations

import argparse
import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The pull-request workflow installs the same checkov: one pin, so both gates judge alike.
from delivery.workflows import CHECKOV_VERSION

# The image's LiteLLM release: the configs are checked by the release the task runs.
from environments.images import LITELLM_VERSION

ROOT = Path(__file__).resolve().parent.parent
TOOLS_DIR = ROOT / ".cache" / "tools"
TOOLS: dict[str, list[str]] = {
    "checkov": [f"checkov=={CHECKOV_VERSION}"],
    "litellm": [f"litellm[proxy]=={LITELLM_VERSION}"],
}
# AGPL-3.0, used as a test tool only (never shipped): evaluates the CI roles' policies.
NPM_TOOLS: dict[str, list[str]] = {
    "iam-simulate": ["@cloud-copilot/iam-simulate@0.1.173"],
    # Mermaid's own parser (the one GitHub renders with) on a DOM of jsdom's: checks the diagrams parse.
    "mermaid": ["mermaid@11.17.2", "jsdom@25.0.1"],
    # The official CDKTF CLI (the version of the project's cdktf): tests/test_cdktf_cli.py synthesizes with it,
    # tests/test_moto_deploy.py deploys, reads outputs and destroys with it on moto.
    "cdktf-cli": ["cdktf-cli@0.21.0"],
}
NPM_ENVIRONMENT: dict[str, dict[str, str]] = {}


def tool_dir(name: str) -> Path:
    """A virtualenv per pinned version (litellm-1.108.7): checkouts on different pins that share
    .cache/tools never reinstall each other's."""
    pins = [requirement.split("==", 1)[1] for requirement in TOOLS.get(name, []) if "==" in requirement]
    return TOOLS_DIR / "-".join([name, *pins])


@contextmanager
def installing(name: str) -> Iterator[None]:
    """One installer per tool at a time: test workers run in parallel (pytest-xdist)."""
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    with (TOOLS_DIR / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def tool_python(name: str) -> Path:
    """The tool's virtualenv interpreter; the virtualenv is created when missing."""
    directory = tool_dir(name)
    python = directory / "bin" / "python"
    marker = directory / ".installed"
    wanted = "\n".join(TOOLS[name])
    with installing(name):
        if marker.is_file() and marker.read_text() == wanted:
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(directory)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *TOOLS[name]],
            check=True,
        )
        marker.write_text(wanted)
    return python


def npm_tool(name: str) -> Path:
    """The tool's npm prefix (node_modules inside); installed when missing."""
    directory = tool_dir(name)
    marker = directory / ".installed"
    wanted = "\n".join(NPM_TOOLS[name])
    with installing(name):
        if marker.is_file() and marker.read_text() == wanted:
            return directory
        directory.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(directory), "--no-audit", "--no-fund", "--save-exact",
                        *NPM_TOOLS[name]], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, **NPM_ENVIRONMENT.get(name, {})})
        marker.write_text(wanted)
    return directory


def tool_executable(name: str, executable: str | None = None) -> Path:
    tool_python(name)
    return tool_dir(name) / "bin" / (executable or name)


def main() -> None:
    parser = argparse.ArgumentParser(description="Create the tool virtualenvs under .cache/tools.")
    parser.add_argument("command", choices=["install"])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"tools to install (default: all of {[*TOOLS, *NPM_TOOLS]})")
    args = parser.parse_args()
    known = [*TOOLS, *NPM_TOOLS]
    unknown = sorted(set(args.names) - set(known))
    if unknown:
        parser.error(f"unknown tools {unknown}; choose from {known}")
    for name in args.names or known:
        print(f"{name}: {tool_python(name) if name in TOOLS else npm_tool(name)}")


if __name__ == "__main__":
    main()
