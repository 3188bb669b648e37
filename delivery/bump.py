"""Rewrite the LiteLLM image of one workspace: what the repository_dispatch workflow runs.

Every input is untrusted (it arrives in an event payload): the workspace must be the name of a
shipped workspace, the image a well-formed reference from an allowed repository (pinned outside
`development`), the commit a full hex SHA. Only the `task.litellm.image` value changes - every
other byte of the file, comments included, stays as it was - and the edited file is validated
as a whole before it replaces the original, atomically. Any problem: nothing is written.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from environments.images import ImageReferenceError, parse_image
from environments.loader import ENVIRONMENTS_DIR, load_project, load_workspace, workspace_files
from environments.model import NAME_PATTERN
from environments.problems import InvalidEnvironment

IMAGE_FIELD = ("task", "litellm", "image")
COMMIT_PATTERN = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 object names
MAX_INPUT = 512
SHOWN = 80


class BumpRefused(Exception):
    """The request was refused; nothing was written. The message says why and what is accepted."""


@dataclass(frozen=True)
class BumpResult:
    workspace: str
    tier: str
    region: str
    path: Path
    previous: str
    image: str
    commit: str | None

    @property
    def changed(self) -> bool:
        return self.previous != self.image

    def commit_message(self) -> str:
        lines = [f"Bump LiteLLM image of {self.workspace} to {self.image}", "",
                 f"Previous image: {self.previous}"]
        if self.commit:
            lines.append(f"Source-Commit: {self.commit}")
        return "\n".join(lines) + "\n"

    def outputs(self) -> str:
        """Step outputs for GitHub Actions ($GITHUB_OUTPUT): validated values only."""
        return (f"workspace={self.workspace}\ntier={self.tier}\nregion={self.region}\n"
                f"changed={'true' if self.changed else 'false'}\n"
                f"auto-merge={'true' if self.tier == 'development' else 'false'}\n")


def shown(value: str) -> str:
    """A value for an error message: control characters escaped, length capped."""
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}... ({len(value)} characters)"


def _check_inputs(workspace: str, image: str, commit: str | None, directory: Path) -> Path:
    for label, value in (("workspace", workspace), ("image", image), ("commit", commit or "")):
        if len(value) > MAX_INPUT:
            raise BumpRefused(f"{label} is {len(value)} characters long; at most {MAX_INPUT} are accepted")
    known = {path.stem: path for path in workspace_files(directory)}
    if not NAME_PATTERN.fullmatch(workspace) or workspace not in known:
        raise BumpRefused(f"workspace {shown(workspace)} is not one of {', '.join(sorted(known))}")
    try:
        parse_image(image)
    except ImageReferenceError as error:
        raise BumpRefused(f"image {shown(image)} {error}") from None
    if commit is not None and not COMMIT_PATTERN.fullmatch(commit):
        raise BumpRefused(f"commit {shown(commit)} is not a full commit SHA (40 or 64 lower-case hex digits)")
    return known[workspace]


def _rewrite(text: str, image: str) -> str:
    document = tomlkit.parse(text)
    table = document
    for key in IMAGE_FIELD[:-1]:
        table = table[key]
    table[IMAGE_FIELD[-1]] = image
    edited = tomlkit.dumps(document)
    # tomlkit preserves the rest of the file; prove it: exactly one line may differ.
    changed = [line for line in difflib.ndiff(text.splitlines(), edited.splitlines()) if line[:1] in "+-"]
    if len(changed) != 2 or not changed[1].lstrip("+ ").startswith(f"{IMAGE_FIELD[-1]} ="):
        raise BumpRefused("the edit would change more than the image line; nothing was written")
    return edited


def bump_image(*, workspace: str, image: str, commit: str | None = None,
               directory: Path = ENVIRONMENTS_DIR) -> BumpResult:
    path = _check_inputs(workspace, image, commit, directory)
    project = load_project(directory / "project.toml")
    original = path.read_text(encoding="utf-8")
    current = load_workspace(path, project)
    result = BumpResult(workspace=workspace, tier=current.settings.tier, region=current.settings.region, path=path,
                        previous=current.settings.task.litellm.image, image=image, commit=commit)
    if not result.changed:
        return result
    edited = _rewrite(original, image)
    # Validate the edited file as a whole (allowed repository, pinning for the tier, every rule)
    # before it replaces the original.
    with tempfile.TemporaryDirectory() as scratch:
        candidate = Path(scratch) / path.name
        candidate.write_text(edited, encoding="utf-8")
        try:
            load_workspace(candidate, project)
        except InvalidEnvironment as error:
            reasons = "; ".join(problem.message for problem in error.problems)
            raise BumpRefused(f"{path.name} with image {shown(image)} would be invalid: {reasons}") from None
    _replace(path, edited)
    return result


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, keeping the file's permissions."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, path.stat().st_mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

