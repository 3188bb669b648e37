"""No shipped workspace or example names a provider model that shuts down within half a year.

The validation rule refuses a model only once it is switched off, which would fail every user's
`python main.py` on that day. This test reads the shipped files against today's date (the day CI
runs) and environments/retirements.py, so CI goes red SHIPPED_MARGIN_DAYS before a shutdown and
there is time to choose, test and roll out the replacement.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from environments import retirements
from tests import tools
from tests.conftest import ENVIRONMENTS, ROOT

SHIPPED_FILES = sorted([*ENVIRONMENTS.glob("*.toml"), *(ROOT / "examples").glob("*/*.toml")])


def listed_providers(path: Path) -> SimpleNamespace:
    """The [providers.*] model lists of a file, read as written (the loader would refuse a model
    already shut down before this test could name it)."""
    tables = tomllib.loads(path.read_text()).get("providers", {})
    return SimpleNamespace(**{name: SimpleNamespace(models=tables[name]["models"]) if name in tables else None
                              for name in retirements.PROVIDERS})


def workspace_files() -> list[Path]:
    return [path for path in SHIPPED_FILES if path.name != "project.toml"]


def test_every_shipped_workspace_and_example_is_read():
    names = {path.relative_to(ROOT).as_posix() for path in workspace_files()}
    assert {"environments/dev.toml", "environments/prod.toml", "examples/003-litellm-only/prod.toml"} <= names
    assert sum(len(listed_providers(path).openai.models) for path in workspace_files()
               if listed_providers(path).openai) >= 5


@pytest.mark.parametrize("path", workspace_files(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_shipped_model_retires_within_half_a_year(path):
    today = date.today()
    retiring = retirements.retiring_within(listed_providers(path), today, retirements.SHIPPED_MARGIN_DAYS)
    assert retiring == [], "\n".join(
        f"{path.relative_to(ROOT)}: providers.{provider}.models[{index}] = {model!r} shuts down on "
        f"{shutdown.date} ({(shutdown.date - today).days} days from {today}; {shutdown.source}, read "
        f"{shutdown.read}); choose a model the page recommends and the pinned LiteLLM prices"
        for provider, index, model, shutdown in retiring)


@pytest.mark.parametrize("days_before, flagged", [(retirements.SHIPPED_MARGIN_DAYS + 1, False),
                                                  (retirements.SHIPPED_MARGIN_DAYS, True), (0, True), (-30, True)])
def test_the_margin_counts_from_the_day_it_runs(days_before, flagged):
    model = "gpt-5.1"
    shutdown = retirements.shutdown_of("openai", model)
    assert shutdown is not None
    providers = SimpleNamespace(openai=SimpleNamespace(models=["gpt-6-luna", model]), anthropic=None, bedrock=None)
    found = retirements.retiring_within(providers, shutdown.date - timedelta(days=days_before),
                                        retirements.SHIPPED_MARGIN_DAYS)
    assert [(provider, index, name) for provider, index, name, _ in found] == (
        [("openai", 1, model)] if flagged else [])


def test_every_shutdown_names_its_source_and_when_it_was_read():
    for (provider, model), shutdown in retirements.SHUTDOWNS.items():
        assert provider in retirements.PROVIDERS
        if provider == "bedrock":
            assert shutdown.source == retirements.LITELLM_MODEL_MAP, model
        else:
            assert shutdown.source.startswith("https://"), model
        assert date(2025, 1, 1) <= shutdown.read <= date.today(), model


@pytest.fixture(scope="module")
def litellm_model_map() -> dict[str, dict]:
    """The model map of the pinned LiteLLM release, as its package ships it (the file LiteLLM reads with
    LITELLM_LOCAL_MODEL_COST_MAP set). Found without importing LiteLLM, which takes ~6 CPU-seconds."""
    probe = "import importlib.util; print(importlib.util.find_spec('litellm').submodule_search_locations[0])"
    result = subprocess.run([str(tools.tool_python("litellm")), "-c", probe], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    package = Path(result.stdout.strip())
    return json.loads((package / "model_prices_and_context_window_backup.json").read_text())


@pytest.mark.tools
def test_the_bedrock_rows_are_the_anthropic_ids_the_pinned_litellm_dates(litellm_model_map):
    dated = {name: date.fromisoformat(entry["deprecation_date"]) for name, entry in litellm_model_map.items()
             if entry.get("litellm_provider", "").startswith("bedrock") and entry.get("deprecation_date")
             and "anthropic." in name and "/" not in name}
    table = {model: shutdown.date for (provider, model), shutdown in retirements.SHUTDOWNS.items()
             if provider == "bedrock"}
    assert table == dated


@pytest.mark.tools
@pytest.mark.parametrize("path", workspace_files(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_shipped_bedrock_model_ends_within_half_a_year_by_the_map(path, litellm_model_map):
    """Every Bedrock id, not only Anthropic's: the map's own date, whichever model it is."""
    today = date.today()
    bedrock = listed_providers(path).bedrock
    for model in bedrock.models if bedrock else []:
        assert model in litellm_model_map, f"{model}: the pinned LiteLLM does not know it (no price either)"
        ends = litellm_model_map[model].get("deprecation_date")
        assert ends is None or (date.fromisoformat(ends) - today).days > retirements.SHIPPED_MARGIN_DAYS, (
            f"{path.relative_to(ROOT)}: {model} ends on Bedrock on {ends}")
