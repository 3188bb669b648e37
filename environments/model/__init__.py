"""The typed environment model: what a workspace file and the project file may say, one module per
component (like modules/).

Pure pydantic, no cdktf: loading and validating an environment never imports the provider
bindings. Field descriptions are the reference documentation (README's table is generated
from them). Checks that involve one field live here as validators; checks that relate several
fields (CIDRs inside the VPC, counts in order, per-tier policy) live in `environments.rules`.
"""

from __future__ import annotations

from environments.model.base import (  # noqa: F401  (the model's names, in one place)
    NAME_PATTERN,
    REGION_PATTERN,
    Cidr,
    Distinct,
    Image,
    LogRetention,
    Name,
    NonNegative,
    Port,
    Region,
    RotationDays,
    Strict,
    TagKey,
    TagValue,
    nested_model,
)
from environments.model.database import (  # noqa: F401  (the model's names, in one place)
    Database,
)
from environments.model.litellm import (  # noqa: F401  (the model's names, in one place)
    Cache,
    Guardrails,
    LiteLLMSettings,
    PiiPattern,
)
from environments.model.network import (  # noqa: F401  (the model's names, in one place)
    Cdn,
    Domain,
    Ingress,
    Network,
)
from environments.model.observability import (  # noqa: F401  (the model's names, in one place)
    Observability,
)
from environments.model.project import (  # noqa: F401  (the model's names, in one place)
    GitHubSettings,
    Project,
    RegistrySettings,
    StateSettings,
)
from environments.model.providers import (  # noqa: F401  (the model's names, in one place)
    AzureProvider,
    ModelList,
    Providers,
)
from environments.model.redis import (  # noqa: F401  (the model's names, in one place)
    ManagedRedis,
)
from environments.model.task import (  # noqa: F401  (the model's names, in one place)
    OLLAMA_MODEL_PATTERN,
    LiteLLMContainer,
    LocalModel,
    OllamaContainer,
    Task,
)
from environments.model.workspace import (  # noqa: F401  (the model's names, in one place)
    WorkspaceSettings,
)
