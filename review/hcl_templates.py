"""Which functions a string calls when Terraform reads it as an HCL template.

Terraform's JSON syntax evaluates every string (object keys included) as a template: `${ expr }`
interpolates an expression, `%{ ... }` is a directive, `$${` and `%%{` are literal. The plan gate
must know every function such a string calls, so this scanner reads templates the way HCL's
scanner does and refuses what it will not reason about: directives, comments and heredocs inside
an expression, characters outside ASCII inside an expression, and anything left unterminated.
With comments refused, a function call is always an identifier followed by optional whitespace
and `(`; quoted strings inside an expression are templates again and are read the same way.
Standard library only.
"""

from __future__ import annotations

IDENTIFIER_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
IDENTIFIER_REST = IDENTIFIER_START | frozenset("0123456789-")
OPENING = {"{": "}", "(": ")", "[": "]"}
CLOSING = frozenset(OPENING.values())
WHITESPACE = frozenset(" \t\r\n")


class TemplateError(ValueError):
    """A template the gate does not read; the message says what was found."""


def called_functions(text: str) -> set[str]:
    """Names of the functions `text` calls (provider functions as `provider::name::function`)."""
    calls: set[str] = set()
    end = _template(text, 0, calls, quoted=False)
    assert end == len(text)
    return calls


def _template(text: str, index: int, calls: set[str], *, quoted: bool) -> int:
    """Read template text from `index`: to the end, or (quoted) to the closing quote, returning the
    index after it."""
    length = len(text)
    while index < length:
        character = text[index]
        if quoted and character == "\\":
            index += 2  # an escape: the next character is literal text
            continue
        if quoted and character == '"':
            return index + 1
        if text.startswith(("$${", "%%{"), index):
            index += 3
        elif text.startswith("${", index):
            index = _expression(text, index + 2, calls)
        elif text.startswith("%{", index):
            raise TemplateError("a template directive (%{...}); only ${...} interpolations are read")
        else:
            index += 1
    if quoted:
        raise TemplateError("a quoted string inside an interpolation is not closed")
    return index


def _expression(text: str, index: int, calls: set[str]) -> int:
    """Read an interpolated expression from `index` to its closing brace; return the index after it."""
    expected: list[str] = []
    length = len(text)
    while index < length:
        character = text[index]
        if not character.isascii():
            raise TemplateError("a character outside ASCII inside an interpolation")
        if character in WHITESPACE:
            index += 1
        elif character == '"':
            index = _template(text, index + 1, calls, quoted=True)
        elif character == "#" or text.startswith(("//", "/*"), index):
            raise TemplateError("a comment inside an interpolation")
        elif text.startswith("<<", index):
            raise TemplateError("a heredoc inside an interpolation")
        elif character in IDENTIFIER_START:
            index = _identifier(text, index, calls)
        elif character in OPENING:
            expected.append(OPENING[character])
            index += 1
        elif character in CLOSING:
            if not expected:
                if character != "}":
                    raise TemplateError(f"an unmatched {character!r} inside an interpolation")
                return index + 1
            if expected.pop() != character:
                raise TemplateError(f"an unmatched {character!r} inside an interpolation")
            index += 1
        else:
            index += 1
    raise TemplateError("an interpolation (${...) is not closed")


def _identifier(text: str, index: int, calls: set[str]) -> int:
    """Read an identifier (with `::` namespaces); record it when a call follows."""
    start = index
    while True:
        while index < len(text) and text[index] in IDENTIFIER_REST:
            index += 1
        if text.startswith("::", index) and index + 2 < len(text) and text[index + 2] in IDENTIFIER_START:
            index += 2
            continue
        break
    name = text[start:index]
    after = index
    while after < len(text) and text[after] in WHITESPACE:
        after += 1
    if after < len(text) and text[after] == "(":
        calls.add(name)
    return index
