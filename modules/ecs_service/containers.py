"""The task's container definitions (ECS RegisterTaskDefinition JSON), as plain data.

No cdktf import: the same function feeds the task definition and the tests that check the
definitions against botocore's ECS model. Values that only exist after apply (ARNs) arrive as
strings, which may be cdktf tokens.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from environments.litellm_config import REDIS_HOST, REDIS_PORT, REDIS_SSL
from environments.model import OllamaContainer
from environments.secret_inputs import REDIS_PASSWORD
from environments.startup import HealthCheckTiming, StartupPlan
from environments.workspace import Workspace

LITELLM = "litellm"
OLLAMA = "ollama"
REDIS_AUTH_GATE = "redis-auth-gate"
NOBODY = "65534:65534"

# Task-level volumes (Fargate: EFS or task-scoped ephemeral storage, no host bind mounts).
MODEL_CACHE_VOLUME = "model-cache"
OLLAMA_HOME_VOLUME = "ollama-home"
OLLAMA_TMP_VOLUME = "ollama-tmp"
MODELS_PATH = "/models"
OLLAMA_HOME = "/root/.ollama"

# The LiteLLM images ship no curl or wget; python is there.
LITELLM_HEALTH_SCRIPT = (
    "import sys, urllib.request; "
    "sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{port}/health/liveliness', timeout=4).status == 200 "
    "else 1)"
)
# The managed Redis gets its AUTH token from `main.py redis-auth` after the apply (the provider has no
# write-only token argument). Until then this check fails, and litellm, which waits for its SUCCESS,
# never starts: no task serves with a Redis that answers without the token, and a failed redis-auth
# leaves it so. It runs in the litellm image (python3 and redis-py are there) and exits 0 only when
# Redis refuses a client without the token and accepts the token.
REDIS_AUTH_GATE_SCRIPT = """\
import os, sys
import redis
options = dict(host=os.environ["REDIS_HOST"], port=int(os.environ["REDIS_PORT"]), socket_timeout=5,
               socket_connect_timeout=5, ssl=os.environ["REDIS_SSL"] == "True")
try:
    redis.Redis(**options).ping()
except redis.exceptions.AuthenticationError:
    pass
else:
    sys.exit("Redis answers without AUTH: litellm starts once main.py redis-auth has turned it on")
redis.Redis(password=os.environ["REDIS_PASSWORD"], **options).ping()
print("Redis requires AUTH and accepts the workspace's token")
"""
# Seconds uvicorn's keep-alive outlasts the load balancer's idle timeout.
KEEPALIVE_MARGIN = 5
# Seconds the pull-mode wrapper waits for `ollama serve` before giving up.
SERVER_WAIT_SECONDS = 60


@dataclass(frozen=True)
class ConfigObject:
    """Where the rendered LiteLLM config lives, and its content hash."""

    bucket: str
    key: str
    sha256: str


def _health_check(command: list[str], timing: HealthCheckTiming) -> dict:
    return {
        "command": command,
        "interval": timing.interval,
        "timeout": timing.timeout,
        "retries": timing.retries,
        "startPeriod": timing.start_period,
    }


def _logging(group: str, region: str, prefix: str) -> dict:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": group,
            "awslogs-region": region,
            "awslogs-stream-prefix": prefix,
            # Never block the application when CloudWatch throttles; buffer instead.
            "mode": "non-blocking",
            "max-buffer-size": "25m",
        },
    }


def _environment(values: dict[str, str]) -> list[dict]:
    return [{"name": name, "value": value} for name, value in sorted(values.items())]


def model_check(models: list[str]) -> list[str]:
    """Health check command: healthy once every model is present (the image has /bin/sh)."""
    if len(models) == 1:
        return ["CMD", "ollama", "show", models[0]]
    return ["CMD-SHELL", " && ".join(f"ollama show {shlex.quote(model)} >/dev/null" for model in models)]


def pull_lock_path(model: str) -> str:
    """One lock file per model on the shared cache."""
    return f"{MODELS_PATH}/.pull-{re.sub(r'[^A-Za-z0-9._-]', '_', model)}.lock"


def pull_script(models: list[str], port: int, lock_wait_seconds: int, models_path: str = MODELS_PATH) -> str:
    """Shell wrapper for `pull` mode: serve, fetch the model unless the cache has it, keep serving.

    Why it converges with many tasks on one EFS cache (scale-out, Spot replacement, deploy overlap):
    - OLLAMA_NOPRUNE (set on the container): a starting `ollama serve` no longer deletes the partial
      blobs of a download in progress, or of one a killed task left behind;
    - one pull per model at a time: an NFS lock (flock, which EFS honours and releases when its
      holder dies) serialises the pullers; a waiter finds the model already there and skips its pull;
    - Ollama resumes a download from its partial blobs, so every attempt keeps what earlier ones
      fetched and a pull cut by startTimeout makes progress instead of starting over.
    """
    lines = [
        "set -u",
        "ollama serve &",
        "server=$!",
        "trap 'kill -TERM \"$server\"' TERM INT",
        "waited=0",
        "until ollama list >/dev/null 2>&1; do",
        "  waited=$((waited + 1))",
        f"  if [ \"$waited\" -ge {SERVER_WAIT_SECONDS} ] || ! kill -0 \"$server\" 2>/dev/null; then",
        f"    echo \"ollama did not answer on port {port} within {SERVER_WAIT_SECONDS} s\" >&2; exit 1",
        "  fi",
        "  sleep 1",
        "done",
    ]
    for model in models:
        quoted = shlex.quote(model)
        lock = shlex.quote(pull_lock_path(model).replace(MODELS_PATH, models_path, 1))
        lines += [
            f"if ! ollama show {quoted} >/dev/null 2>&1; then",
            f"  exec 9>{lock}",
            f"  if ! flock -w {lock_wait_seconds} 9; then",
            f"    echo \"another task is still pulling {quoted}\" >&2; kill -TERM \"$server\"; exit 1",
            "  fi",
            f"  ollama show {quoted} >/dev/null 2>&1 || ollama pull {quoted} || "
            f"{{ echo \"pulling {quoted} failed\" >&2; kill -TERM \"$server\"; exit 1; }}",
            "  exec 9>&-",
            "fi",
        ]
    return "\n".join([*lines, "wait \"$server\""])


def ollama_container(ollama: OllamaContainer, startup: StartupPlan, log_group: str, region: str) -> dict:
    """The sidecar that serves the local model on 127.0.0.1."""
    assert startup.ollama_health is not None
    pull = ollama.model_delivery == "pull"

    ollama_environment = {
        "OLLAMA_HOST": f"127.0.0.1:{ollama.port}",
        # Pinned, not Ollama's defaults (which depend on its version and the free memory): the
        # memory rule (environments/rules.py, ollama_memory) counts exactly these.
        "OLLAMA_CONTEXT_LENGTH": str(ollama.context_length),
        "OLLAMA_NUM_PARALLEL": str(ollama.num_parallel),
        "OLLAMA_KEEP_ALIVE": "-1",  # keep the model loaded: the task exists to serve it
        "OLLAMA_MAX_LOADED_MODELS": str(len(ollama.served())),  # every served model stays loaded
    }
    if pull:
        # A starting server must not delete another task's download in progress (see pull_script).
        ollama_environment["OLLAMA_NOPRUNE"] = "1"
    container: dict = {
        "name": OLLAMA,
        "image": ollama.image,
        "essential": True,
        "cpu": ollama.cpu,
        "memory": ollama.memory,
        "environment": _environment(ollama_environment | ({"OLLAMA_MODELS": MODELS_PATH} if pull else {})),
        "healthCheck": _health_check(model_check([model.name for model in ollama.served()]), startup.ollama_health),
        # Read by the ECS agent as the limit on how long litellm waits for ollama to be HEALTHY.
        "startTimeout": startup.ollama_start_timeout,
        "stopTimeout": 30,
        "logConfiguration": _logging(log_group, region, OLLAMA),
        # Default capabilities: ollama runs as root and writes an EFS cache owned by the access
        # point's user; dropping DAC capabilities there is unproven, and this container only
        # listens on 127.0.0.1.
        "linuxParameters": {"initProcessEnabled": True},
        # In `baked` mode the model sits in the image under $HOME/.ollama, where ollama also writes
        # its identity key, so that path cannot be a separate writable volume.
        "readonlyRootFilesystem": pull,
        "mountPoints": [
            {"sourceVolume": MODEL_CACHE_VOLUME, "containerPath": MODELS_PATH, "readOnly": False},
            {"sourceVolume": OLLAMA_HOME_VOLUME, "containerPath": OLLAMA_HOME, "readOnly": False},
            {"sourceVolume": OLLAMA_TMP_VOLUME, "containerPath": "/tmp", "readOnly": False},
        ] if pull else [],
    }
    if pull:
        container["entryPoint"] = ["/bin/sh", "-c"]
        container["command"] = [pull_script([model.name for model in ollama.served()], ollama.port,
                                            startup.ollama_start_timeout)]
    return container


def container_definitions(
    *,
    workspace: Workspace,
    startup: StartupPlan,
    log_groups: dict[str, str],
    secrets: dict[str, str],
    config: ConfigObject,
    litellm_environment: dict[str, str] | None = None,
) -> list[dict]:
    """The containers of the task: ollama (when the workspace has a local model) and litellm.

    `secrets` maps container environment variables to SSM parameter ARNs: secrets reach the
    container by reference only, never as plain environment values.
    """
    task = workspace.settings.task
    region = workspace.settings.region
    litellm = task.litellm
    environment = dict(litellm_environment or {}) | {
        "LITELLM_CONFIG_BUCKET_NAME": config.bucket,
        "LITELLM_CONFIG_BUCKET_OBJECT_KEY": config.key,
        # A config change changes this value, hence the task definition: the change rolls out.
        "LITELLM_CONFIG_SHA256": config.sha256,
    }
    litellm_container: dict = {
        "name": LITELLM,
        "image": litellm.image,
        "essential": True,
        "cpu": litellm.cpu,
        "memory": litellm.memory,
        # uvicorn must keep idle connections open longer than the load balancer does, or it closes
        # one the ALB is about to reuse and the client gets a 502 (uvicorn's default is 5 s).
        "command": ["--port", str(litellm.port), "--num_workers", str(litellm.workers),
                    "--keepalive_timeout", str(workspace.settings.ingress.idle_timeout_seconds + KEEPALIVE_MARGIN)],
        "portMappings": [{
            "name": "litellm-http", "containerPort": litellm.port, "hostPort": litellm.port,
            "protocol": "tcp", "appProtocol": "http",
        }],
        "environment": _environment(environment),
        "secrets": [{"name": name, "valueFrom": arn} for name, arn in sorted(secrets.items())],
        # litellm starts once ollama has the model (see environments/startup.py).
        "dependsOn": [{"containerName": OLLAMA, "condition": "HEALTHY"}] if task.ollama else [],
        "healthCheck": _health_check(
            ["CMD", "python3", "-c", LITELLM_HEALTH_SCRIPT.format(port=litellm.port)], startup.litellm_health
        ),
        "stopTimeout": 30,
        "logConfiguration": _logging(log_groups[LITELLM], region, LITELLM),
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        # The non-root image's user, named here too so a bump to an image that defaults to root
        # still runs as nobody (and fails at start, visibly, rather than running as root).
        "user": NOBODY,
        # LiteLLM writes its Prisma client and migrations at start inside the image's own folders
        # (.ci/policy-allowlist.toml says why no volume can take their place).
        "readonlyRootFilesystem": False,
        "mountPoints": [],
    }
    sidecars = [ollama_container(task.ollama, startup, log_groups[OLLAMA], region)] if task.ollama else []
    gates = []
    if workspace.settings.redis is not None:
        gates.append(redis_auth_gate(litellm.image, environment, secrets, log_groups[LITELLM], region))
        litellm_container["dependsOn"].append({"containerName": REDIS_AUTH_GATE, "condition": "SUCCESS"})
    return [*sidecars, litellm_container, *gates]


def redis_auth_gate(image: str, environment: dict[str, str], secrets: dict[str, str], log_group: str,
                    region: str) -> dict:
    """The one-shot check litellm waits for in a workspace with a managed Redis (REDIS_AUTH_GATE_SCRIPT)."""
    return {
        "name": REDIS_AUTH_GATE,
        "image": image,
        "essential": False,
        "entryPoint": ["python3", "-c"],
        "command": [REDIS_AUTH_GATE_SCRIPT],
        "environment": _environment({name: environment[name] for name in (REDIS_HOST, REDIS_PORT, REDIS_SSL)}),
        "secrets": [{"name": REDIS_PASSWORD, "valueFrom": secrets[REDIS_PASSWORD]}],
        "logConfiguration": _logging(log_group, region, REDIS_AUTH_GATE),
        # It only reads the image: no capability, no write, no root.
        "user": NOBODY,
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
        "readonlyRootFilesystem": True,
        "mountPoints": [],
    }
