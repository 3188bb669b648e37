"""Start-up timing of the task, derived from the model delivery mode and the model size.

The task starts in this order: ollama starts (and in `pull` mode downloads the model), its
health check (`ollama show <model>`) turns HEALTHY once the model is present, and only then
does litellm start (dependsOn ollama HEALTHY).

How long litellm waits is ollama's `startTimeout`: the ECS agent times a dependency out at the
depended-on container's start time plus that container's startTimeout
(amazon-ecs-agent, dependencygraph.hasDependencyTimedOut). On Fargate it is at most 120 s, so
every model start must fit inside it - large models must be baked into the image.

All the numbers are estimates with a safety factor; the constants below say where they come from.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from environments import limits
from environments.model import OllamaContainer

SAFETY_FACTOR = 1.25
# `ollama serve` answers within a few seconds; 10 s covers a slow Fargate host.
OLLAMA_SERVER_START_SECONDS = 10
# Ollama re-reads a downloaded blob to verify its sha256; EFS (elastic) reads a fresh file at
# well over this rate.
VERIFY_MB_PER_SECOND = 150
# LiteLLM start: database migrations, config load and workers; slow on a cold database.
LITELLM_START_SECONDS = 120

OLLAMA_HEALTH_INTERVAL = 10
OLLAMA_HEALTH_TIMEOUT = 5
OLLAMA_HEALTH_RETRIES = 3
LITELLM_HEALTH_INTERVAL = 15
LITELLM_HEALTH_TIMEOUT = 5
LITELLM_HEALTH_RETRIES = 3

# Image sizes on disk (MB) used to size Fargate ephemeral storage; the ollama image carries GPU
# libraries and is the larger one. Headroom covers container logs and temporary files.
OLLAMA_IMAGE_MB = 4500
LITELLM_IMAGE_MB = 2500
EPHEMERAL_HEADROOM_MB = 2048


@dataclass(frozen=True)
class HealthCheckTiming:
    interval: int
    timeout: int
    retries: int
    start_period: int


@dataclass(frozen=True)
class StartupPlan:
    ollama_ready_seconds: int
    """Estimated worst case from ollama's start until the model is present (cold start); 0 without ollama."""
    ollama_health: HealthCheckTiming | None
    ollama_start_timeout: int
    """Set on the ollama container: how long litellm waits for ollama to become HEALTHY (0 without ollama)."""
    litellm_health: HealthCheckTiming
    health_check_grace_period: int
    """Service: seconds the load balancer's health checks are ignored after a task starts."""
    ephemeral_storage_gib: int | None
    """Task ephemeral storage, or None when Fargate's default 20 GiB is enough."""


def model_ready_seconds(ollama: OllamaContainer) -> int:
    if ollama.model_delivery == "baked":
        return OLLAMA_SERVER_START_SECONDS
    download = ollama.total_size_mb / ollama.pull_throughput_mb_per_s
    verify = ollama.total_size_mb / VERIFY_MB_PER_SECOND
    return math.ceil(OLLAMA_SERVER_START_SECONDS + download + verify)


def ephemeral_storage_gib(ollama: OllamaContainer | None) -> int:
    """GiB the task's ephemeral storage must hold (a baked model lives in the image layers)."""
    if ollama is None:
        return math.ceil((LITELLM_IMAGE_MB + EPHEMERAL_HEADROOM_MB) / 1024)
    model_mb = ollama.total_size_mb if ollama.model_delivery == "baked" else 0
    needed_mb = OLLAMA_IMAGE_MB + LITELLM_IMAGE_MB + model_mb + EPHEMERAL_HEADROOM_MB
    return math.ceil(needed_mb / 1024)


def plan(ollama: OllamaContainer | None) -> StartupPlan:
    """The task's start-up timing; without ollama, litellm starts at once."""
    litellm_budget = math.ceil(LITELLM_START_SECONDS * SAFETY_FACTOR)
    storage = ephemeral_storage_gib(ollama)
    if ollama is None:
        ready, start_timeout, ollama_health = 0, 0, None
    else:
        ready = model_ready_seconds(ollama)
        budget = math.ceil(ready * SAFETY_FACTOR)
        # The first check after the model is present succeeds: one interval after the budget.
        start_timeout = budget + OLLAMA_HEALTH_INTERVAL
        ollama_health = HealthCheckTiming(
            interval=OLLAMA_HEALTH_INTERVAL, timeout=OLLAMA_HEALTH_TIMEOUT, retries=OLLAMA_HEALTH_RETRIES,
            start_period=min(budget, limits.HEALTH_CHECK_START_PERIOD[1]),
        )
    return StartupPlan(
        ollama_ready_seconds=ready,
        ollama_health=ollama_health,
        ollama_start_timeout=start_timeout,
        litellm_health=HealthCheckTiming(
            interval=LITELLM_HEALTH_INTERVAL, timeout=LITELLM_HEALTH_TIMEOUT, retries=LITELLM_HEALTH_RETRIES,
            start_period=min(litellm_budget, limits.HEALTH_CHECK_START_PERIOD[1]),
        ),
        health_check_grace_period=start_timeout + litellm_budget,
        ephemeral_storage_gib=storage if storage > limits.FARGATE_DEFAULT_EPHEMERAL_STORAGE_GIB else None,
    )


def what(ollama: OllamaContainer) -> str:
    served = ollama.served()
    return "this model" if len(served) == 1 else f"these {len(served)} models ({ollama.total_size_mb} MB)"


def violations(ollama: OllamaContainer, field_prefix: str = "task.ollama") -> Iterator[tuple[str, object, str]]:
    """Settings whose start-up cannot fit ECS limits, as (field, value, message)."""
    startup = plan(ollama)
    assert startup.ollama_health is not None
    high = limits.FARGATE_START_TIMEOUT[1]
    if startup.ollama_start_timeout > high:
        seconds = startup.ollama_ready_seconds
        yield (
            f"{field_prefix}.model_size_mb", ollama.model_size_mb,
            f"a cold `pull` of {what(ollama)} takes about {seconds} s at {ollama.pull_throughput_mb_per_s} MB/s "
            f"(download, verify, server start), {startup.ollama_start_timeout} s with margin; litellm waits "
            f"for ollama at most {high} s on Fargate (startTimeout). Use model_delivery = \"baked\" "
            "(an image that already holds the model) or a smaller model",
        )
    elif startup.ollama_health.start_period < math.ceil(startup.ollama_ready_seconds * SAFETY_FACTOR):
        yield (
            f"{field_prefix}.model_size_mb", ollama.model_size_mb,
            f"the model needs about {startup.ollama_ready_seconds} s to be ready, longer than a health check's "
            f"start period may be ({limits.HEALTH_CHECK_START_PERIOD[1]} s); use model_delivery = \"baked\"",
        )
    if startup.ephemeral_storage_gib and startup.ephemeral_storage_gib > limits.FARGATE_EPHEMERAL_STORAGE_GIB[1]:
        yield (
            f"{field_prefix}.model_size_mb", ollama.model_size_mb,
            f"images and model need {startup.ephemeral_storage_gib} GiB of task storage; Fargate allows at most "
            f"{limits.FARGATE_EPHEMERAL_STORAGE_GIB[1]} GiB. Use a smaller model",
        )
