"""The bump-scope check (delivery/bump_scope.py) on real git histories: the image-bump App's pull
request merges without review only when it changes one development workspace's image and nothing
else; anyone else's pull request passes it and waits for review."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from delivery import bump_scope
from environments.loader import load_environments
from tests.conftest import ROOT

APP = "litellm-image-bump[bot]"


def image_line(workspace: str) -> str:
    return f'image = "{load_environments([workspace]).workspaces[0].settings.task.litellm.image}"'


OLD = image_line("dev")
NEW = 'image = "ghcr.io/berriai/litellm-non_root:v9.9.9"'


def git(repository: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=True, check=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
                               "PATH": "/usr/bin:/bin"}).stdout.strip()


@pytest.fixture
def repository(tmp_path) -> tuple[Path, str]:
    """main with the shipped environments, a commit on main after the branch point, and the base commit."""
    directory = tmp_path / "repository"
    shutil.copytree(ROOT / "environments", directory / "environments", ignore=shutil.ignore_patterns("*.py", "__*",
                                                                                                     "templates"))
    git(directory.parent, "init", "-q", "-b", "main", str(directory))
    git(directory, "add", "-A")
    git(directory, "commit", "-qm", "base")
    base = git(directory, "rev-parse", "HEAD")
    git(directory, "switch", "-qc", "image-bump/dev-1")
    return directory, base


def bump(directory: Path, changes: dict[str, tuple[str, str]]) -> str:
    for path, (old, new) in changes.items():
        file = directory / path
        text = file.read_text() if file.exists() else ""
        assert old in text, (path, old)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text.replace(old, new, 1) if old else new)
    git(directory, "add", "-A")
    git(directory, "commit", "-qm", "bump")
    return git(directory, "rev-parse", "HEAD")


def run(directory: Path, base: str, head: str, capsys, *, author: str = APP, branch: str = "image-bump/dev-1"):
    status = bump_scope.main(["--repository", str(directory), "--base", base, "--head", head, "--author", author,
                              "--branch", branch, "--app-login", APP])
    captured = capsys.readouterr()
    return status, captured.out + captured.err




def test_a_development_image_bump_passes(repository, capsys):
    directory, base = repository
    head = bump(directory, {"environments/dev.toml": (OLD, NEW)})
    # main moves on meanwhile: only what the pull request changes counts.
    git(directory, "switch", "-q", "main")
    bump(directory, {"README.md": ("", "later\n")})
    status, output = run(directory, git(directory, "rev-parse", "main"), head, capsys)
    assert status == 0, output
    before = OLD.split('"')[1]
    assert output == (f"bump-scope: environments/dev.toml: task.litellm.image {before} -> "
                      "ghcr.io/berriai/litellm-non_root:v9.9.9, nothing else\n")


@pytest.mark.parametrize("changes, message", [
    ({"environments/dev.toml": (OLD, NEW + "\nworkers = 2")}, "something besides task.litellm.image changed"),
    ({"environments/dev.toml": ("max_count = 2", "max_count = 20")}, "something besides"),
    ({"environments/staging.toml": (image_line("staging"), NEW)},
     "is a 'staging' workspace"),
    ({"environments/dev.toml": (OLD, NEW), ".github/workflows/deploy.yml": ("", "on: push\n")},
     "changes one workspace file"),
    ({"environments/project.toml": ('name = "litellm"', 'name = "x"')}, "changes one workspace file"),
    ({"environments/dev.toml": ("[network]", "[network]\n# a comment")}, "task.litellm.image did not change"),
    ({"environments/dev.toml": ("[network]", "[network")}, "is not a workspace file on both sides"),
    ({"examples/dev.toml": ("", "tier = \"development\"\n")}, "changes one workspace file"),
    ({"environments/notes.md": ("", "x\n")}, "changes one workspace file"),
    ({"environments/sub/dev.toml": ("", "tier = \"development\"\n")}, "changes one workspace file"),
], ids=["another key too", "another key only", "not development", "another file", "the project file", "no change",
        "broken TOML", "outside environments/", "not a TOML file", "in a subdirectory"])
def test_anything_else_by_the_app_is_refused(changes, message, repository, capsys):
    directory, base = repository
    head = bump(directory, changes)
    status, output = run(directory, base, head, capsys)
    assert status == 1 and message in output, output


def test_the_app_is_held_to_it_on_any_branch(repository, capsys):
    directory, base = repository
    head = bump(directory, {".github/workflows/deploy.yml": ("", "on: push\n")})
    status, output = run(directory, base, head, capsys, branch="feature/x")
    assert status == 1 and "changes one workspace file" in output


def test_other_pull_requests_pass_and_wait_for_review(repository, capsys):
    directory, base = repository
    head = bump(directory, {".github/workflows/deploy.yml": ("", "on: push\n")})
    status, output = run(directory, base, head, capsys, author="octocat", branch="feature/x")
    assert status == 0 and "not an image bump" in output


def test_a_renamed_workspace_file_is_two_changes(repository, capsys):
    directory, base = repository
    git(directory, "mv", "environments/dev.toml", "environments/dev2.toml")
    git(directory, "commit", "-qm", "rename")
    status, output = run(directory, base, git(directory, "rev-parse", "HEAD"), capsys)
    assert status == 1 and "['environments/dev.toml', 'environments/dev2.toml']" in output, output


def test_a_file_that_loses_its_task_is_refused_cleanly(repository, capsys):
    directory, base = repository
    text = (directory / "environments" / "dev.toml").read_text()
    head = bump(directory, {"environments/dev.toml": (text, text.replace("[task", "[tusk"))})
    status, output = run(directory, base, head, capsys)
    assert status == 1 and "something besides task.litellm.image changed" in output, output
