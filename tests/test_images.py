"""Image references: what parses, what is refused, and what counts as pinned."""

from __future__ import annotations

import pytest

from environments.images import ImageReferenceError, parse_image

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("text, repository, tag, digest, pinned", [
    ("ghcr.io/berriai/litellm:v1.80.11-stable.1", "ghcr.io/berriai/litellm", "v1.80.11-stable.1", None, True),
    (f"ghcr.io/berriai/litellm@{DIGEST}", "ghcr.io/berriai/litellm", None, DIGEST, True),
    (f"ghcr.io/berriai/litellm:v1@{DIGEST}", "ghcr.io/berriai/litellm", "v1", DIGEST, True),
    ("ollama/ollama:0.12.5", "ollama/ollama", "0.12.5", None, True),
    ("ollama/ollama", "ollama/ollama", None, None, False),
    ("ollama/ollama:latest", "ollama/ollama", "latest", None, False),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/litellm/ollama:0.12.5-llama3.2-3b",
     "123456789012.dkr.ecr.eu-west-1.amazonaws.com/litellm/ollama", "0.12.5-llama3.2-3b", None, True),
    ("localhost:5000/app:1", "localhost:5000/app", "1", None, True),
])
def test_parses(text, repository, tag, digest, pinned):
    reference = parse_image(text)
    parsed = (reference.repository, reference.tag, reference.digest, reference.pinned)
    assert parsed == (repository, tag, digest, pinned)
    assert str(reference) == text


@pytest.mark.parametrize("text", [
    "", " ghcr.io/berriai/litellm:v1", "ghcr.io/berriai/litellm:v1\n", "ghcr.io/BerriAI/litellm:v1",
    "ghcr.io/berriai/litellm:v1;rm -rf /", "ghcr.io/berriai/litellm:$(id)", "ghcr.io/berriai/litellm:`id`",
    "ghcr.io/berriai/litellm:v1 && curl x", 'ghcr.io/berriai/litellm:v1"', "ghcr.io/berriai/litellm@sha256:abc",
    "ghcr.io/berriai/litellm:" + "x" * 129, "../../etc/passwd", "ghcr.io//litellm:v1", "litellm:-bad",
    "a" * 600,
])
def test_refuses(text):
    with pytest.raises(ImageReferenceError):
        parse_image(text)
