"""Read environment files, validate them, and report every problem at once.

Nothing here imports cdktf or the provider bindings: `python main.py validate` and
`bump-image` stay fast, and the model can move to another CDKTF fork untouched.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from environments import rules
from environments.model import Project, WorkspaceSettings, nested_model
from environments.problems import InvalidEnvironment, Problem
from environments.workspace import Workspace

ENVIRONMENTS_DIR = Path(__file__).resolve().parent
PROJECT_FILE = "project.toml"


@dataclass(frozen=True)
class Environments:
    project: Project
    workspaces: tuple[Workspace, ...]
    """The selected workspaces."""
    all_names: tuple[str, ...]
    """Every workspace of the directory, selected or not (the shared stack serves them all)."""
    directory: Path = ENVIRONMENTS_DIR
    """Where the files were read: the bootstrap stack, which serves every workspace, reads them all."""

    def everything(self) -> Environments:
        """Every workspace of the directory (this object when nothing was left out)."""
        if len(self.workspaces) == len(self.all_names):
            return self
        return load_environments(None, directory=self.directory)

    def names(self) -> list[str]:
        return [workspace.name for workspace in self.workspaces]


def display_path(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def workspace_files(directory: Path = ENVIRONMENTS_DIR) -> list[Path]:
    """Every workspace file of a directory, sorted by name."""
    return sorted((path for path in directory.glob("*.toml") if path.name != PROJECT_FILE), key=lambda path: path.stem)


def read_toml(path: Path) -> dict:
    """Parse a TOML file, or raise InvalidEnvironment naming the file and the syntax error."""
    shown = display_path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidEnvironment([Problem(shown, "", "file not found", show_value=False)]) from None
    except UnicodeDecodeError as error:
        raise InvalidEnvironment(
            [Problem(shown, "", f"is not UTF-8 text ({error.reason}); save it as UTF-8", show_value=False)]
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidEnvironment(
            [Problem(shown, "", f"is not valid TOML: {error}", show_value=False)]
        ) from None


def load_project(path: Path) -> Project:
    data = read_toml(path)
    try:
        return Project.model_validate(data)
    except ValidationError as error:
        raise InvalidEnvironment(_problems(display_path(path), error, Project)) from None


def load_workspace(path: Path, project: Project) -> Workspace:
    """Load and fully validate one workspace file."""
    shown = display_path(path)
    data = read_toml(path)
    try:
        settings = WorkspaceSettings.model_validate(data)
    except ValidationError as error:
        raise InvalidEnvironment(_problems(shown, error, WorkspaceSettings)) from None
    workspace = Workspace(name=path.stem, source=path, project=project, settings=settings)
    problems = [Problem(shown, field, message, value) for field, value, message in rules.check(workspace)]
    if problems:
        raise InvalidEnvironment(problems)
    return workspace


def resolve(selector: str, directory: Path = ENVIRONMENTS_DIR) -> Path:
    """A workspace name (dev) or a file path (environments/dev.toml) -> the file's path."""
    if selector.endswith(".toml") or "/" in selector or "\\" in selector:
        return Path(selector)
    candidate = directory / f"{selector}.toml"
    if selector == Path(PROJECT_FILE).stem or not candidate.is_file():
        known = ", ".join(path.stem for path in workspace_files(directory)) or "(none)"
        raise InvalidEnvironment([Problem(
            display_path(candidate), "", f"no workspace named {selector!r}; known workspaces: {known}",
            show_value=False,
        )])
    return candidate


def load_environments(
    selectors: list[str] | None = None, directory: Path = ENVIRONMENTS_DIR
) -> Environments:
    """Load the project file and the selected workspaces (all of them by default).

    Every file is checked even when an earlier one fails, so one run reports every problem.
    """
    project = load_project(directory / PROJECT_FILE)
    problems: list[Problem] = []
    paths: list[Path] = []
    for selector in selectors or [str(path) for path in workspace_files(directory)]:
        try:
            paths.append(resolve(selector, directory))
        except InvalidEnvironment as error:
            problems.extend(error.problems)
    workspaces: list[Workspace] = []
    for path in paths:
        try:
            workspaces.append(load_workspace(path, project))
        except InvalidEnvironment as error:
            problems.extend(error.problems)
    names = [workspace.name for workspace in workspaces]
    for name in {name for name in names if names.count(name) > 1}:
        problems.append(Problem("(arguments)", "", f"workspace {name!r} was named twice", show_value=False))
    if problems:
        raise InvalidEnvironment(problems)
    return Environments(project=project, workspaces=tuple(workspaces),
                        all_names=tuple(path.stem for path in workspace_files(directory)), directory=directory)


# --- pydantic errors -> Problems -----------------------------------------------------------

def _dotted(location: tuple) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _model_at(model: type[BaseModel], location: tuple) -> type[BaseModel] | None:
    """The model class that owns the key at `location`, following nested and optional fields."""
    current: type[BaseModel] | None = model
    for part in location:
        if current is None or isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        current = nested_model(field.annotation) if field else None
    return current


# What to write instead, for pydantic's type errors (TOML values are typed, nothing is coerced).
_TYPE_FIXES = {
    "bool_type": "write true or false, without quotes",
    "int_type": "write a whole number, without quotes",
    "string_type": "write a quoted string",
    "list_type": "write a list, e.g. [\"a\", \"b\"]",
    "dict_type": "write a table, e.g. [section] or { key = \"value\" }",
    "model_type": "write a table, e.g. [section] or { key = \"value\" }",
}


def _problems(shown: str, error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        location = item["loc"]
        field = _dotted(location)
        kind = item["type"]
        if kind == "extra_forbidden":
            owner = _model_at(model, location[:-1])
            known = list(owner.model_fields) if owner else []
            guess = difflib.get_close_matches(str(location[-1]), known, n=1)
            hint = f"did you mean {guess[0]!r}? " if guess else ""
            problems.append(Problem(
                shown, field, f"unknown key; {hint}keys accepted here: {', '.join(known)}", show_value=False
            ))
        elif kind == "missing":
            owner = _model_at(model, location[:-1])
            spec = owner.model_fields.get(str(location[-1])) if owner else None
            about = f" ({spec.description})" if spec and spec.description else ""
            problems.append(Problem(shown, field, f"is required but missing; add it{about}", show_value=False))
        else:
            message = item["msg"].removeprefix("Value error, ")
            message = message[0].lower() + message[1:] if message else message
            if kind in _TYPE_FIXES:
                message += f"; {_TYPE_FIXES[kind]}"
            problems.append(Problem(shown, field, message, item.get("input")))
    return problems
