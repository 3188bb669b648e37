"""How a rejected input is reported: file, field, the bad value, and what would be accepted."""

from __future__ import annotations

import json
from dataclasses import dataclass


def toml_value(value: object) -> str:
    """Render a value the way it is written in a TOML file."""
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + "}"
    return str(value)


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str
    value: object = None
    show_value: bool = True

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        shown = f" = {toml_value(self.value)}" if self.show_value else ""
        return f"{where}{shown}: {self.message}"


class InvalidEnvironment(Exception):
    """One or more inputs were rejected; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
