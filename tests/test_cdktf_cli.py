"""The official CDKTF CLI (npm cdktf-cli, the version of the project's cdktf), as README's Deploying
shows it: `cdktf synth` of this repository's main.py, with the endpoint from LITELLM_INFRA_ENDPOINT_URL
(the CLI runs main.py without flags). Every stack directory then holds the provider lock file (so the
CLI never runs `terraform providers lock`, which needs the registry) and the override that points it
at the local endpoint, and the CLI prints no `[ERROR]` line.

The CLI's other commands run where the stacks are applied anyway: tests/test_moto_deploy.py deploys
bootstrap and dev-ci-secrets + dev-ci with `cdktf deploy --skip-synth` over the directories it plans,
reads `cdktf output dev-ci`, and in CI's second pass (`pytest -m destroy`) ends with `cdktf destroy dev-ci`.

The project is the repository's main.py with an environments directory of dev-ci only (and the
shipped project.toml): four stacks, a short synthesis.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from stacks import endpoints
from tests import cdktf_cli
from tests.conftest import ENVIRONMENTS, ROOT

pytestmark = [pytest.mark.terraform, pytest.mark.tools]

WORKSPACE = "dev-ci"
SECRETS = f"{WORKSPACE}-secrets"
# The local endpoint main.py writes into the overrides (synthesis calls nothing there).
ENDPOINT = "http://127.0.0.1:4566"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A cdktf.json whose app is this repository's main.py on an environments directory of dev-ci."""
    directory = tmp_path_factory.mktemp("cdktf-cli")
    environments = directory / "environments"
    environments.mkdir()
    for name in ("project.toml", f"{WORKSPACE}.toml"):
        shutil.copy(ENVIRONMENTS / name, environments / name)
    config = json.loads((ROOT / "cdktf.json").read_text())
    config["app"] = f"{sys.executable} {ROOT / 'main.py'} synth --environments {environments}"
    (directory / "cdktf.json").write_text(json.dumps(config, indent=2))
    return directory


@pytest.fixture(scope="module")
def synth(project, terraform_env, tmp_path_factory) -> tuple[int, list[str]]:
    run = cdktf_cli.runner(project, ENDPOINT, terraform_env, tmp_path_factory.mktemp("cdktf-home"))
    return run("synth")


def test_cdktf_synth_succeeds_without_an_error_line(synth):
    cdktf_cli.assert_clean(synth)


def test_every_stack_directory_holds_the_lock_file_and_the_endpoint_override(synth, project):
    stacks = project / "cdktf.out" / "stacks"
    names = sorted(path.name for path in stacks.iterdir())
    assert names == ["bootstrap", WORKSPACE, SECRETS, "shared"]
    lock = (ROOT / "stacks" / "terraform.lock.hcl").read_text()
    for name in names:
        assert (stacks / name / ".terraform.lock.hcl").read_text() == lock, name
        override = json.loads((stacks / name / endpoints.OVERRIDE_FILE).read_text())
        assert set(override["provider"]["aws"][0]["endpoints"][0].values()) == {ENDPOINT}, name
    assert not any("providers lock" in line for line in synth[1])
