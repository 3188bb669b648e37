"""Pull mode with many tasks on one shared model cache converges.

The real wrapper script (modules/ecs_service/containers.py, pull_script) runs under /bin/sh, with
the real flock, against a stand-in `ollama` (tests/fakes/ollama) that behaves as Ollama does where
it matters: `serve` prunes partial blobs unless OLLAMA_NOPRUNE is set, `pull` resumes a partial
blob. The story: a first task is killed mid-download (startTimeout, Spot), then two tasks start
together (scale-out). The cache must end complete, with every chunk downloaded once, one writer
at a time, and the second task must not pull at all. The same story without OLLAMA_NOPRUNE is
shown to lose the first task's download, so the test can tell the difference.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from modules.ecs_service.containers import container_definitions, pull_script
from tests.conftest import ROOT, SHIPPED_WORKSPACES

FAKES = ROOT / "tests" / "fakes"
MODEL = "llama3.2:3b"
CHUNKS = 20
LOCK_WAIT_SECONDS = 30


class Task:
    """One task's ollama container: the wrapper under /bin/sh, in its own process group."""

    def __init__(self, name: str, root: Path, *, no_prune: bool) -> None:
        directory = root / name
        directory.mkdir()
        environment = {
            "PATH": f"{FAKES}:{os.environ['PATH']}", "OLLAMA_MODELS": str(root / "models"),
            "FAKE_TASK_DIR": str(directory), "FAKE_LOG": str(root / "events.log"),
            "FAKE_MODEL_CHUNKS": str(CHUNKS), "FAKE_CHUNK_SECONDS": "0.05",
        }
        if no_prune:
            environment["OLLAMA_NOPRUNE"] = "1"
        script = pull_script([MODEL], 11434, LOCK_WAIT_SECONDS, models_path=str(root / "models"))
        self.process = subprocess.Popen(["/bin/sh", "-c", script], env=environment, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def kill(self) -> None:
        """What ECS does to a task past its limits: every process of it, at once."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def events(root: Path) -> list[str]:
    path = root / "events.log"
    return path.read_text().splitlines() if path.exists() else []


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def story(root: Path, *, no_prune: bool) -> list[str]:
    (root / "models").mkdir()
    first = Task("first", root, no_prune=no_prune)
    try:
        assert wait_for(lambda: sum(e == "first chunk" for e in events(root)) >= CHUNKS // 2, 20), events(root)
    finally:
        first.kill()
    second, third = Task("second", root, no_prune=no_prune), Task("third", root, no_prune=no_prune)
    try:
        assert wait_for(lambda: (root / "models" / "manifests" / MODEL.replace(":", "_")).exists(), 30), events(root)
        # Let the waiting task take the lock and look again before judging what it did.
        assert wait_for(lambda: second.process.poll() is None and third.process.poll() is None, 1)
        time.sleep(0.5)
        assert second.process.poll() is None and third.process.poll() is None, "both keep serving"
    finally:
        second.kill()
        third.kill()
    return events(root)


def test_pulls_converge_on_a_shared_cache(tmp_path):
    log = story(tmp_path, no_prune=True)
    assert "first pruned" not in log and not any(e.endswith("pruned") for e in log)
    assert not any(e.endswith("concurrent-writer") for e in log), "one writer at a time"
    assert sum(e.endswith(" chunk") for e in log) == CHUNKS, "every chunk fetched once: the pull resumed"
    pullers = {e.split()[0] for e in log if e.endswith(" pull") and not e.startswith("first")}
    assert len(pullers) == 1, f"exactly one of the two new tasks pulls: {pullers}"
    assert sum(e.endswith(" pulled") for e in log) == 1


def test_without_noprune_a_starting_task_throws_the_download_away(tmp_path):
    log = story(tmp_path, no_prune=False)
    assert any(e.endswith(" pruned") for e in log)
    assert sum(e.endswith(" chunk") for e in log) > CHUNKS, "the pull started over"


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_pull_mode_containers_set_noprune(name):
    from environments.litellm_config import redis_environment
    from environments.startup import plan
    from tests.test_litellm_config import workspace

    loaded = workspace(name)
    from modules.ecs_service.containers import ConfigObject

    (ollama, _) = container_definitions(
        workspace=loaded, startup=plan(loaded.settings.task.ollama), log_groups={"litellm": "/l", "ollama": "/o"},
        secrets={"REDIS_PASSWORD": "arn:r"}, config=ConfigObject(bucket="b", key="k", sha256="0"),
        litellm_environment=redis_environment("redis.internal", 6379, tls=True),
    )[:2]
    environment = {item["name"]: item["value"] for item in ollama["environment"]}
    pull = loaded.settings.task.ollama.model_delivery == "pull"
    assert (environment.get("OLLAMA_NOPRUNE") == "1") is pull
    if pull:
        assert "flock -w" in ollama["command"][0] and "/models/.pull-llama3.2_3b.lock" in ollama["command"][0]


def test_a_second_local_model_is_served_checked_pulled_and_kept_loaded():
    from environments.litellm_config import redis_environment, render
    from environments.startup import plan
    from modules.ecs_service.containers import ConfigObject
    from tests.test_litellm_config import workspace

    loaded = workspace("dev", **{"task.ollama.additional_models": [{"name": "llama3.2:1b", "size_mb": 1321}],
                                 "task.ollama.memory": 5632, "task.memory": 9216})
    (ollama, _) = container_definitions(
        workspace=loaded, startup=plan(loaded.settings.task.ollama), log_groups={"litellm": "/l", "ollama": "/o"},
        secrets={"REDIS_PASSWORD": "arn:r"}, config=ConfigObject(bucket="b", key="k", sha256="0"),
        litellm_environment=redis_environment("redis.internal", 6379, tls=True),
    )[:2]
    assert ollama["healthCheck"]["command"] == [
        "CMD-SHELL", "ollama show llama3.2:3b >/dev/null && ollama show llama3.2:1b >/dev/null"]
    environment = {item["name"]: item["value"] for item in ollama["environment"]}
    assert environment["OLLAMA_MAX_LOADED_MODELS"] == "2"
    script = ollama["command"][0]
    assert "ollama pull llama3.2:3b" in script and "ollama pull llama3.2:1b" in script
    assert script.count("flock -w") == 2
    assert "ollama_chat/llama3.2:1b" in render(loaded)
    one = plan(workspace("dev").settings.task.ollama)
    assert plan(loaded.settings.task.ollama).ollama_ready_seconds > one.ollama_ready_seconds, "both are pulled"
