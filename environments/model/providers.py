"""Cloud model providers: OpenAI, Anthropic, Azure OpenAI, Bedrock."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from environments.model.base import Distinct, Strict


class ModelList(Strict):
    models: Annotated[list[Annotated[str, Field(pattern=r"^(?:[A-Za-z0-9][A-Za-z0-9._:/-]*)$")]], Distinct] = Field(
        min_length=1, description="Provider model ids, each exposed under the same name."
    )


class AzureProvider(Strict):
    api_base: str = Field(
        description="Azure OpenAI endpoint, https://<resource>.openai.azure.com.",
        pattern=r"^(?:https://[a-z0-9-]+\.openai\.azure\.com/?)$",
    )
    api_version: str = Field(description="Azure OpenAI API version, e.g. 2024-10-21.",
                             pattern=r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?)$")
    deployments: Annotated[list[Annotated[str, Field(pattern=r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*)$")]], Distinct] = Field(
        min_length=1, description="Azure deployment names, each exposed as azure/<deployment>."
    )


class Providers(Strict):
    """Cloud model providers. A provider's table declares its API key: the SSM parameter and the
    models exist only when the table does. Bedrock needs no key."""

    openai: ModelList | None = Field(
        default=None, description="OpenAI (key: `main.py set-secret --workspace W openai_api_key`)."
    )
    anthropic: ModelList | None = Field(
        default=None, description="Anthropic (key: `main.py set-secret --workspace W anthropic_api_key`)."
    )
    azure: AzureProvider | None = Field(
        default=None, description="Azure OpenAI (key: `main.py set-secret --workspace W azure_api_key`)."
    )
    bedrock: ModelList | None = Field(
        default=None,
        description="Amazon Bedrock model ids; the task role may invoke exactly these, no key.",
    )

    def with_api_keys(self) -> list[str]:
        """Providers whose API key is a secret the workspace must supply, in a stable order."""
        return [name for name in ("openai", "anthropic", "azure") if getattr(self, name) is not None]


# LiteLLM content-filter patterns for personal data and credentials (names of LiteLLM's prebuilt
# patterns; a test checks each exists in the pinned LiteLLM release).
