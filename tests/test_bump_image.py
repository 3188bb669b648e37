"""bump-image against repository_dispatch payloads shaped like GitHub's event JSON, run the way
the image-bump workflow runs it: its own `run:` script, in bash, payload values in env only.

Hostile payloads are all refused with every environment file byte-for-byte unchanged; a good
payload changes exactly the one image line."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from environments.images import LITELLM_IMAGE
from tests.conftest import ENVIRONMENTS, ROOT

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
REPOSITORY = "ghcr.io/berriai/litellm-non_root"
PINNED = "ghcr.io/berriai/litellm-non_root:v1.81.3-stable"
DIGEST = "sha256:" + "0123456789abcdef" * 4


def dispatch_event(client_payload: dict) -> dict:
    """What GitHub puts in $GITHUB_EVENT_PATH for `POST /repos/{owner}/{repo}/dispatches`."""
    return {
        "action": "litellm-image-published",
        "branch": "main",
        "client_payload": client_payload,
        "repository": {"id": 1, "name": "litellm-infra", "full_name": "acme/litellm-infra", "private": True},
        "organization": {"login": "acme", "id": 2},
        "sender": {"login": "litellm-app[bot]", "id": 3, "type": "Bot"},
        "installation": {"id": 4},
    }


def bump_step() -> dict:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "image-bump.yml").read_text())
    (step,) = [step for step in workflow["jobs"]["bump"]["steps"] if step.get("id") == "bump"]
    return step


def environments_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "environments"
    directory.mkdir()
    for path in ENVIRONMENTS.glob("*.toml"):
        shutil.copy(path, directory / path.name)
    return directory


def fingerprint(directory: Path) -> dict[str, str]:
    """SHA-256 of every environment file (and of nothing else) in `directory`."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(directory.glob("*.toml"))}


def run_workflow_step(event: dict, tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """Execute the workflow's bump step with bash, as the runner would (`shell: bash -e {0}`)."""
    directory = environments_copy(tmp_path)
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    outputs = tmp_path / "github_output"
    outputs.touch()
    step = bump_step()
    payload = event["client_payload"]
    environment = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(outputs),
        # The step's env: block, with ${{ github.event.client_payload.X }} evaluated by GitHub.
        **{name: str(payload.get(expression.split(".")[-1].rstrip(" }"), "") or "")
           for name, expression in step["env"].items()},
    }
    script = step["run"].replace(".venv/bin/python main.py", f"{sys.executable} {ROOT / 'main.py'}")
    script += f' --environments="{directory}"'
    result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=environment,
                            capture_output=True, text=True, timeout=60)
    return result, directory, outputs


def test_the_step_passes_payload_values_only_through_env():
    step = bump_step()
    assert "${{" not in step["run"]
    assert set(step["env"]) == {"WORKSPACE", "IMAGE", "COMMIT"}
    assert all(value.startswith("${{ github.event.client_payload.") for value in step["env"].values())
    assert '--image="$IMAGE"' in step["run"], "values go in as --option=value: a leading '-' cannot become an option"


def test_good_payload_changes_exactly_the_image_line(tmp_path):
    event = dispatch_event({"workspace": "dev", "image": PINNED, "commit": SHA})
    before = (ENVIRONMENTS / "dev.toml").read_text().splitlines(keepends=True)
    result, directory, outputs = run_workflow_step(event, tmp_path)
    assert result.returncode == 0, result.stderr
    after = (directory / "dev.toml").read_text().splitlines(keepends=True)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [(f'image = "{LITELLM_IMAGE}"\n', f'image = "{PINNED}"\n')]
    untouched = {name: digest for name, digest in fingerprint(directory).items() if name != "dev.toml"}
    assert untouched == {name: digest for name, digest in fingerprint(ENVIRONMENTS).items() if name != "dev.toml"}
    assert outputs.read_text() == ("workspace=dev\ntier=development\nregion=eu-west-1\nchanged=true\n"
                                   "auto-merge=true\n")
    message = (tmp_path / "runner" / "commit-message").read_text()
    assert message.splitlines()[0] == f"Bump LiteLLM image of dev to {PINNED}" and f"Source-Commit: {SHA}" in message


def test_staging_takes_a_digest_and_goes_through_a_pull_request(tmp_path):
    image = f"ghcr.io/berriai/litellm-non_root:v1.81.3-stable@{DIGEST}"
    result, directory, outputs = run_workflow_step(
        dispatch_event({"workspace": "staging", "image": image, "commit": SHA}), tmp_path)
    assert result.returncode == 0, result.stderr
    assert f'image = "{image}"' in (directory / "staging.toml").read_text()
    assert "auto-merge=false" in outputs.read_text()


def test_bumping_to_the_current_image_changes_nothing(tmp_path):
    current = LITELLM_IMAGE
    result, directory, outputs = run_workflow_step(
        dispatch_event({"workspace": "dev", "image": current, "commit": SHA}), tmp_path)
    assert result.returncode == 0 and "nothing changed" in result.stdout
    assert fingerprint(directory) == fingerprint(ENVIRONMENTS)
    assert "changed=false" in outputs.read_text()
    assert not (tmp_path / "runner" / "commit-message").exists()


def test_rollback_is_a_bump_to_the_previous_image(tmp_path):
    directory = environments_copy(tmp_path)
    original = (directory / "dev.toml").read_bytes()
    main = [sys.executable, str(ROOT / "main.py"), "bump-image", "--workspace=dev", f"--environments={directory}"]
    forward = subprocess.run([*main, f"--image={PINNED}"], capture_output=True, text=True, timeout=60)
    back = subprocess.run([*main, f"--image={LITELLM_IMAGE}"],
                          capture_output=True, text=True, timeout=60)
    assert forward.returncode == 0 and back.returncode == 0
    assert (directory / "dev.toml").read_bytes() == original


HOSTILE = {
    # workspace
    "traversal": {"workspace": "../prod", "image": PINNED, "commit": SHA},
    "traversal-deeper": {"workspace": "dev/../../etc/passwd", "image": PINNED, "commit": SHA},
    "absolute-path": {"workspace": "/etc/passwd", "image": PINNED, "commit": SHA},
    "workspace-shell": {"workspace": "dev; touch pwned", "image": PINNED, "commit": SHA},
    "workspace-newline": {"workspace": "dev\nprod", "image": PINNED, "commit": SHA},
    "workspace-upper": {"workspace": "DEV", "image": PINNED, "commit": SHA},
    "workspace-shared-stack": {"workspace": "shared", "image": PINNED, "commit": SHA},
    "workspace-project-file": {"workspace": "project", "image": PINNED, "commit": SHA},
    "workspace-missing": {"image": PINNED, "commit": SHA},
    "workspace-oversized": {"workspace": "d" * 100_000, "image": PINNED, "commit": SHA},
    # image
    "image-command-substitution": {"workspace": "dev", "image": "$(touch pwned)", "commit": SHA},
    "image-backticks": {"workspace": "dev", "image": "ghcr.io/berriai/litellm-non_root:`touch pwned`", "commit": SHA},
    "image-semicolon": {"workspace": "dev", "image": "ghcr.io/berriai/litellm-non_root:v1;touch pwned", "commit": SHA},
    "image-toml-injection": {"workspace": "dev", "image": 'x"\n[task]\ncpu = 256\n#', "commit": SHA},
    "image-toml-quote": {"workspace": "dev", "image": 'ghcr.io/berriai/litellm-non_root:v1" \ncpu = 1', "commit": SHA},
    "image-yaml-injection": {"workspace": "dev", "image": "ghcr.io/berriai/litellm-non_root:v1\n  - run: curl evil",
                             "commit": SHA},
    "image-option": {"workspace": "dev", "image": "--help", "commit": SHA},
    "image-workflow-command": {"workspace": "dev", "image": "::add-mask::x", "commit": SHA},
    "image-other-registry": {"workspace": "dev", "image": "docker.io/evil/litellm:v1", "commit": SHA},
    "image-lookalike": {"workspace": "dev", "image": "ghcr.io/berriai/lіtellm:v1", "commit": SHA},
    "image-latest-in-prod": {"workspace": "prod", "image": "ghcr.io/berriai/litellm-non_root:latest", "commit": SHA},
    "image-untagged-in-staging": {"workspace": "staging", "image": REPOSITORY, "commit": SHA},
    "image-compromised-release": {"workspace": "dev", "image": f"{REPOSITORY}:v1.107.0", "commit": SHA},
    "image-oversized": {"workspace": "dev", "image": f"{REPOSITORY}:" + "a" * 100_000, "commit": SHA},
    "image-empty": {"workspace": "dev", "image": "", "commit": SHA},
    "image-carriage-return": {"workspace": "dev", "image": PINNED + "\r", "commit": SHA},
    # commit
    "commit-short": {"workspace": "dev", "image": PINNED, "commit": "3f78685"},
    "commit-shell": {"workspace": "dev", "image": PINNED, "commit": "$(touch pwned)"},
    "commit-not-hex": {"workspace": "dev", "image": PINNED, "commit": "g" * 40},
    "commit-upper": {"workspace": "dev", "image": PINNED, "commit": SHA.upper()},
    "commit-newline": {"workspace": "dev", "image": PINNED, "commit": SHA + "\nSource-Commit: forged"},
    "commit-missing": {"workspace": "dev", "image": PINNED},
    # wrong types, as JSON allows
    "image-number": {"workspace": "dev", "image": 1.5, "commit": SHA},
    "workspace-list": {"workspace": ["dev"], "image": PINNED, "commit": SHA},
}


@pytest.mark.parametrize("label", list(HOSTILE))
def test_hostile_payload_is_refused_and_changes_nothing(label, tmp_path):
    result, directory, outputs = run_workflow_step(dispatch_event(HOSTILE[label]), tmp_path)
    assert result.returncode != 0, f"{label} was accepted:\n{result.stdout}"
    assert fingerprint(directory) == fingerprint(ENVIRONMENTS)
    assert not (tmp_path / "pwned").exists() and not (directory / "pwned").exists()
    assert outputs.read_text() == "", "no step output may come from a refused payload"
    assert not (tmp_path / "runner" / "commit-message").exists()
    for line in (result.stdout + result.stderr).splitlines():
        assert not line.startswith("::"), f"workflow command in the log: {line!r}"
        assert len(line) < 1000, "oversized values are not echoed back"
