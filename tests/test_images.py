"""Image references: what parses, what is refused, and what counts as pinned."""

from __future__ import annotations

import tomllib

import pytest

from environments.images import (
    LITELLM_IMAGE,
    LITELLM_VERSION,
    ImageReferenceError,
    compromised_litellm,
    litellm_release,
    parse_image,
)
from tests import tools
from tests.conftest import ENVIRONMENTS, ROOT

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


@pytest.mark.parametrize("text", [
    "ghcr.io/berriai/litellm:v1.107.0", "ghcr.io/berriai/litellm:1.107.0", "litellm/litellm:v1.107.0",
    "ghcr.io/berriai/litellm:main-v1.107.0", "ghcr.io/berriai/litellm:v1.107.0-rc.2",
    "ghcr.io/berriai/litellm-database:v1.107.1", f"ghcr.io/berriai/litellm:v1.107.0@{DIGEST}",
    "ghcr.io/berriai/litellm:v1.82.7", "ghcr.io/berriai/litellm:main-v1.82.8",
])
def test_compromised_litellm_releases_are_recognised(text):
    assert compromised_litellm(parse_image(text))


@pytest.mark.parametrize("text", [
    LITELLM_IMAGE, "ghcr.io/berriai/litellm:v1.106.12", "ghcr.io/berriai/litellm:v1.108.0",
    "ghcr.io/berriai/litellm:v1.80.11-stable.1", "ghcr.io/berriai/litellm:v1.82.6", "ghcr.io/berriai/litellm:v1.1070.0",
    "ghcr.io/berriai/litellm:main-latest", f"ghcr.io/berriai/litellm@{DIGEST}",
])
def test_clean_litellm_releases_pass(text):
    assert compromised_litellm(parse_image(text)) is None


def shipped_litellm_images() -> dict[str, str]:
    files = [*ENVIRONMENTS.glob("*.toml"), *(ROOT / "examples").glob("*/*.toml")]
    documents = {path.relative_to(ROOT).as_posix(): tomllib.loads(path.read_text()) for path in files}
    return {name: document["task"]["litellm"]["image"] for name, document in documents.items()
            if "task" in document}


def test_every_shipped_image_runs_the_release_the_tests_check():
    """The loader and two-proxy tests run LiteLLM from tests/tools.py; the task runs the image. One release."""
    images = shipped_litellm_images()
    assert len(images) >= 8, images
    assert tools.TOOLS["litellm"] == [f"litellm[proxy]=={LITELLM_VERSION}"]
    assert {name: litellm_release(parse_image(image)) for name, image in images.items()} == {
        name: LITELLM_VERSION for name in images}


@pytest.mark.parametrize("text, accepted", [
    ("Library/ubuntu:1", False),  # no dot, colon or localhost: a Docker Hub namespace, which is lower case
    ("Registry.Example.com/team/app:1", True),  # a host (it has a dot): case does not matter there
    ("Registry:5000/app:1", True),  # a host with a port
    ("localhost/app:1", True),
    ("LOCALHOST/app:1", False),  # not the name localhost: a namespace in upper case
])
def test_upper_case_is_refused_in_a_namespace_not_in_a_registry_host(text, accepted):
    if accepted:
        assert str(parse_image(text)) == text
    else:
        with pytest.raises(ImageReferenceError, match="has upper case in the repository path; use lower case"):
            parse_image(text)


def test_the_length_limits_are_exact():
    """255 characters of repository name are accepted, 256 refused; over 512 in all is refused first."""
    name = "r/" + "a" * 253
    assert parse_image(name).repository == name
    with pytest.raises(ImageReferenceError, match="repository name is longer than 255 characters"):
        parse_image(name + "a")
    with pytest.raises(ImageReferenceError, match="is 513 characters long; an image reference has at most 512"):
        parse_image("a" * 513)


@pytest.mark.parametrize("text, release", [
    ("ghcr.io/berriai/litellm:v1.108.7", "1.108.7"), ("ghcr.io/berriai/litellm:main-v1.82.6-stable", "1.82.6"),
    ("ghcr.io/berriai/litellm:main-latest", None), ("ghcr.io/berriai/litellm", None),
    (f"ghcr.io/berriai/litellm@{DIGEST}", None),
])
def test_the_release_an_image_names(text, release):
    assert litellm_release(parse_image(text)) == release


def test_repositories_are_allowed_by_exact_name():
    from environments.images import repository_allowed

    allowed = ("ghcr.io/berriai/litellm",)
    assert repository_allowed(parse_image("ghcr.io/berriai/litellm:v1"), allowed)
    assert not repository_allowed(parse_image("ghcr.io/berriai/litellm-database:v1"), allowed)
    assert not repository_allowed(parse_image("ghcr.io/berriai/lite:v1"), allowed)
