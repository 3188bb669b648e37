"""`main.py rotate-secret`: a new value for a generated secret, then a redeploy.

Only the master key rotates. The salt key encrypts the provider credentials LiteLLM stores in its
database: a new one would make every stored credential undecryptable. Provided secrets (API keys,
an external Redis password) come from outside: set-secret writes them.

The value is made like the secrets stack makes it ("sk-" + 48 letters and digits), with Python's
`secrets` module (the operating system's CSPRNG): Secrets Manager's GetRandomPassword would send the
value across the network to this process anyway, and would add a permission to the deploy role for
nothing. It is written as set-secret writes (Overwrite, KeyId = the secrets key's ARN, so plans stay
clean); Terraform's value_wo_version stays 1, so Terraform never writes the parameter again.
"""

from __future__ import annotations

import secrets
import string

from environments.secret_inputs import GENERATED, MASTER_KEY, SALT_KEY
from environments.workspace import Workspace
from operations.secret_store import SecretRefused, SecretTarget

# As the secrets stack generates it (modules/secrets/construct.py: GENERATED_FORMAT, GENERATED_LENGTH, and
# GetRandomPassword's exclude_punctuation and require_each_included_type).
PREFIX = "sk-"
LENGTH = 48
ALPHABET = string.ascii_letters + string.digits

ROTATABLE = {item.parameter.rsplit("/", 1)[-1]: item for item in GENERATED if item.env == MASTER_KEY}
SALT_NAME = next(item.parameter.rsplit("/", 1)[-1] for item in GENERATED if item.env == SALT_KEY)


def new_master_key() -> str:
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if all(any(character in kind for character in body)
               for kind in (string.ascii_lowercase, string.ascii_uppercase, string.digits)):
            return PREFIX + body


def target(workspace: Workspace, name: str) -> SecretTarget:
    """Where the rotated secret lives; refuses the salt key and anything but the master key."""
    if name == SALT_NAME:
        raise SecretRefused(f"{workspace.source.name}: salt_key is never rotated: LiteLLM encrypts the provider "
                            "credentials it stores in the database with it, and a new salt key makes them "
                            "undecryptable")
    if name not in ROTATABLE:
        raise SecretRefused(f"{workspace.source.name}: cannot rotate {name!r}: only {', '.join(sorted(ROTATABLE))} "
                            "rotates here; a provided secret (an API key, redis_password) is set with "
                            f"`python main.py set-secret --workspace {workspace.name} NAME` (add --redeploy)")
    return SecretTarget(parameter=f"{workspace.ssm_path}/{ROTATABLE[name].parameter}",
                        kms_key=workspace.secrets_key_alias, region=workspace.settings.region)
