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
ENVIRONMENT_REFERENCE = re.compile(r"os\.environ/([A-Z0-9_]+)")

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # YAML, not HTML; every value goes through tojson
    keep_trailing_newline=True,
)


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


def render(workspace: Workspace) -> str:
    settings = workspace.settings
    guardrails = settings.litellm.guardrails
    stages = [
        ("pii-pre-call", "pre_call", guardrails.pii_pre_call),
        ("pii-post-call", "post_call", guardrails.pii_post_call),
    ]
    return _environment.get_template(TEMPLATE).render(
        workspace=workspace.name,
        env={"master_key": secret_inputs.MASTER_KEY, "redis_password": secret_inputs.REDIS_PASSWORD},
        local={"name": settings.task.ollama.model, "api_base": f"http://{OLLAMA_HOST}:{settings.task.ollama.port}"},
        cloud=cloud_models(workspace),
        request_timeout=settings.litellm.request_timeout_seconds,
        num_retries=settings.litellm.num_retries,
        cache=settings.litellm.cache,
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
