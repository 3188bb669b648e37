"""Shutdown dates of provider models, so a workspace never ships a model id the provider has
switched off (the proxy would start, and every request to that model would fail).

Dated data: each group below says where it was read and on which date. A model past its date is
refused by a validation rule (environments/rules.py), `validate` gives notice of one within
NOTICE_DAYS, and tests/test_model_retirements.py fails CI when a shipped workspace or example
names a model that shuts down within SHIPPED_MARGIN_DAYS of the day the tests run. Add a group
when a provider announces a shutdown, with the page and the date you read it.

Read on 2026-11-30 through the search tool's stored copies of those pages (and, where a row
was only in a summary quoting a page, that summary's rows): re-read the pages themselves when
you can. The providers' own API tables (openai, anthropic) come from their pages; Bedrock's dates
from the `deprecation_date` of LiteLLM's model map in the pinned release (AWS's model lifecycle page
lists only the Legacy models and guarantees six months in that state before an end of life; its
table was not in the stored copy). Azure deployments are the operator's names: not covered.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import NamedTuple

OPENAI = "https://developers.openai.com/api/docs/deprecations"
ANTHROPIC = "https://docs.anthropic.com/en/docs/about-claude/model-deprecations"
# LiteLLM 1.108.7 (the pinned release, PyPI), litellm/model_prices_and_context_window_backup.json:
# each Bedrock id's `deprecation_date`.
LITELLM_MODEL_MAP = "litellm 1.108.7: litellm/model_prices_and_context_window_backup.json (deprecation_date)"
# The model overview pages Anthropic links from its deprecations page (one per model).
ANTHROPIC_SONNET_4_5 = "https://platform.claude.com/docs/en/models/sonnet-4-5/overview"


class Shutdown(NamedTuple):
    """When the provider switches a model off, where that is announced, and when it was read there."""

    date: date
    source: str
    read: date


# (provider table, shutdown date, source, date read, model ids)
_GROUPS: tuple[tuple[str, date, str, date, tuple[str, ...]], ...] = (
    # OpenAI, "Legacy GPT model snapshots" (announced 2026-04-22): the chat, codex and deep-research ids.
    ("openai", date(2026, 7, 23), OPENAI, date(2026, 11, 30), (
        "gpt-5-chat-latest", "gpt-5-codex", "gpt-5.1-chat-latest", "gpt-5.1-codex", "gpt-5.1-codex-max",
        "gpt-5.1-codex-mini", "gpt-5.2-codex", "computer-use-preview", "computer-use-preview-2025-03-11",
        "gpt-4o-search-preview-2025-03-11", "gpt-4o-mini-search-preview-2025-03-11", "o3-deep-research",
        "o3-deep-research-2025-06-26", "o4-mini-deep-research", "o4-mini-deep-research-2025-06-26",
    )),
    # OpenAI, gpt-5.2-chat-latest and gpt-5.3-chat-latest (announced 2026-05-08).
    ("openai", date(2026, 8, 10), OPENAI, date(2026, 11, 30), ("gpt-5.2-chat-latest", "gpt-5.3-chat-latest")),
    ("openai", date(2026, 10, 23), OPENAI, date(2026, 11, 26), (
        "gpt-3.5-turbo", "gpt-3.5-turbo-0125", "gpt-4", "gpt-4-0613", "gpt-4-1106-preview", "gpt-4-turbo",
        "gpt-4-turbo-2024-04-09", "gpt-4o-2024-05-13", "o1", "o1-2024-12-17", "o3-mini", "o3-mini-2025-01-31",
        "o4-mini", "o4-mini-2025-04-16", "gpt-4.1-nano", "gpt-4.1-nano-2025-04-14",
    )),
    ("openai", date(2026, 10, 23), OPENAI, date(2026, 11, 30), ("o1-pro", "o1-pro-2025-03-19")),
    # OpenAI, "GPT-5 and o3 model deprecations" (announced 2026-06-11).
    ("openai", date(2026, 12, 11), OPENAI, date(2026, 11, 26), (
        "gpt-5", "gpt-5-2025-08-07", "gpt-5-mini", "gpt-5-mini-2025-08-07", "gpt-5-nano", "gpt-5-nano-2025-08-07",
    )),
    ("openai", date(2026, 12, 11), OPENAI, date(2026, 11, 30), (
        "gpt-5-pro", "gpt-5-pro-2025-10-06", "o3", "o3-2025-04-16", "o3-pro", "o3-pro-2025-06-10",
    )),
    # OpenAI, GPT-4o, GPT-4o mini, GPT-4.1 and GPT-4.1 mini (announced 2026-10-14; replacements
    # gpt-6.1-sol and gpt-6-luna).
    ("openai", date(2027, 1, 14), OPENAI, date(2026, 11, 26), (
        "gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20", "gpt-4o-mini", "gpt-4o-mini-2024-07-18",
        "gpt-4.1", "gpt-4.1-2025-04-14", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14",
    )),
    # OpenAI, GPT-5.1 and two specialised variants.
    ("openai", date(2027, 4, 1), OPENAI, date(2026, 11, 30), ("gpt-5.1", "gpt-5.3-codex", "gpt-5.4-nano")),
    ("anthropic", date(2025, 10, 28), ANTHROPIC, date(2026, 11, 26), (
        "claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet-latest",
    )),
    ("anthropic", date(2026, 1, 5), ANTHROPIC, date(2026, 11, 30), ("claude-3-opus-20240229", "claude-3-opus-latest")),
    ("anthropic", date(2026, 2, 19), ANTHROPIC, date(2026, 11, 30), (
        "claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest",
    )),
    ("anthropic", date(2026, 6, 15), ANTHROPIC, date(2026, 11, 30), (
        "claude-sonnet-4-20250514", "claude-sonnet-4-0", "claude-opus-4-20250514", "claude-opus-4-0",
    )),
    ("anthropic", date(2026, 8, 5), ANTHROPIC, date(2026, 11, 30), ("claude-opus-4-1", "claude-opus-4-1-20250805")),
    # Claude Sonnet 4.5: retires on the day this was read; replacement Claude Sonnet 5.5.
    ("anthropic", date(2026, 11, 30), ANTHROPIC_SONNET_4_5, date(2026, 11, 30), (
        "claude-sonnet-4-5", "claude-sonnet-4-5-20250929",
    )),
    # Claude Opus 4.5, deprecated 2026-11-23 with a tentative retirement date; replacement claude-opus-5-5.
    ("anthropic", date(2027, 1, 22), ANTHROPIC, date(2026, 11, 30), ("claude-opus-4-5", "claude-opus-4-5-20251101")),
    # Bedrock: Anthropic's ids and cross-region inference profiles with a date in LiteLLM's map (every
    # one of them; tests/test_model_retirements.py compares these rows with the map of the pinned release).
    ("bedrock", date(2026, 10, 14), LITELLM_MODEL_MAP, date(2026, 11, 30), tuple(
        f"{prefix}anthropic.claude-sonnet-4-20250514-v1:0" for prefix in ("", "apac.", "eu.", "global.", "us."))),
    ("bedrock", date(2026, 10, 15), LITELLM_MODEL_MAP, date(2026, 11, 30), (
        "eu.anthropic.claude-haiku-4-5-20251001-v1:0",)),
    ("bedrock", date(2027, 1, 8), LITELLM_MODEL_MAP, date(2026, 11, 30), tuple(
        f"{prefix}anthropic.claude-opus-4-1-20250805-v1:0" for prefix in ("", "eu.", "us."))),
    ("bedrock", date(2027, 4, 8), LITELLM_MODEL_MAP, date(2026, 11, 30), tuple(
        f"{prefix}anthropic.claude-sonnet-4-5-20250929-v1:0"
        for prefix in ("", "au.", "eu.", "global.", "jp.", "us."))),
)

# (provider table, model id) -> its shutdown
SHUTDOWNS: dict[tuple[str, str], Shutdown] = {
    (provider, model): Shutdown(shutdown, source, read)
    for provider, shutdown, source, read, models in _GROUPS for model in models
}


def shutdown_of(provider: str, model: str) -> Shutdown | None:
    return SHUTDOWNS.get((provider, model))


NOTICE_DAYS = 90
# A shipped workspace or example must name no model that shuts down within this many days of the
# day the tests run (tests/test_model_retirements.py): CI goes red half a year ahead, not on the day.
SHIPPED_MARGIN_DAYS = 180
# The provider tables whose model ids have dated shutdowns here.
PROVIDERS = ("openai", "anthropic", "bedrock")


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
        if shutdown is not None and today < shutdown.date and (shutdown.date - today).days <= NOTICE_DAYS:
            found.append((provider, model, shutdown.date, shutdown.source))
    return found


def retiring_within(providers: object, today: date, days: int) -> list[tuple[str, int, str, Shutdown]]:
    """(provider, index, model, shutdown) of the listed models shut down by `today + days` (past ones included)."""
    found = []
    for provider, index, model in listed_models(providers):
        shutdown = shutdown_of(provider, model)
        if shutdown is not None and (shutdown.date - today).days <= days:
            found.append((provider, index, model, shutdown))
    return found
