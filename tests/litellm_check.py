"""Check one rendered LiteLLM config with LiteLLM itself. Runs inside the litellm virtualenv
(.cache/tools/litellm, pinned to the image's LiteLLM release), not in the project's:

    .cache/tools/litellm/bin/python tests/litellm_check.py CONFIG.yaml...

Prints one JSON object per file: the errors found, and what LiteLLM built from it.

LiteLLM tolerates keys it does not know (settings are applied with setattr, the pydantic types
allow extras), so a misspelt key would silently do nothing. Hence two steps:
1. every section against LiteLLM's own types and signatures, unknown keys included;
2. LiteLLM's real loader (ProxyConfig.load_config), which builds the router and the guardrails.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import yaml

REFERENCE = re.compile(r"^os\.environ/([A-Z0-9_]+)$")
# litellm_settings keys load_config handles itself instead of setting them on the litellm module.
HANDLED_BY_LOADER = {"cache", "cache_params"}
# general_settings keys the proxy reads by name (general_settings.get("key", ...)) beside its typed ones.
READ_BY_NAME = re.compile(r'general_settings\.get\(\s*"([a-z_]+)"')


def general_settings_read_by_the_proxy() -> set[str]:
    import litellm.proxy

    return {key for path in Path(litellm.proxy.__file__).parent.rglob("*.py")
            for key in READ_BY_NAME.findall(path.read_text(encoding="utf-8"))}


def references(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(references(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(references(item) for item in value)) if value else set()
    match = REFERENCE.match(value) if isinstance(value, str) else None
    return {match.group(1)} if match else set()


def unknown(keys, known, where: str) -> list[str]:
    return [f"{where}: unknown key {key!r}" for key in sorted(set(keys) - set(known))]


def check_structure(config: dict) -> list[str]:
    import litellm
    from litellm.proxy._types import ConfigGeneralSettings, ConfigYAML, ModelParams
    from litellm.proxy.guardrails.guardrail_hooks.litellm_content_filter.patterns import PREBUILT_PATTERNS
    from litellm.types.guardrails import (
        ContentFilterPattern,
        GuardrailEventHooks,
        LitellmParams,
        SupportedGuardrailIntegrations,
    )
    from litellm.types.router import LiteLLM_Params

    errors = unknown(config, [*ConfigYAML.model_fields, "guardrails"], "top level")
    ConfigYAML.model_validate({key: value for key, value in config.items() if key != "guardrails"})
    for index, model in enumerate(config.get("model_list", [])):
        where = f"model_list[{index}]"
        errors += unknown(model, ModelParams.model_fields, where)
        LiteLLM_Params.model_validate(model["litellm_params"])
        errors += unknown(model["litellm_params"], LiteLLM_Params.model_fields, f"{where}.litellm_params")
    for key in config.get("litellm_settings", {}):
        if key not in HANDLED_BY_LOADER and not hasattr(litellm, key):
            errors.append(f"litellm_settings: {key!r} is not a litellm setting")
    errors += unknown(config.get("general_settings", {}),
                      {*ConfigGeneralSettings.model_fields, *general_settings_read_by_the_proxy()}, "general_settings")
    router_parameters = inspect.signature(litellm.Router.__init__).parameters
    errors += unknown(config.get("router_settings", {}), router_parameters, "router_settings")
    integrations = {item.value for item in SupportedGuardrailIntegrations}
    modes = {item.value for item in GuardrailEventHooks}
    for index, guardrail in enumerate(config.get("guardrails", [])):
        where = f"guardrails[{index}]"
        params = guardrail["litellm_params"]
        errors += unknown(guardrail, ["guardrail_name", "litellm_params", "guardrail_info"], where)
        errors += unknown(params, LitellmParams.model_fields, f"{where}.litellm_params")
        LitellmParams.model_validate(params)
        if params["guardrail"] not in integrations:
            errors.append(f"{where}: guardrail {params['guardrail']!r} is not a LiteLLM integration")
        if params["mode"] not in modes:
            errors.append(f"{where}: mode {params['mode']!r} is not one of {sorted(modes)}")
        for pattern in params.get("patterns", []):
            ContentFilterPattern.model_validate(pattern)
            if pattern["pattern_type"] == "prebuilt" and pattern["pattern_name"] not in PREBUILT_PATTERNS:
                errors.append(f"{where}: no prebuilt pattern named {pattern['pattern_name']!r}")
    return errors


def load(path: str, config: dict) -> dict:
    import litellm
    from litellm.proxy import proxy_server
    from litellm.proxy.db.exception_handler import PrismaDBExceptionHandler
    from litellm.proxy.proxy_cli import LiteLLMDatabaseConnectionPool
    from litellm.proxy.proxy_server import ProxyConfig

    router, _, general_settings = asyncio.run(ProxyConfig().load_config(router=None, config_file_path=path))
    return {
        "models": [model["model_name"] for model in router.model_list],
        "guardrails": sorted(type(callback).__name__ for callback in litellm.callbacks
                             if type(callback).__name__ == "ContentFilterGuardrail"),
        "general_settings": sorted(general_settings),
        # What the loaded proxy will do, read back from LiteLLM's own state.
        "batch_write_seconds": proxy_server.proxy_batch_write_at,
        "requests_allowed_without_database": PrismaDBExceptionHandler.should_allow_request_on_db_unavailable(),
        "json_logs": litellm.json_logs,
        "router_uses_redis": router.cache.redis_cache is not None,
        "usage_counters_in_redis": proxy_server.redis_usage_cache is not None,
        "cached_call_types": None if litellm.cache is None else list(litellm.cache.supported_call_types or []),
        "database_pool_per_worker": LiteLLMDatabaseConnectionPool.database_connection_pool_limit.value,
        "key_cache_seconds": proxy_server.user_api_key_cache.default_in_memory_ttl,
        # Cloud models of the providers' own APIs that this release has no price for: it would
        # count their spend as 0 and so never stop a key at its budget.
        "unpriced_models": unpriced(config),
    }


def unpriced(config: dict) -> list[str]:
    import litellm

    found = []
    for model in config.get("model_list", []):
        provider, _, name = model["litellm_params"]["model"].partition("/")
        if provider in ("openai", "anthropic") and litellm.model_cost.get(name, {}).get("litellm_provider") != provider:
            found.append(model["litellm_params"]["model"])
    return found


def check_one(path: str) -> dict:
    with open(path) as handle:
        config = yaml.safe_load(handle)
    needed = references(config)
    # Stand-ins for the values ECS injects from SSM; the loader resolves every reference.
    os.environ.update({name: f"stand-in-{name.lower()}" for name in needed})
    result: dict = {"references": sorted(needed)}
    try:
        # What the proxy's start-up does with the task's DATABASE_* variables (set by the caller).
        from litellm.proxy.utils import construct_database_url_from_env_vars

        result["database_url"] = construct_database_url_from_env_vars()
        result["errors"] = check_structure(config)
        result |= load(path, config)
    except Exception as error:  # report, do not crash: the test shows what LiteLLM said
        result.setdefault("errors", []).append(f"{type(error).__name__}: {error}")
    return result


# Children checking at once. A config that names a Redis spends ~15 s in redis-py's connection retries
# (sleeps, no CPU) against the stand-in host; side by side, the run takes about as long as one such config.
CHILDREN_AT_ONCE = 12


def main() -> None:
    """Check every CONFIG.yaml given, each in a child forked from a process that imported LiteLLM
    once: every file starts from a freshly imported LiteLLM, as the proxy does, without paying the
    import (most of the time) again. The children run side by side (CHILDREN_AT_ONCE); one JSON
    object per line, in the order given, once all are done; then the options of the image's entry
    point, `litellm` (what its --help lists), on a line of their own."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # offline: no model price download (read at import)
    import litellm  # noqa: F401
    from litellm.proxy import proxy_server  # noqa: F401
    from litellm.proxy.proxy_cli import run_server  # the image's `litellm` entry point (a click command)

    paths = sys.argv[1:]
    results: dict[int, dict] = {}
    running: dict[int, int] = {}  # child pid -> index of the path it checks
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryDirectory(prefix="litellm-check-") as directory:
        for index in range(len(paths)):
            if len(running) >= CHILDREN_AT_ONCE:
                reap(running, results, paths, directory)
            running[fork_check(paths[index], Path(directory, f"{index}.json"))] = index
        for _ in range(len(running)):  # each reap ends one child
            reap(running, results, paths, directory)
    for index, path in enumerate(paths):
        print(json.dumps({"path": path, **results[index]}), flush=True)
    options = {option for parameter in run_server.params for option in [*parameter.opts, *parameter.secondary_opts]}
    print(json.dumps({"command_line_options": sorted(option for option in options if option.startswith("--"))}))


def fork_check(path: str, written: Path) -> int:
    """A child that checks `path` and writes its result to `written` (whole, or not at all); its pid."""
    child = os.fork()
    if child == 0:
        try:
            try:
                result = check_one(path)
            except BaseException as error:  # noqa: BLE001 - the child reports anything, then exits
                result = {"errors": [f"{type(error).__name__}: {error}"]}
            Path(f"{written}.part").write_text(json.dumps(result))
            os.replace(f"{written}.part", written)
        finally:
            os._exit(0)  # never back into the parent's loop
    return child


def reap(running: dict[int, int], results: dict[int, dict], paths: list[str], directory: str) -> None:
    """Wait for any child; keep what it wrote, or say how it died."""
    child, status = os.wait()
    index = running.pop(child)
    written = Path(directory, f"{index}.json")
    results[index] = (json.loads(written.read_text()) if written.is_file()
                      else {"errors": [f"the check of {paths[index]} died (status {status})"]})


if __name__ == "__main__":
    main()
