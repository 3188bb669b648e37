"""Every rendered config, loaded by LiteLLM itself (the release the image runs), in the litellm
virtualenv: LiteLLM's section types with unknown keys refused, its prebuilt guardrail patterns,
then its real loader. And the checker shown to catch a misspelt key."""

from __future__ import annotations

import json
import os
import subprocess
from urllib.parse import unquote_plus, urlsplit

import pytest
import yaml

from environments.limits import LITELLM_DATABASE_POOL_PER_WORKER
from environments.litellm_config import BATCH_WRITE_SECONDS, render
from environments.model import PiiPattern
from environments.secret_inputs import DATABASE_HOST, DATABASE_NAME, DATABASE_PASSWORD, DATABASE_USERNAME
from tests import tools
from tests.conftest import ROOT, SHIPPED_WORKSPACES, containers_of
from tests.test_litellm_config import workspace

pytestmark = pytest.mark.tools

CHECKER = ROOT / "tests" / "litellm_check.py"
# What ECS gives the litellm container; RDS-generated passwords may hold URL delimiters.
DATABASE_ENVIRONMENT = {DATABASE_HOST: "db.internal:5432", DATABASE_USERNAME: "litellm", DATABASE_NAME: "litellm",
                        DATABASE_PASSWORD: "p:a#s%s?w+o&r/d"}
VARIANTS = {
    "dev-ci-with-external-cache": ("dev-ci", {"litellm.cache": {"host": "cache.internal", "port": 6379, "tls": True}}),
    "prod-caching-responses": ("prod", {"litellm.response_cache": True}),
    "staging-revoking-within-10-s": ("staging", {"litellm.key_cache_seconds": 10}),
    "staging-litellm-only": ("staging", {"task.ollama": None}),
    "dev-with-azure": ("dev", {"providers.azure": {"api_base": "https://acme.openai.azure.com",
                                                   "api_version": "2024-10-21", "deployments": ["gpt-4o"]}}),
    "dev-blocking-every-pattern": ("dev", {"litellm.guardrails": {"action": "BLOCK",
                                                                  "patterns": list(PiiPattern.__args__)}}),
    "dev-without-guardrails": ("dev", {"litellm.guardrails": {"pii_pre_call": False, "pii_post_call": False}}),
}
BROKEN = {
    "misspelt-litellm-setting": lambda c: c["litellm_settings"].update(num_retires=2),
    "misspelt-router-setting": lambda c: c["router_settings"].update(redis_hots="x"),
    "misspelt-general-setting": lambda c: c["general_settings"].update(proxy_batch_write_a=60),
    "misspelt-model-param": lambda c: c["model_list"][0]["litellm_params"].update(api_bsae="x"),
    "unknown-guardrail": lambda c: c["guardrails"][0]["litellm_params"].update(guardrail="presidoi"),
    "unknown-pattern": lambda c: c["guardrails"][0]["litellm_params"]["patterns"][0].update(pattern_name="ssn_us"),
}
BROKEN_MESSAGES = {
    "misspelt-litellm-setting": "'num_retires' is not a litellm setting",
    "misspelt-router-setting": "router_settings: unknown key 'redis_hots'",
    "misspelt-general-setting": "general_settings: unknown key 'proxy_batch_write_a'",
    "misspelt-model-param": "unknown key 'api_bsae'",
    "unknown-guardrail": "'presidoi'",
    "unknown-pattern": "no prebuilt pattern named 'ssn_us'",
}


def check(configs: dict[str, str], directory) -> tuple[dict[str, dict], set[str]]:
    """Every config (label -> YAML text) checked by LiteLLM in one run of tests/litellm_check.py (each in a
    child forked from one import of LiteLLM, the children side by side): label -> outcome, and the
    options the pinned release's `litellm` command line defines."""
    paths = {}
    for label, text in configs.items():
        paths[label] = directory / f"{label}.yaml"
        paths[label].write_text(text)
    result = subprocess.run([str(tools.tool_python("litellm")), str(CHECKER), *map(str, paths.values())],
                            capture_output=True, text=True, timeout=600, env={**os.environ, **DATABASE_ENVIRONMENT})
    assert result.returncode == 0, result.stderr[-3000:]
    # LiteLLM prints to stdout as it loads; the checker's lines are the JSON ones naming a path.
    outcomes = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"path": ')]
    by_path = {outcome.pop("path"): outcome for outcome in outcomes}
    (options,) = [json.loads(line)["command_line_options"] for line in result.stdout.splitlines()
                  if line.startswith('{"command_line_options": ')]
    return {label: by_path[str(path)] for label, path in paths.items()}, set(options)


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> tuple[dict[str, dict], set[str]]:
    jobs = {name: render(workspace(name)) for name in SHIPPED_WORKSPACES}
    jobs |= {label: render(workspace(base, **changes)) for label, (base, changes) in VARIANTS.items()}
    for label, breakage in BROKEN.items():
        broken = yaml.safe_load(render(workspace("dev")))
        breakage(broken)
        jobs[f"broken-{label}"] = yaml.safe_dump(broken)
    unknown_model = yaml.safe_load(render(workspace("dev")))
    unknown_model["model_list"][-1]["litellm_params"]["model"] = "openai/gpt-4o-mimi"
    jobs["unknown-model"] = yaml.safe_dump(unknown_model)
    return check(jobs, tmp_path_factory.mktemp("litellm"))


@pytest.fixture(scope="module")
def results(checked) -> dict[str, dict]:
    return checked[0]


@pytest.mark.parametrize("label", [*SHIPPED_WORKSPACES, *VARIANTS])
def test_litellm_accepts_the_config(label, results):
    outcome = results[label]
    assert outcome["errors"] == []
    base, changes = VARIANTS.get(label, (label, {}))
    rendered = yaml.safe_load(render(workspace(base, **changes)))
    assert outcome["models"] == [model["model_name"] for model in rendered["model_list"]]
    assert len(outcome["guardrails"]) == len(rendered.get("guardrails", []))
    assert outcome["general_settings"] == sorted(rendered["general_settings"])
    assert outcome["batch_write_seconds"] == BATCH_WRITE_SECONDS
    assert outcome["requests_allowed_without_database"] is False
    assert outcome["json_logs"] is True
    assert outcome["key_cache_seconds"] == workspace(base, **changes).settings.litellm.key_cache_seconds
    settings = workspace(base, **changes).settings
    shared = settings.redis is not None or settings.litellm.cache is not None
    assert outcome["router_uses_redis"] is shared
    # Per-key rate limits are counted in the proxy's usage cache: it must be Redis whenever tasks share one.
    assert outcome["usage_counters_in_redis"] is shared
    if shared:
        assert bool(outcome["cached_call_types"]) is settings.litellm.response_cache


def test_the_connection_rule_counts_litellms_own_pool(results):
    """With the config in S3 LiteLLM's CLI applies its default pool size, whatever the config says:
    the database connection rule must count that number."""
    assert results["dev"]["database_pool_per_worker"] == LITELLM_DATABASE_POOL_PER_WORKER


@pytest.mark.parametrize("label", SHIPPED_WORKSPACES)
def test_the_pinned_release_prices_every_shipped_cloud_model(label, results):
    """A model LiteLLM has no price for costs 0: spend and key budgets would not count it."""
    assert results[label]["unpriced_models"] == []


def test_the_price_check_catches_an_unknown_model(results):
    """dev with its last model renamed to one no release knows (checked in the same run as the others,
    each config in a freshly forked LiteLLM)."""
    assert results["unknown-model"]["unpriced_models"] == ["openai/gpt-4o-mimi"]


@pytest.mark.parametrize("label", SHIPPED_WORKSPACES)
def test_litellm_builds_the_database_url_from_the_task_environment(label, results):
    """The task sets DATABASE_HOST/USERNAME/NAME and the RDS-managed DATABASE_PASSWORD, which may
    hold any character: LiteLLM must build a URL that carries it intact."""
    url = urlsplit(results[label]["database_url"])
    assert (url.scheme, url.hostname, url.port, url.path) == ("postgresql", "db.internal", 5432, "/litellm")
    assert unquote_plus(url.password) == DATABASE_ENVIRONMENT[DATABASE_PASSWORD]


@pytest.mark.parametrize("label", list(BROKEN))
def test_checker_catches(label, results):
    outcome = results[f"broken-{label}"]
    assert any(BROKEN_MESSAGES[label] in error for error in outcome["errors"]), outcome["errors"]


def test_litellm_command_line_knows_every_option_the_task_passes(checked, stacks):
    """The container command is the image's `litellm` entry point: each option must be one the
    pinned release's command line defines (click would refuse an unknown one at start). Read from the
    click command itself in the checker's run (its --help would import LiteLLM once more)."""
    known = checked[1]
    assert {"--port", "--config", "--num_workers"} <= known, sorted(known)
    for name in SHIPPED_WORKSPACES:
        options = [part for part in containers_of(stacks[name])["litellm"]["command"] if part.startswith("--")]
        assert options and set(options) <= known, (name, sorted(set(options) - known))
