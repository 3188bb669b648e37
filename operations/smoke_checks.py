"""Smoke checks of one LiteLLM proxy: standard library only, so the python3 of the LiteLLM image
runs this file as it is (`main.py smoke` ships its source in the one-off task's definition).

    python3 smoke_checks.py --base-url http://127.0.0.1:4000 [--wait S] [--database] [--cache]
                            [--model NAME]... [--completion-model NAME]

The master key comes from $LITELLM_MASTER_KEY (the task receives it from SSM) and is never printed.
Each check prints one line; the exit code names the first check that failed (EXIT_CODES), so the
caller learns which one from the container's exit code alone: the deploy role may not read logs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

# Exit code of the first failed check; 0 when every check passed.
EXIT_CODES = {"liveliness": 10, "database": 11, "cache": 12, "models": 13, "completion": 14}
EXIT_USAGE = 2
REQUEST_SECONDS = 30
COMPLETION_SECONDS = 120


class CheckFailed(Exception):
    pass


def _request(url: str, *, key: str | None = None, body: dict | None = None,
             timeout: float = REQUEST_SECONDS) -> tuple[int, object]:
    """Status and decoded JSON (or text) of one request; HTTP errors are answers, not exceptions."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                     headers=headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except OSError as error:  # refused, reset, timed out: no answer at all
        raise CheckFailed(f"no answer from {url}: {error}") from None
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")[:200]


def wait_alive(base_url: str, seconds: float) -> None:
    """Poll the liveliness endpoint until it answers 200, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            status, _ = _request(f"{base_url}/health/liveliness", timeout=5)
            if status == 200:
                return
        except CheckFailed:
            pass
        if time.monotonic() >= deadline:
            raise CheckFailed(f"the proxy did not answer /health/liveliness within {seconds:g} s")
        time.sleep(2)


def check_liveliness(base_url: str) -> str:
    # LiteLLM: health_endpoints/_health_endpoints.py, health_liveliness() returns "I'm alive!".
    status, body = _request(f"{base_url}/health/liveliness")
    if status != 200:
        raise CheckFailed(f"/health/liveliness answered {status}")
    return f"/health/liveliness: {body}"


READINESS = "/health/readiness/details"


def readiness(base_url: str, key: str) -> dict:
    # LiteLLM 1.108.7 (health_endpoints/_health_endpoints.py): the public /health/readiness says only
    # status and db; /health/readiness/details (the master key) adds the cache. It answers 503 with the
    # same body when a configured database is unreachable: the database check then names it.
    status, body = _request(f"{base_url}{READINESS}", key=key)
    if status not in (200, 503) or not isinstance(body, dict) or "db" not in body:
        raise CheckFailed(f"{READINESS} answered {status}: {body}")
    return body


def check_database(ready: dict) -> str:
    # _get_health_readiness_details(): "db" is _readiness_db_status() of the Prisma client's check
    # ("connected", "disconnected", "unknown" or "stalled") when there is a database, "Not connected"
    # when there is none; "status" stays "healthy" either way.
    if ready.get("db") != "connected":
        raise CheckFailed(f"the database is not connected: db={ready.get('db')!r}")
    return "database: connected"


def check_cache(ready: dict) -> str:
    # The details report litellm.cache.type ("redis" for the workspace's cache_params), not
    # a ping: that Redis accepts the token is what the redis-auth gate proved before litellm started.
    if ready.get("cache") != "redis":
        raise CheckFailed(f"the proxy has no Redis cache: cache={ready.get('cache')!r}")
    return "cache: redis"


def check_models(base_url: str, key: str, expected: list[str]) -> str:
    status, body = _request(f"{base_url}/v1/models", key=key)
    if status != 200 or not isinstance(body, dict):
        raise CheckFailed(f"/v1/models with the master key answered {status}")
    served = sorted(item.get("id") for item in body.get("data", []) if isinstance(item, dict))
    missing = [model for model in expected if model not in served]
    if missing:
        raise CheckFailed(f"/v1/models lacks {', '.join(missing)} (served: {', '.join(map(str, served)) or 'none'})")
    return f"/v1/models: {len(served)} models, {', '.join(expected) or 'none'} among them"


def check_completion(base_url: str, key: str, model: str) -> str:
    status, body = _request(f"{base_url}/v1/chat/completions", key=key, timeout=COMPLETION_SECONDS, body={
        "model": model, "max_tokens": 16, "messages": [{"role": "user", "content": "Reply with the word OK."}]})
    try:
        content = body["choices"][0]["message"]["content"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        content = None
    if status != 200 or not isinstance(content, str):
        detail = body.get("error", {}).get("message", "") if isinstance(body, dict) else ""
        raise CheckFailed(f"a completion of {model} answered {status} {str(detail)[:200]}".rstrip())
    return f"completion of {model}: {len(content)} characters"


def run(base_url: str, key: str, *, database: bool, cache: bool, models: list[str],
        completion_model: str | None, out=sys.stdout) -> int:
    """Every check in order; the exit code of the first that fails, 0 when all pass."""
    base_url = base_url.rstrip("/")
    checks = [("liveliness", lambda: check_liveliness(base_url))]
    if database or cache:
        state: dict = {}

        def ready() -> dict:
            if "body" not in state:
                state["body"] = readiness(base_url, key)
            return state["body"]
        if database:
            checks.append(("database", lambda: check_database(ready())))
        if cache:
            checks.append(("cache", lambda: check_cache(ready())))
    checks.append(("models", lambda: check_models(base_url, key, models)))
    if completion_model:
        checks.append(("completion", lambda: check_completion(base_url, key, completion_model)))
    for name, check in checks:
        try:
            print(f"ok {check()}", file=out, flush=True)
        except CheckFailed as error:
            print(f"FAILED {name}: {str(error).replace(key, '<master key>')}", file=out, flush=True)
            return EXIT_CODES[name]
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the proxy to come up first")
    parser.add_argument("--database", action="store_true", help="readiness must report a connected database")
    parser.add_argument("--cache", action="store_true", help="readiness must report the Redis cache")
    parser.add_argument("--model", action="append", default=[], help="a model /v1/models must list")
    parser.add_argument("--completion-model", help="the model one chat completion goes to")
    args = parser.parse_args(argv)
    key = os.environ.get("LITELLM_MASTER_KEY", "")
    if not key:
        print("LITELLM_MASTER_KEY is not set", file=sys.stderr)
        return EXIT_USAGE
    if args.wait:
        try:
            wait_alive(args.base_url.rstrip("/"), args.wait)
        except CheckFailed as error:
            print(f"FAILED liveliness: {error}", flush=True)
            return EXIT_CODES["liveliness"]
    return run(args.base_url, key, database=args.database, cache=args.cache, models=args.model,
               completion_model=args.completion_model)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
