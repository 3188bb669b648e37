"""Shutdown dates of provider models, so a workspace never ships a model id the provider has
switched off (the proxy would start, and every request to that model would fail).

Dated data, read from the providers' deprecation pages on the date below; a model past its date
is refused by a validation rule (environments/rules.py), so the shipped files fail CI on the day
a model they name shuts down, not in production. Add the date when a provider announces one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

CHECKED = date(2026, 11, 26)
OPENAI = "https://developers.openai.com/api/docs/deprecations"
ANTHROPIC = "https://docs.anthropic.com/en/docs/about-claude/model-deprecations"

_OPENAI_2026_10_23 = (
    "gpt-3.5-turbo", "gpt-3.5-turbo-0125", "gpt-4", "gpt-4-0613", "gpt-4-1106-preview", "gpt-4-turbo",
    "gpt-4-turbo-2024-04-09", "gpt-4o-2024-05-13", "o1", "o1-2024-12-17", "o3-mini", "o3-mini-2025-01-31",
    "o4-mini", "o4-mini-2025-04-16", "gpt-4.1-nano", "gpt-4.1-nano-2025-04-14",
)
_OPENAI_2026_12_11 = (
    "gpt-5", "gpt-5-2025-08-07", "gpt-5-mini", "gpt-5-mini-2025-08-07", "gpt-5-nano", "gpt-5-nano-2025-08-07",
)
_OPENAI_2027_01_14 = (
    "gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20", "gpt-4o-mini", "gpt-4o-mini-2024-07-18",
    "gpt-4.1", "gpt-4.1-2025-04-14", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14",
)

# (provider table, model id) -> (shutdown date, where it is announced)
SHUTDOWNS: dict[tuple[str, str], tuple[date, str]] = {
    **{("openai", model): (date(2026, 10, 23), OPENAI) for model in _OPENAI_2026_10_23},
    **{("openai", model): (date(2026, 12, 11), OPENAI) for model in _OPENAI_2026_12_11},
    **{("openai", model): (date(2027, 1, 14), OPENAI) for model in _OPENAI_2027_01_14},
    **{("anthropic", model): (date(2025, 10, 28), ANTHROPIC)
       for model in ("claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet-latest")},
}


def shutdown_of(provider: str, model: str) -> tuple[date, str] | None:
    return SHUTDOWNS.get((provider, model))


NOTICE_DAYS = 90
# The provider tables whose model ids have dated shutdowns here.
PROVIDERS = ("openai", "anthropic")


def listed_models(providers: object) -> Iterator[tuple[str, int, str]]:
    """(provider table, index, model id) of every model a workspace's [providers] lists."""
    for provider in PROVIDERS:
        listed = getattr(providers, provider)
        for index, model in enumerate(listed.models if listed else []):
            yield provider, index, model


def upcoming(providers: object, today: date) -> list[tuple[str, str, date, str]]:
    """(provider, model, shutdown, source) of the listed models that shut down within NOTICE_DAYS
    (not yet: those past are refused)."""
    found = []
    for provider, _, model in listed_models(providers):
        shutdown = shutdown_of(provider, model)
        if shutdown is not None and today < shutdown[0] and (shutdown[0] - today).days <= NOTICE_DAYS:
            found.append((provider, model, *shutdown))
    return found
