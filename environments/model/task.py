"""The Fargate task: the LiteLLM container and the optional Ollama sidecar with its local models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from environments.model.base import Image, NonNegative, Port, Strict


class LiteLLMContainer(Strict):
    image: Image = Field(
        description="LiteLLM image, `repository:tag` or `repository@sha256:...` from an allowed "
        "repository. `latest` or no tag only in development. Rewritten by `bump-image`."
    )
    cpu: int = Field(ge=128, description="CPU units reserved for the litellm container.")
    memory: int = Field(ge=256, description="Memory (MiB) hard limit of the litellm container.")
    port: Port = Field(default=4000, description="Port LiteLLM listens on; the ALB targets it.")
    workers: int = Field(
        default=1, ge=1, le=16,
        description="uvicorn worker processes (--num_workers). Each opens up to 10 database connections "
        "(LiteLLM's pool): task.max_count × workers × 10 must fit the database's max_connections.",
    )


OLLAMA_MODEL_PATTERN = r"^(?:[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?)$"


class LocalModel(Strict):
    """A further model the ollama sidecar serves beside its main one."""

    name: str = Field(description="Ollama model, e.g. llama3.2:1b; served as ollama_chat/<name>.",
                      pattern=OLLAMA_MODEL_PATTERN, max_length=128)
    size_mb: int = Field(ge=1, le=200_000, description="Size of the model on disk (MB).")
    kv_cache_kib_per_token: int | None = Field(
        default=None, ge=1, le=4096,
        description="KV cache per token of context (KiB); known models need none (environments/limits.py).",
    )


class OllamaContainer(Strict):
    image: Image = Field(
        description="Ollama image. In `baked` delivery it must already contain the model."
    )
    cpu: int = Field(ge=128, description="CPU units reserved for the ollama container.")
    memory: int = Field(ge=256, description="Memory (MiB) hard limit of the ollama container.")
    port: Port = Field(default=11434, description="Port Ollama listens on (task-local only).")
    model: str = Field(
        description="Ollama model served locally, e.g. llama3.2:3b. Exposed through LiteLLM as "
        "ollama_chat/<model>.",
        pattern=OLLAMA_MODEL_PATTERN,
        max_length=128,
    )
    model_size_mb: int = Field(
        ge=1, le=200_000, description="Size of the model on disk (MB); drives start-up timing."
    )
    model_delivery: Literal["baked", "pull"] = Field(
        description="`baked`: the image already holds the model. `pull`: the container pulls it at "
        "start into an EFS access point, so later tasks start warm."
    )
    pull_throughput_mb_per_s: int = Field(
        default=40, ge=1, le=2000,
        description="Assumed download speed (MB/s) of a cold model pull through the NAT; used to "
        "prove that a pull finishes inside ECS start limits.",
    )
    context_length: int = Field(
        default=4096, ge=512, le=131_072,
        description="Context window Ollama allocates per request slot (OLLAMA_CONTEXT_LENGTH); its KV cache "
        "counts against the container's memory.",
    )
    num_parallel: int = Field(
        default=1, ge=1, le=16,
        description="Requests Ollama serves at once (OLLAMA_NUM_PARALLEL); each slot has its own KV cache.",
    )
    kv_cache_kib_per_token: int | None = Field(
        default=None, ge=1, le=4096,
        description="KV cache per token of context (KiB): 2 × layers × KV heads × head size × 2 bytes. Known "
        "for the models in environments/limits.py (OLLAMA_KV_CACHE_KIB_PER_TOKEN); required for any other.",
    )
    additional_models: list[LocalModel] = Field(
        default=[],
        description="More models served beside `model`, all loaded at once (OLLAMA_MAX_LOADED_MODELS): the "
        "memory rule counts every one, and in `pull` mode each is pulled at start.",
    )

    def served(self) -> list[LocalModel]:
        """Every model the sidecar serves, the main one first."""
        main = LocalModel(name=self.model, size_mb=self.model_size_mb,
                          kv_cache_kib_per_token=self.kv_cache_kib_per_token)
        return [main, *self.additional_models]

    @property
    def total_size_mb(self) -> int:
        return sum(model.size_mb for model in self.served())


class Task(Strict):
    cpu: int = Field(description="Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).")
    memory: int = Field(description="Fargate task memory (MiB); must be valid for the CPU size.")
    cpu_architecture: Literal["X86_64", "ARM64"] = Field(
        default="X86_64", description="Fargate CPU architecture; both images must support it."
    )
    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"] = Field(
        description="FARGATE_SPOT is cheaper and may be interrupted; not for production."
    )
    desired_count: NonNegative = Field(description="Tasks running after a deploy.")
    min_count: NonNegative = Field(description="Autoscaling floor.")
    max_count: NonNegative = Field(description="Autoscaling ceiling.")
    litellm: LiteLLMContainer = Field(description="The LiteLLM proxy container.")
    ollama: OllamaContainer | None = Field(
        default=None,
        description="The Ollama sidecar serving a local model. Absent: a LiteLLM-only task (one container, no "
        "model cache), serving the cloud providers' models.",
    )

    @property
    def pulls_model(self) -> bool:
        """Whether the sidecar pulls its models at start into the shared EFS cache."""
        return self.ollama is not None and self.ollama.model_delivery == "pull"

    def containers(self) -> dict[str, LiteLLMContainer | OllamaContainer]:
        """The task's containers by name, litellm first."""
        return {"litellm": self.litellm, **({"ollama": self.ollama} if self.ollama else {})}
