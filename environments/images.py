"""Container image references: parsing and the rules every workspace shares.

The grammar is the one of the OCI distribution reference (registry/path:tag@digest). Anything
outside it - whitespace, quotes, shell metacharacters, newlines, upper case in the path - is
refused here, so an image reference can be written into files and task definitions verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]{{1,5}})?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"sha256:[a-f0-9]{64}"

_REFERENCE = re.compile(
    rf"(?P<name>(?:(?P<domain>{_DOMAIN})/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?"
    rf"(?:@(?P<digest>{_DIGEST}))?"
)
MAX_REFERENCE_LENGTH = 512
MAX_NAME_LENGTH = 255

ACCEPTED_FORMS = "registry/repository:tag, registry/repository@sha256:<64 hex>, or both"


class ImageReferenceError(ValueError):
    """The text is not an image reference, or breaks a rule; the message says what is accepted."""


@dataclass(frozen=True)
class ImageReference:
    """A parsed image reference. `repository` includes the registry host when there is one."""

    repository: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        """True when the reference names a fixed image: a digest, or a tag other than latest."""
        return self.digest is not None or (self.tag is not None and self.tag != "latest")

    def __str__(self) -> str:
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_image(text: str) -> ImageReference:
    """Parse `text`; raise ImageReferenceError naming what is wrong and what is accepted."""
    if not isinstance(text, str):
        raise ImageReferenceError(f"must be a string of the form {ACCEPTED_FORMS}")
    if len(text) > MAX_REFERENCE_LENGTH:
        raise ImageReferenceError(
            f"is {len(text)} characters long; an image reference has at most {MAX_REFERENCE_LENGTH}"
        )
    match = _REFERENCE.fullmatch(text)
    if match is None:
        raise ImageReferenceError(
            f"is not a well-formed image reference; accepted: {ACCEPTED_FORMS} "
            "(lower-case path, no spaces, quotes or shell characters)"
        )
    name = match["name"]
    domain = match["domain"]
    # Without a dot, colon or 'localhost' the first component is a Docker Hub namespace, not a host.
    is_host = domain is not None and ("." in domain or ":" in domain or domain == "localhost")
    if domain and not is_host and domain != domain.lower():
        raise ImageReferenceError("has upper case in the repository path; use lower case")
    if len(name) > MAX_NAME_LENGTH:
        raise ImageReferenceError(f"repository name is longer than {MAX_NAME_LENGTH} characters")
    return ImageReference(repository=name, tag=match["tag"], digest=match["digest"])


def repository_allowed(reference: ImageReference, allowed: tuple[str, ...]) -> bool:
    """True when the reference's repository is one of `allowed` (exact match, registry included)."""
    return reference.repository in allowed


# The LiteLLM release the shipped workspaces run (image tag v<this>) and the tests check configs
# with (tests/tools.py installs litellm[proxy] of the same version): one pin for both.
LITELLM_VERSION = "1.108.7"
# LiteLLM's non-root image (docker/Dockerfile.non_root: USER nobody, /app owned by nobody so Prisma
# and the migrations can write at start); the task definition names the same user.
LITELLM_REPOSITORY = "ghcr.io/berriai/litellm-non_root"
LITELLM_IMAGE = f"{LITELLM_REPOSITORY}:v{LITELLM_VERSION}"

# LiteLLM releases that must never run, whatever registry serves them (docs/DESIGN.md, "LiteLLM
# releases"). 1.82.7 and 1.82.8 were published on 2026-03-24 by attackers holding LiteLLM's
# release credentials; 1.107.0 was reported compromised by LiteLLM (security incident of
# 2026-10-21; PyPI, Docker Hub and GHCR). The whole 1.107 line (its release candidates included)
# is refused, as no 1.107 build was ever published clean: PyPI goes from 1.106.12 to 1.108.0.
COMPROMISED_LITELLM_RELEASES: dict[str, str] = {
    "1.82.7": "was published by attackers on 2026-03-24 (credential stealer, PyPI)",
    "1.82.8": "was published by attackers on 2026-03-24 (credential stealer run at every Python start, PyPI)",
}
COMPROMISED_LITELLM_LINES: dict[str, str] = {
    "1.107": "is the compromised release line of 2026-10-21 (1.107.0 on PyPI, Docker Hub and GHCR)",
}
# A LiteLLM image tag names its release: v1.108.7, 1.108.7, main-v1.108.7, v1.80.11-stable.1, ...
_LITELLM_TAG_VERSION = re.compile(r"^(?:main-)?v?(?P<version>(?P<line>[0-9]+\.[0-9]+)\.[0-9]+)(?:[.-].*)?$")


def litellm_release(reference: ImageReference) -> str | None:
    """The LiteLLM release (1.108.7) a LiteLLM image's tag names, or None if the tag names none."""
    match = _LITELLM_TAG_VERSION.match(reference.tag or "")
    return match["version"] if match else None


def compromised_litellm(reference: ImageReference) -> str | None:
    """Why the LiteLLM release the image's tag names must never run, or None when it is not a known bad one."""
    match = _LITELLM_TAG_VERSION.match(reference.tag or "")
    if match is None:
        return None
    return COMPROMISED_LITELLM_RELEASES.get(match["version"]) or COMPROMISED_LITELLM_LINES.get(match["line"])
