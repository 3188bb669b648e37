"""The official CDKTF CLI (npm cdktf-cli, the version of the project's cdktf), as README's
Deploying shows it, against a moto server on 127.0.0.1: `cdktf synth`, `cdktf deploy bootstrap`,
`cdktf deploy dev-ci-secrets dev-ci` (the secrets stack done before the workspace starts: the
declared dependency), `cdktf output dev-ci`, `cdktf destroy dev-ci`. Offline (the provider lock
file is in every stack directory, so the CLI never runs `terraform providers lock`), every stack
on moto through LITELLM_INFRA_ENDPOINT_URL, and no `[ERROR]` line on the way.

The project is the repository's main.py with an environments directory of dev-ci only (and the
shipped project.toml): the bootstrap stack then serves dev-ci alone, which keeps the applies short.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from stacks import endpoints
from tests import tools
from tests.conftest import ENVIRONMENTS, ROOT
from tests.moto_server import moto_server

pytestmark = [pytest.mark.moto, pytest.mark.terraform, pytest.mark.tools]

WORKSPACE = "dev-ci"
SECRETS = f"{WORKSPACE}-secrets"
REGION = "eu-west-1"
# What moto cannot apply, left out of the workspace (and only this) by an override beside its stack
# that sets count = 0, written after `cdktf synth` (synthesis publishes only the files it generates).
MOTO_LEFT_OUT = {
    ("aws_s3_bucket_policy", "ecs_config_policy"): (
        "the config bucket's TLS-only policy: requests to moto are plain HTTP, and moto 5.2.5 treats a Deny "
        "whose condition is not met as a denial anyway, so the config object's PutObject would be refused"),
}
LEFT_OUT_FILE = "moto_left_out_override.tf.json"
STATE_BUCKET = "acme-litellm-terraform-state"
# ANSI colours and cursor moves of the CLI's terminal UI (it draws one even without a terminal).
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
SPINNER = re.compile(r"^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]")


# A line the CLI prints for one stack: the stack's name, then Terraform's text; the lines that follow
# it indented are that stack's too.
STACK_LINE = re.compile(r"^(?P<stack>[a-z0-9-]+)\s{2,}(?P<text>.*)$")


def lines(output: str) -> list[str]:
    """What the CLI printed, in order, colours and spinner frames removed."""
    return [line for line in ANSI.sub("", output).replace("\r", "\n").splitlines()
            if line.strip() and not SPINNER.match(line)]


def by_stack(printed: list[str]) -> list[tuple[str | None, str]]:
    """Each line with the stack it belongs to (None for the CLI's own status lines)."""
    attributed, current = [], None
    for line in printed:
        match = STACK_LINE.match(line)
        if match:
            current = match["stack"]
            attributed.append((current, match["text"]))
        elif line.startswith(" "):
            attributed.append((current, line.strip()))
        else:
            current = None
            attributed.append((None, line))
    return attributed


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
def moto_url():
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def cli(project, moto_url, terraform_env, tmp_path_factory):
    """Run `cdktf ARGS` in the project: offline, pointed at moto; returns (exit code, output lines)."""
    executable = tools.npm_tool("cdktf-cli") / "node_modules" / ".bin" / "cdktf"
    home = tmp_path_factory.mktemp("cdktf-home")
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("JSII_SILENCE_")},
        "LITELLM_INFRA_ENDPOINT_URL": moto_url,  # main.py's endpoint for runs that pass no flags
        "TF_CLI_CONFIG_FILE": str(terraform_env["cli_config"]),
        "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "true",  # the CLI config's plugin cache, not ~/.terraform.d
        "CDKTF_HOME": str(home),
        "CHECKPOINT_DISABLE": "1",
        "DISABLE_VERSION_CHECK": "true",
        "AWS_ACCESS_KEY_ID": "local-endpoint",
        "AWS_SECRET_ACCESS_KEY": "local-endpoint",
    }

    def run(*args: str, timeout: int = 900) -> tuple[int, list[str]]:
        started = time.monotonic()
        result = subprocess.run([str(executable), *args], cwd=project, env=environment, capture_output=True,
                                text=True, timeout=timeout)
        printed = lines(result.stdout + result.stderr)
        print(f"\ncdktf {' '.join(args)}: exit {result.returncode} after {time.monotonic() - started:.0f} s")
        return result.returncode, printed

    return run


@pytest.fixture(scope="module")
def runs(cli, project, moto_url) -> dict[str, tuple[int, list[str]]]:
    """Every command once, in the order a user runs them."""
    done = {"synth": cli("synth")}
    workspace = project / "cdktf.out" / "stacks" / WORKSPACE
    stack = json.loads((workspace / "cdk.tf.json").read_text())
    left_out: dict = {"resource": {}}
    for (resource_type, name), reason in MOTO_LEFT_OUT.items():
        assert name in stack["resource"][resource_type], f"{resource_type}.{name} is gone: drop it from MOTO_LEFT_OUT"
        left_out["resource"].setdefault(resource_type, {})[name] = {"count": 0}
        print(f"\nmoto limitation: {resource_type}.{name} not applied: {reason}")
    (workspace / LEFT_OUT_FILE).write_text(json.dumps(left_out, indent=2))
    done["deploy bootstrap"] = cli("deploy", "bootstrap", "--auto-approve")
    # moto 5.2.5 treats the state bucket's TLS-only Deny (aws:SecureTransport false) as a denial of
    # every request: removed after the bootstrap apply, as tests/test_moto_deploy.py does
    # (MOTO_LIMITATIONS), or no stack could use its S3 backend.
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name=REGION, aws_access_key_id="local-endpoint",
                      aws_secret_access_key="local-endpoint")
    if done["deploy bootstrap"][0] == 0:
        s3.delete_bucket_policy(Bucket=STATE_BUCKET)
    done["deploy"] = cli("deploy", SECRETS, WORKSPACE, "--auto-approve")
    done["output"] = cli("output", WORKSPACE, "--outputs-file", str(project / "outputs.json"))
    done["destroy"] = cli("destroy", WORKSPACE, "--auto-approve")
    return done


@pytest.mark.parametrize("command", ["synth", "deploy bootstrap", "deploy", "output", "destroy"])
def test_every_cli_command_succeeds_without_an_error_line(command, runs):
    code, printed = runs[command]
    assert code == 0, "\n".join(printed[-80:])
    errors = [line for line in printed if "[ERROR]" in line]
    assert not errors, "\n".join(errors)


def test_every_stack_directory_holds_the_lock_file_and_the_moto_override(runs, project, moto_url):
    stacks = project / "cdktf.out" / "stacks"
    names = sorted(path.name for path in stacks.iterdir())
    assert names == ["bootstrap", WORKSPACE, SECRETS, "shared"]
    lock = (ROOT / "stacks" / "terraform.lock.hcl").read_text()
    for name in names:
        assert (stacks / name / ".terraform.lock.hcl").read_text() == lock, name
        override = json.loads((stacks / name / endpoints.OVERRIDE_FILE).read_text())
        assert set(override["provider"]["aws"][0]["endpoints"][0].values()) == {moto_url}, name
    assert not any("providers lock" in line for _, printed in runs.values() for line in printed)


def test_the_secrets_stack_is_deployed_before_the_workspace_starts(runs):
    """The CLI reads the dependency from the manifest: dev-ci waits until dev-ci-secrets is done.
    Without it, both stacks start together and dev-ci's init comes before the secrets' apply ends."""
    _, printed = runs["deploy"]
    attributed = by_stack(printed)
    secrets_done = next(index for index, (stack, text) in enumerate(attributed)
                        if stack == SECRETS and text.startswith("Apply complete!"))
    # Both stacks are initialised first, side by side; the workspace's plan is where its deploy starts.
    workspace_planned = next(index for index, (stack, text) in enumerate(attributed)
                             if stack == WORKSPACE and "execution plan" in text)
    events: dict[str, int] = {}  # the CLI's status line as it changes, and the two lines compared
    for index, (stack, text) in enumerate(attributed):
        if index in (secrets_done, workspace_planned) or (stack is None and "Stack" in text):
            events.setdefault(f"{stack or 'cli'}: {text}", index)
    assert secrets_done < workspace_planned, "dev-ci planned before dev-ci-secrets was applied:\n" + \
        "\n".join(f"{index}: {event}" for event, index in sorted(events.items(), key=lambda item: item[1]))


def test_cli_output_reads_the_workspace_outputs(runs, project, moto_url):
    outputs = json.loads((project / "outputs.json").read_text())[WORKSPACE]
    assert outputs["cluster_name"] == "litellm-dev-ci"
    ecs = boto3.client("ecs", endpoint_url=moto_url, region_name=REGION, aws_access_key_id="local-endpoint",
                       aws_secret_access_key="local-endpoint")
    clusters = ecs.describe_clusters(clusters=[outputs["cluster_name"]])["clusters"]
    assert [cluster for cluster in clusters if cluster["status"] == "ACTIVE"] == []  # destroyed since


def test_destroy_removes_the_workspace_and_keeps_its_secrets(runs, moto_url):
    ssm = boto3.client("ssm", endpoint_url=moto_url, region_name=REGION, aws_access_key_id="local-endpoint",
                       aws_secret_access_key="local-endpoint")
    parameters = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"/litellm/{WORKSPACE}/"]}])
    assert parameters["Parameters"], "the secrets stack's parameters are gone"
    ec2 = boto3.client("ec2", endpoint_url=moto_url, region_name=REGION, aws_access_key_id="local-endpoint",
                       aws_secret_access_key="local-endpoint")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Workspace", "Values": [WORKSPACE]}])["Vpcs"]
    assert vpcs == []
