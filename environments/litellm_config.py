"""The LiteLLM proxy configuration of a workspace, rendered with jinja2 from the model.

The template (environments/templates/litellm-config.yaml.j2) holds the layout; this module
decides its inputs. Secrets appear only as os.environ/<NAME> references to variables ECS sets
from SSM. No cdktf import.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import jinja2

from environments import secret_inputs
from environments.secret_inputs import api_key_env
from environments.workspace import Workspace

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "litellm-config.yaml.j2"
# The address ollama binds (OLLAMA_HOST): "localhost" may resolve to ::1 first, where nothing listens.
OLLAMA_HOST = "127.0.0.1"
# Where the shared Redis is: container variables, read by the config (os.environ/) and, for TLS, by
# every Redis client LiteLLM creates (_redis.py reads REDIS_SSL).
REDIS_HOST = "REDIS_HOST"
REDIS_PORT = "REDIS_PORT"
REDIS_SSL = "REDIS_SSL"
# Seconds between LiteLLM's batched spend writes (its default is 10).
BATCH_WRITE_SECONDS = 60
ENVIRONMENT_REFERENCE = re.compile(r"os\.environ/([A-Z0-9_]+)")

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # YAML, not HTML; every value goes through tojson
    keep_trailing_newline=True,
)


def local_models(workspace: Workspace) -> list[dict]:
    """The models the ollama sidecar serves, if the task has one."""
    ollama = workspace.settings.task.ollama
    if ollama is None:
        return []
    return [{"name": model.name, "model": f"ollama_chat/{model.name}",
             "params": {"api_base": f"http://{OLLAMA_HOST}:{ollama.port}"}} for model in ollama.served()]


def cloud_models(workspace: Workspace) -> list[dict]:
    """Client-facing name, LiteLLM model id and parameters of every cloud model, in a stable order."""
    providers = workspace.settings.providers
    models = []
    for provider in ("openai", "anthropic"):
        listed = getattr(providers, provider)
        for model in listed.models if listed else []:
            models.append({"name": model, "model": f"{provider}/{model}",
                           "params": {"api_key": f"os.environ/{api_key_env(provider)}"}})
    if providers.azure:
        for deployment in providers.azure.deployments:
            models.append({"name": f"azure/{deployment}", "model": f"azure/{deployment}", "params": {
                "api_base": providers.azure.api_base, "api_version": providers.azure.api_version,
                "api_key": f"os.environ/{api_key_env('azure')}",
            }})
    if providers.bedrock:
        # Credentials come from the task role; no key.
        for model in providers.bedrock.models:
            models.append({"name": f"bedrock/{model}", "model": f"bedrock/{model}",
                           "params": {"aws_region_name": workspace.settings.region}})
    return models


def redis_environment(host: str, port: int, tls: bool) -> dict[str, str]:
    """The container variables that point LiteLLM at the shared Redis (its password is a secret)."""
    return {REDIS_HOST: host, REDIS_PORT: str(port), REDIS_SSL: str(tls)}


def admin_environment(workspace: Workspace) -> dict[str, str]:
    """Variables that switch off the admin UI and the API docs when the workspace does not serve them."""
    if workspace.settings.litellm.admin_ui:
        return {}
    return {"DISABLE_ADMIN_UI": "True", "NO_DOCS": "True", "NO_REDOC": "True"}


def render(workspace: Workspace) -> str:
    settings = workspace.settings
    guardrails = settings.litellm.guardrails
    stages = [
        ("pii-pre-call", "pre_call", guardrails.pii_pre_call),
        ("pii-post-call", "post_call", guardrails.pii_post_call),
    ]
    return _environment.get_template(TEMPLATE).render(
        workspace=workspace.name,
        env={"master_key": secret_inputs.MASTER_KEY, "redis_password": secret_inputs.REDIS_PASSWORD,
             "redis_host": REDIS_HOST, "redis_port": REDIS_PORT},
        models=[*local_models(workspace), *cloud_models(workspace)],
        request_timeout=settings.litellm.request_timeout_seconds,
        num_retries=settings.litellm.num_retries,
        redis=settings.redis is not None or settings.litellm.cache is not None,
        response_cache=settings.litellm.response_cache,
        batch_write_seconds=BATCH_WRITE_SECONDS,
        key_cache_seconds=settings.litellm.key_cache_seconds,
        guardrails=[
            {"name": name, "mode": mode, "action": guardrails.action, "patterns": guardrails.patterns}
            for name, mode, enabled in stages if enabled
        ],
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def referenced_environment(text: str) -> set[str]:
    """Names of the environment variables a rendered config reads (os.environ/<NAME>)."""
    return set(ENVIRONMENT_REFERENCE.findall(text))
