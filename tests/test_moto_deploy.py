"""The synthesized stacks against moto with the real Terraform and hashicorp/aws provider:
bootstrap applied, shared and every workspace initialised on the S3 backend it created and planned
under its DynamoDB lock by its own plan role (IAM enforced), dev's secrets stack planned and applied,
dev-ci (with its secrets stack) applied, read back with boto3, and planned again by
its plan role with no changes; and no secret value - generated, RDS-managed or set with
`main.py set-secret` - in any state or plan.

The file's order follows one chain of long waits, the suite's wall time: the bootstrap, dev-ci's
deploy, what the tests of the applied workspace read. Everything else runs beside it at a lower CPU
priority, and the tests that read it come where they wait for nothing on the chain.

The applies are the official CDKTF CLI's, as README's Deploying runs them (tests/cdktf_cli.py):
`cdktf deploy bootstrap`, then `cdktf deploy dev-ci-secrets dev-ci` (the secrets stack applied before
the workspace starts: the declared dependency), `cdktf output dev-ci`; `--skip-synth`, over the
directories planned here, laid out as the synthesis writes them (manifest, provider lock file in every
stack directory: offline, no `terraform providers lock`), with no `[ERROR]` line on the way. `cdktf
synth` itself is tests/test_cdktf_cli.py's.

`cdktf destroy dev-ci` ends the file in CI's second pass only (`pytest -m destroy`, .ci/run): the
destroy's ~75 s, a minute of it the provider's wait on RDS, would put the README's test command over
five minutes (docs/DESIGN.md, Performance). That pass deploys again, then destroys."""

from __future__ import annotations

import getpass
import json
import re
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError

from environments.loader import load_environments
from stacks import endpoints
from tests import cdktf_cli, terraform_cli
from tests.conftest import ROOT, SECRETS_STACKS, SHIPPED_WORKSPACES, run_main
from tests.moto_server import enforce_iam, moto_server, recording

pytestmark = [pytest.mark.moto, pytest.mark.terraform, pytest.mark.tools]

REGION = "eu-west-1"
DEV_CI_STACKS = ("dev-ci-secrets", "dev-ci")
# The stacks pull requests plan (plan-stacks.yml), each with its own plan role; dev-ci's is planned once applied.
PLANNED_BY_ROLES = tuple(name for name in ("shared", *SHIPPED_WORKSPACES) if name != "dev-ci")
# The secrets stacks, which no pull request plans: dev's planned by an administrator, then applied (dev-ci's is
# applied). Staging's and prod's hold the same resource types, differing in data only (which provider keys they
# declare: test_every_secrets_stack_is_made_of_what_moto_applies); planning them too cost ~16 CPU-seconds of a
# suite held to five minutes by its CPU.
PLANNED_BY_ADMINISTRATOR = ("dev-secrets",)
# The access keys dev-ci's stacks sign with (moto accepts any): the apply of each is recorded by its own.
SIGNING_KEYS = {"dev-ci": "dev-ci-apply", "dev-ci-secrets": "dev-ci-secrets-apply"}
# What main.py's AWS commands sign with against moto (it accepts any key).
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local-endpoint", "AWS_SECRET_ACCESS_KEY": "local-endpoint"}
LOADED = load_environments()
PROJECT = {"bucket": "acme-litellm-terraform-state", "table": "litellm-terraform-locks"}

# Resources moto applies but then mishandles, each removed from moto (only) after it was applied
# and read back, with the reason printed in the test output.
MOTO_LIMITATIONS = {
    "aws_s3_bucket_policy.state_backend_state_policy": (
        "moto 5.2.5 treats a Deny statement whose Condition is not met as a denial "
        "(iam/access_control.py, _check_conditions), so the state bucket's TLS-only statement "
        "(Deny if aws:SecureTransport is false) refuses every object request, HTTPS or not"
    ),
}

# Resources moto cannot create at all: left out of the dev-ci apply (and only these), each with
# the reason, by an override beside the stack that sets count = 0 (LEFT_OUT_FILE, written before the
# deploy: the plans see the whole stack); the apply reports how many of the workspace's resources it applied.
MOTO_UNSUPPORTED = {
    "aws_s3_bucket_policy.ecs_config_policy":
        "moto 5.2.5 treats a Deny statement whose Condition is not met as a denial, so this TLS-only policy "
        "would refuse the config object's PutObject (and every read) even over HTTPS",
}
LEFT_OUT_FILE = "moto_left_out_override.tf.json"
# In every directory Terraform runs in (stacks/publish.py's name for it, which tests cannot import): with
# it, `init` links the provider from the shared plugin cache; without it, `init` installs the provider into
# the cache again, under the feet of the commands running beside it ("there is no package ... cached in
# .terraform/providers").
STACK_LOCK_FILE = ".terraform.lock.hcl"

# Attributes moto does not round-trip, so a re-plan after apply shows them changed although
# nothing changed. Only these may differ, each where its predicate holds, and each must still
# occur (a gap moto fixed is removed from the list, not left to hide a real diff).
def _references_a_group(after: dict) -> bool:
    return bool(after.get("referenced_security_group_id"))


MOTO_ROUND_TRIP_GAPS = {
    ("aws_db_parameter_group", "parameter"): (
        "moto does not return the parameters of a DB parameter group", lambda after: True),
    ("aws_vpc_security_group_ingress_rule", "description"): (
        "moto reads a rule's description from its IP range only: rules referencing a group lose it",
        _references_a_group),
    ("aws_vpc_security_group_egress_rule", "description"): (
        "moto reads a rule's description from its IP range only: rules referencing a group lose it",
        _references_a_group),
}


def aws(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="local-endpoint", aws_secret_access_key="local-endpoint")


@pytest.fixture(scope="module")
def moto_url():
    with moto_server() as url:
        yield url


def signed_as(override: dict, credentials: dict[str, str]) -> dict:
    """The override with the provider and the S3 backend signing with `credentials`."""
    override = json.loads(json.dumps(override))
    override["provider"]["aws"][0].update(credentials)
    if "s3" in override.get("terraform", {}).get("backend", {}):
        override["terraform"]["backend"]["s3"].update(credentials)
    return override


@pytest.fixture(scope="module")
def project(stacks, synth_dir, tmp_path_factory) -> Path:
    """A cdktf project whose cdktf.out the CLI deploys with --skip-synth: the synthesis' manifest (the
    stacks' dependencies), a directory per stack (`workdirs`), and an app that fails if it is run."""
    root = tmp_path_factory.mktemp("moto")
    (root / "cdktf.out" / "stacks").mkdir(parents=True)
    shutil.copy(synth_dir / "manifest.json", root / "cdktf.out" / "manifest.json")
    config = json.loads((ROOT / "cdktf.json").read_text())
    config["app"] = f"{sys.executable} -c \"raise SystemExit('the CLI synthesized: --skip-synth expected')\""
    (root / "cdktf.json").write_text(json.dumps(config, indent=2))
    return root


@pytest.fixture(scope="module")
def workdirs(project, stacks, synth_dir, terraform_env, moto_url) -> dict[str, Path]:
    """Each stack in a directory of its own, as the synthesis lays them out (with its provider lock file),
    with the override that points it at moto. The stacks pull requests plan are the plan gate's output,
    as in plan-stacks.yml: what is planned here is what the gate wrote (re-serialized, main's backend),
    not the synthesizer's bytes."""
    from review import plan_gate

    directories = {}
    assert plan_gate.main([str(synth_dir), "--out", str(project / "gated")]) == 0
    gated = {path.parent.name: json.loads(path.read_text())
             for path in (project / "gated").glob("stacks/*/cdk.tf.json")}
    assert set(gated) == {"shared", *SHIPPED_WORKSPACES}
    for name, synthesized in stacks.items():
        # The gate drops cdktf's comments; the CLI reads the stack's own ("//": its metadata and output
        # names), so the synthesis' is put back on top (Terraform ignores "//" keys).
        stack = {"//": synthesized["//"], **gated[name]} if name in gated else synthesized
        directory = project / "cdktf.out" / "stacks" / name
        directory.mkdir()
        (directory / "cdk.tf.json").write_text(json.dumps(stack, indent=2))
        shutil.copy(synth_dir / "stacks" / name / STACK_LOCK_FILE, directory / STACK_LOCK_FILE)
        override = endpoints.override(stack, moto_url, local_state=str(directory / "bootstrap.tfstate"))
        if name in SIGNING_KEYS:
            override = signed_as(override, {"access_key": SIGNING_KEYS[name]})
        (directory / endpoints.OVERRIDE_FILE).write_text(json.dumps(override))
        directories[name] = directory
    return directories


@pytest.fixture(scope="module")
def cli(project, moto_url, terraform_env, tmp_path_factory) -> cdktf_cli.Run:
    """`cdktf ARGS` in the project, run once more if Terraform was refused a lock it had taken itself
    (as `terraform()` below)."""
    run = cdktf_cli.runner(project, moto_url, terraform_env, tmp_path_factory.mktemp("cdktf-home"))

    def run_once_more_on_an_orphaned_lock(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
        started = datetime.now(UTC).replace(microsecond=0)
        code, printed = run(*args, env=env)
        attributed = [(stack, text.lstrip("│ ")) for stack, text in cdktf_cli.by_stack(printed)]
        orphan = own_orphaned_lock(SimpleNamespace(returncode=code, stdout="",
                                                   stderr="\n".join(text for _, text in attributed)), started)
        if orphan is None:
            return code, printed
        (stack,) = {stack for stack, text in attributed if stack and orphan in text}
        print(f"\ncdktf {args[0]}: {stack} refused its own lock {orphan}; released and run again. It printed:")
        print("\n".join(printed))
        succeed(terraform_cli.run(["force-unlock", "-force", orphan], cwd=project / "cdktf.out" / "stacks" / stack,
                                  cli_config=terraform_env["cli_config"], timeout=120))
        return run(*args, env=env)

    return run_once_more_on_an_orphaned_lock


# What Terraform prints about the lock it could not take ("Lock Info:", after the SDK's error, whose
# RequestID must not be taken for the lock's ID).
LOCK_INFO = re.compile(r"Lock Info:\s+ID:\s+(?P<id>\S+).*?Who:\s+(?P<who>\S+).*?Created:\s+(?P<created>\S+ [0-9:]+)",
                       re.S)


# What runs beside dev-ci's deploy without the destroy waiting for it: at a lower CPU priority, so that
# the deploy's busy stretches (its plans, the CLI) do not queue behind it, and above the other files'
# (conftest.OTHER_FILES_NICENESS): the file's last tests read it.
SIDE_WORK = 10


def terraform(args: list[str], directory: Path, terraform_env: dict, timeout: int = 900, niceness: int = 0):
    """terraform in `directory`; run once more if it was refused a lock it had taken itself (below)."""
    started = datetime.now(UTC).replace(microsecond=0)
    result = terraform_cli.run(args, cwd=directory, cli_config=terraform_env["cli_config"], timeout=timeout,
                               niceness=niceness)
    orphan = own_orphaned_lock(result, started)
    if orphan is not None:
        # The S3 backend takes the DynamoDB lock with a conditional PutItem. When the SDK retries one
        # whose response was lost (moto runs in this busy process), the retry meets the lock the
        # first attempt wrote and the backend reports it as someone else's: a lock nobody holds.
        # Only a lock created by this host after the command started is released (a lock another
        # holder takes, as in test_plan_takes_the_state_lock, still fails the command).
        print(f"\nterraform {args[0]}: refused its own lock {orphan}; released and run again")
        succeed(terraform_cli.run(["force-unlock", "-force", orphan], cwd=directory,
                                  cli_config=terraform_env["cli_config"], timeout=120))
        result = terraform_cli.run(args, cwd=directory, cli_config=terraform_env["cli_config"], timeout=timeout,
                                   niceness=niceness)
    return result


def reported(result) -> str:
    """What Terraform reported: its stderr, or with -json the text of the diagnostics it streamed on stdout."""
    diagnostics = [message["diagnostic"] for message in terraform_cli.streamed(result.stdout)
                   if message["type"] == "diagnostic"]
    return result.stderr + "\n".join(f"{diagnostic['summary']}\n{diagnostic.get('detail', '')}"
                                      for diagnostic in diagnostics)


def own_orphaned_lock(result, started: datetime) -> str | None:
    text = reported(result) if result.returncode != 0 else ""
    if "Error acquiring the state lock" not in text:
        return None
    info = LOCK_INFO.search(text)
    if info is None or info["who"] != f"{getpass.getuser()}@{socket.gethostname()}":
        return None
    created = datetime.strptime(info["created"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return info["id"] if created >= started else None


def succeed(result) -> str:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    return result.stdout


# The provider reads a new lifecycle configuration until three reads agree (~1 minute); nothing
# else waits for it, so `cdktf deploy bootstrap` leaves it out (count = 0 in APPLIED_LATER_FILE) and
# it is applied last, beside the plans.
STATE_LIFECYCLE = "aws_s3_bucket_lifecycle_configuration.state_backend_state_lifecycle"
APPLIED_LATER_FILE = "applied_later_override.tf.json"


def count_zero(addresses_left_out) -> dict:
    """An override document that sets count = 0 on each resource address given."""
    document: dict = {"resource": {}}
    for address in addresses_left_out:
        resource_type, name = address.split(".")
        document["resource"].setdefault(resource_type, {})[name] = {"count": 0}
    return document


@pytest.fixture(scope="module")
def bootstrap(workdirs, cli, terraform_env, moto_url, stacks) -> Iterator[dict]:
    directory = workdirs["bootstrap"]
    assert STATE_LIFECYCLE in terraform_cli.addresses(stacks["bootstrap"])
    (directory / APPLIED_LATER_FILE).write_text(json.dumps(count_zero([STATE_LIFECYCLE])))
    deployed = cli("deploy", "bootstrap", "--skip-synth", "--auto-approve")
    assert deployed[0] == 0, "\n".join(deployed[1][-80:])
    (directory / APPLIED_LATER_FILE).unlink()
    s3 = aws("s3", moto_url)
    applied_policy = json.loads(s3.get_bucket_policy(Bucket=PROJECT["bucket"])["Policy"])
    s3.delete_bucket_policy(Bucket=PROJECT["bucket"])
    address = "aws_s3_bucket_policy.state_backend_state_policy"
    print(f"\nmoto limitation: {address} applied, read back, then removed from moto: {MOTO_LIMITATIONS[address]}")

    def outputs() -> dict:
        read = json.loads(succeed(terraform(["output", "-json"], directory, terraform_env)))
        return {name: value["value"] for name, value in read.items()}

    # Off the chain, one after the other (both use the bootstrap's local state): its outputs, then the rest.
    with ThreadPoolExecutor(max_workers=1) as pool:
        read = pool.submit(outputs)
        lifecycle = pool.submit(terraform, ["apply", "-auto-approve", "-input=false", f"-target={STATE_LIFECYCLE}"],
                                directory, terraform_env)
        yield {"outputs": read, "state_policy": applied_policy, "lifecycle": lifecycle, "cli": deployed}


def planned(directory: Path, terraform_env: dict, *extra: str, niceness: int = 0) -> int:
    """plan in an initialised `directory`, saved to plan.tfplan: -detailed-exitcode's status."""
    result = terraform(["plan", "-input=false", "-detailed-exitcode", "-out=plan.tfplan", *extra], directory,
                       terraform_env, niceness=niceness)
    assert result.returncode in (0, 2), result.stdout[-6000:] + result.stderr[-6000:]
    return result.returncode


def shown(directory: Path, terraform_env: dict, niceness: int = 0) -> str:
    """The plan saved in `directory` as JSON text."""
    return succeed(terraform(["show", "-json", "plan.tfplan"], directory, terraform_env, niceness=niceness))


def plan_in(directory: Path, terraform_env: dict, *extra: str, niceness: int = 0) -> dict:
    """plan and show in an initialised `directory`: {"exit": -detailed-exitcode's status, "plan": the JSON text}."""
    return {"exit": planned(directory, terraform_env, *extra, niceness=niceness),
            "plan": shown(directory, terraform_env, niceness=niceness)}


def planned_changes(directory: Path, terraform_env: dict, niceness: int = 0) -> dict:
    """plan -json in an initialised `directory`, saved to plan.tfplan: {"exit": -detailed-exitcode's status,
    "changes": address -> action, "summary": the change summary}, as Terraform streams them."""
    result = terraform(["plan", "-input=false", "-detailed-exitcode", "-json", "-out=plan.tfplan"], directory,
                       terraform_env, niceness=niceness)
    assert result.returncode in (0, 2), reported(result)[-6000:]
    return {"exit": result.returncode, **terraform_cli.planned_changes(result.stdout)}


def as_plan_role(name: str, workdirs: dict[str, Path], credentials: dict[str, str], under: Path) -> Path:
    """A copy of `name`'s stack directory (stack, moto's left-out resources, override) that signs with a
    plan role's credentials, as plan-stacks.yml plans the gate's output with the role's rights only."""
    directory = under / name
    directory.mkdir()
    for kept in ("cdk.tf.json", STACK_LOCK_FILE):
        shutil.copy(workdirs[name] / kept, directory / kept)
    if (workdirs[name] / LEFT_OUT_FILE).is_file():  # as the administrator's apply: what moto cannot take
        shutil.copy(workdirs[name] / LEFT_OUT_FILE, directory / LEFT_OUT_FILE)
    override = json.loads((workdirs[name] / endpoints.OVERRIDE_FILE).read_text())
    (directory / endpoints.OVERRIDE_FILE).write_text(json.dumps(signed_as(override, credentials)))
    return directory


@pytest.fixture(scope="module")
def stage(bootstrap, workdirs, cli, terraform_env, moto_url, tmp_path_factory) -> Iterator[dict]:
    """dev-ci's deploy starts at once: it begins the chain of the file's long waits (the deploy, its
    re-plan, its destroy), mostly the provider's pollers. Beside it, at a lower CPU priority, on the moto
    S3 backend: each stack a pull request plans, planned with its own plan role's rights only, IAM
    enforced (state read, lock taken, data sources read: a read the role is refused fails the plan), and
    the secrets stacks by an administrator; and the directory dev-ci's plan role plans the applied dev-ci
    in, initialised. Yields at once: {"dev_ci": the deploy's future, "plans": stack name -> its plan's
    future, "plan_role": dev-ci's plan role's credentials, "replan": the directory's future}."""
    roles = {name: as_user_of_role(moto_url, f"litellm-ci-plan-{name}") for name in (*PLANNED_BY_ROLES, "dev-ci")}
    under = tmp_path_factory.mktemp("plan-roles")
    # dev's secrets stack first: provided_secret applies it once it is planned.
    directories = {name: workdirs[name] for name in PLANNED_BY_ADMINISTRATOR}
    directories |= {name: as_plan_role(name, workdirs, roles[name], under) for name in PLANNED_BY_ROLES}

    def initialised(directory: Path) -> Path:
        succeed(terraform(["init", "-input=false"], directory, terraform_env, niceness=SIDE_WORK))
        return directory

    def plan(name: str) -> dict:
        return planned_changes(initialised(directories[name]), terraform_env, niceness=SIDE_WORK)

    leave_out_what_moto_cannot_create(workdirs["dev-ci"])  # the plan role's copy below takes it too
    with ThreadPoolExecutor(max_workers=3) as pool:
        applying = pool.submit(apply_dev_ci, workdirs, cli)
        replan = pool.submit(initialised, as_plan_role("dev-ci", workdirs, roles["dev-ci"], under))
        yield {"dev_ci": applying, "plans": {name: pool.submit(plan, name) for name in directories},
               "plan_role": roles["dev-ci"], "replan": replan}


@pytest.fixture(scope="module")
def plans(stage) -> dict[str, dict]:
    return {name: future.result() for name, future in stage["plans"].items()}


def test_bootstrap_creates_the_state_backend(bootstrap, moto_url):
    outputs = bootstrap["outputs"].result()
    assert outputs["state_bucket"] == PROJECT["bucket"] and outputs["lock_table"] == PROJECT["table"]
    (statement,) = bootstrap["state_policy"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    s3 = aws("s3", moto_url)
    assert s3.get_bucket_versioning(Bucket=PROJECT["bucket"])["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=PROJECT["bucket"])["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(s3.get_public_access_block(Bucket=PROJECT["bucket"])["PublicAccessBlockConfiguration"].values())
    dynamodb = aws("dynamodb", moto_url)
    table = dynamodb.describe_table(TableName=PROJECT["table"])["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    backups = dynamodb.describe_continuous_backups(TableName=PROJECT["table"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"



# --- While dev-ci deploys: dev's secrets stack, set-secret and redis-auth ---------------------------
# (nothing here touches dev-ci; these tests come before the first that waits for its deploy)

@pytest.fixture(scope="module")
def provided_secret(stage, workdirs, terraform_env, moto_url) -> dict:
    """dev's secrets stack applied from its plan (it declares an OpenAI key), then the key set the
    documented way: `main.py set-secret`, value on stdin."""
    stage["plans"]["dev-secrets"].result()
    succeed(terraform(["apply", "-input=false", "plan.tfplan"], workdirs["dev-secrets"], terraform_env))
    value = "sk-proj-moto-" + uuid.uuid4().hex
    result = run_main("set-secret", "--workspace", "dev", "openai_api_key", "--endpoint-url", moto_url,
                      input=value + "\n", env=LOCAL_CREDENTIALS, timeout=120)
    assert result.returncode == 0, result.stderr
    assert value not in result.stdout + result.stderr, "set-secret printed the value"
    return {"name": "/litellm/dev/providers/openai_api_key", "value": value}


def test_set_secret_writes_the_parameter_under_the_secrets_key(provided_secret, moto_url):
    parameter = aws("ssm", moto_url).get_parameter(Name=provided_secret["name"], WithDecryption=True)["Parameter"]
    assert parameter["Value"] == provided_secret["value"] and parameter["Version"] == 2
    described = aws("ssm", moto_url).describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [provided_secret["name"]]}])["Parameters"][0]
    key = aws("kms", moto_url).describe_key(KeyId="alias/litellm-dev-secrets")["KeyMetadata"]
    assert described["KeyId"] == key["Arn"], described


@pytest.fixture(scope="module")
def redis_auth(provided_secret, moto_url) -> dict:
    """dev's ElastiCache group as the workspace stack creates it (no token); the drift check on it; a
    redis-auth that fails (the token in SSM is one ElastiCache refuses) and the check after it; then
    `main.py redis-auth` twice, as two deploys would run it, and the check once more."""
    aws("elasticache", moto_url).create_replication_group(
        ReplicationGroupId="litellm-dev-redis", ReplicationGroupDescription="dev", Engine="valkey",
        CacheNodeType="cache.t4g.micro", NumCacheClusters=1, TransitEncryptionEnabled=True)

    def redis_auth_command(*extra: str) -> subprocess.CompletedProcess:
        return run_main("redis-auth", "--workspace", "dev", "--endpoint-url", moto_url, *extra,
                        env=LOCAL_CREDENTIALS, timeout=120)

    ssm, name = aws("ssm", moto_url), "/litellm/dev/cache/redis_password"
    token = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    key = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]["KeyId"]
    checks = {"before": redis_auth_command("--check")}
    ssm.put_parameter(Name=name, Value="not a token", Type="SecureString", KeyId=key, Overwrite=True)
    failed = redis_auth_command()
    checks["after a failed redis-auth"] = redis_auth_command("--check")
    ssm.put_parameter(Name=name, Value=token, Type="SecureString", KeyId=key, Overwrite=True)
    runs = [redis_auth_command() for _ in range(2)]
    checks["after"] = redis_auth_command("--check")
    return {"runs": runs, "token": token, "failed": failed, "checks": checks}


def test_redis_auth_turns_auth_on_once_with_the_generated_token(redis_auth, moto_url):
    from moto.backends import get_backend

    first, second = redis_auth["runs"]
    assert first.returncode == 0 and "AUTH turned on" in first.stdout, first.stderr
    assert second.returncode == 0 and "nothing changed" in second.stdout, second.stderr
    for run in redis_auth["runs"]:
        assert redis_auth["token"] not in run.stdout + run.stderr, "redis-auth printed the token"
    described = aws("elasticache", moto_url).describe_replication_groups(ReplicationGroupId="litellm-dev-redis")
    assert described["ReplicationGroups"][0]["AuthTokenEnabled"] is True
    backend = get_backend("elasticache")[LOADED.project.aws_account_id][REGION]
    group = backend.replication_groups["litellm-dev-redis"]
    assert group.auth_token == redis_auth["token"] and group.auth_token_update_strategy == "ROTATE"
    assert len(redis_auth["token"]) == 48 and redis_auth["token"].isalnum()


def test_the_drift_check_fails_while_auth_is_off_and_a_failed_redis_auth_leaves_it_off(redis_auth):
    """What drift.yml runs with the plan role: exit 1 while the group answers without AUTH (before the
    deploy's redis-auth, and after one that failed), 0 once it is on. The task's gate (test_redis_auth_gate)
    keeps litellm from starting for as long."""
    checks, failed = redis_auth["checks"], redis_auth["failed"]
    message = "litellm-dev-redis: AUTH is off: no task starts until `main.py redis-auth --workspace dev` turns it on"
    for when in ("before", "after a failed redis-auth"):
        assert checks[when].returncode == 1 and message in checks[when].stderr, (when, checks[when].stderr)
    assert failed.returncode == 1 and "the token in SSM has 11 characters" in failed.stderr, failed.stderr
    assert checks["after"].returncode == 0 and checks["after"].stdout == "litellm-dev-redis: AUTH is on\n"


def test_redis_auth_refuses_a_workspace_without_a_managed_redis(moto_url):
    result = run_main("redis-auth", "--workspace", "dev-ci", "--endpoint-url", moto_url, timeout=120)
    assert result.returncode == 1 and "creates no Redis (no [redis] table)" in result.stderr, result.stderr


# --- While dev-ci deploys (continued): the plans made beside it, the state lock, the bootstrap's last part ---
# (each waits for work that ends long before the deploy does)

@pytest.mark.parametrize("name", [*PLANNED_BY_ROLES, *PLANNED_BY_ADMINISTRATOR])
def test_stack_plans_every_resource_against_the_moto_backend(name, plans, stacks):
    """From an empty state, the plan creates every resource of the stack and changes nothing else: a read
    its plan role was refused would have failed it."""
    assert plans[name] == {"exit": 2, **terraform_cli.creating_every(terraform_cli.addresses(stacks[name]))}


def test_every_secrets_stack_is_made_of_what_moto_applies(stacks):
    """The secrets stacks not planned here have exactly the resource types of the two applied here."""
    applied = set(stacks["dev-secrets"]["resource"])
    assert applied == set(stacks["dev-ci-secrets"]["resource"])
    assert {name: set(stacks[name]["resource"]) for name in SECRETS_STACKS} == dict.fromkeys(SECRETS_STACKS, applied)


def backend_only(name: str, workdirs: dict[str, Path], under: Path) -> Path:
    """A configuration with `name`'s S3 backend (state key, lock table) and nothing else: what takes and
    releases the lock is the backend, and a plan with no provider to start costs a second, not ten."""
    directory = under / f"{name}-backend"
    directory.mkdir()
    stack = json.loads((workdirs[name] / "cdk.tf.json").read_text())
    (directory / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": stack["terraform"]["backend"]}}))
    override = json.loads((workdirs[name] / endpoints.OVERRIDE_FILE).read_text())
    (directory / endpoints.OVERRIDE_FILE).write_text(json.dumps({"terraform": override["terraform"]}))
    return directory


def test_plan_takes_the_state_lock(plans, workdirs, terraform_env, moto_url, tmp_path):
    """A plan waits for the lock in the DynamoDB table: with the lock held, it fails."""
    directory = backend_only("dev", workdirs, tmp_path)
    succeed(terraform(["init", "-input=false"], directory, terraform_env))
    lock_id = f"{PROJECT['bucket']}/litellm/dev/terraform.tfstate"
    dynamodb = aws("dynamodb", moto_url)
    info = {"ID": "11111111-2222-3333-4444-555555555555", "Operation": "OperationTypeApply", "Who": "someone@ci",
            "Version": "1.11.4", "Created": "2026-11-24T00:00:00Z", "Path": lock_id}
    dynamodb.put_item(TableName=PROJECT["table"], Item={"LockID": {"S": lock_id}, "Info": {"S": json.dumps(info)}})
    try:
        blocked = terraform(["plan", "-input=false", "-lock-timeout=2s"], directory, terraform_env)
        assert blocked.returncode != 0
        assert "Error acquiring the state lock" in blocked.stderr and "someone@ci" in blocked.stderr
    finally:
        dynamodb.delete_item(TableName=PROJECT["table"], Key={"LockID": {"S": lock_id}})
    succeed(terraform(["plan", "-input=false", "-lock-timeout=2s"], directory, terraform_env))
    leftover = dynamodb.get_item(TableName=PROJECT["table"], Key={"LockID": {"S": lock_id}})
    assert "Item" not in leftover, "the plan left its lock behind"


def test_a_lock_left_by_the_commands_own_retry_is_released(plans, workdirs, terraform_env, moto_url, tmp_path):
    """The recovery in `terraform()`, for real: a lock that names this host and is no older than the
    command (what a retried PutItem leaves) is released and the command run again; the plan then
    succeeds and leaves no lock behind."""
    dynamodb = aws("dynamodb", moto_url)
    lock_id = f"{PROJECT['bucket']}/litellm/shared/terraform.tfstate"
    created = datetime.now(UTC) + timedelta(minutes=1)  # written after the command started
    info = {"ID": str(uuid.uuid4()), "Operation": "OperationTypePlan", "Info": "", "Version": "1.11.4",
            "Who": f"{getpass.getuser()}@{socket.gethostname()}", "Path": lock_id,
            "Created": created.strftime("%Y-%m-%dT%H:%M:%SZ")}
    dynamodb.put_item(TableName=PROJECT["table"], Item={"LockID": {"S": lock_id}, "Info": {"S": json.dumps(info)}})
    directory = backend_only("shared", workdirs, tmp_path)
    succeed(terraform(["init", "-input=false"], directory, terraform_env))
    succeed(terraform(["plan", "-input=false", "-lock-timeout=2s"], directory, terraform_env))
    assert "Item" not in dynamodb.get_item(TableName=PROJECT["table"], Key={"LockID": {"S": lock_id}})


def test_the_state_bucket_expires_old_versions(bootstrap, moto_url):
    """The lifecycle configuration, applied after the bootstrap beside everything else, has landed."""
    succeed(bootstrap["lifecycle"].result())
    rules = aws("s3", moto_url).get_bucket_lifecycle_configuration(Bucket=PROJECT["bucket"])["Rules"]
    assert rules and all(rule["Status"] == "Enabled" for rule in rules)
    assert any("NoncurrentVersionExpiration" in rule for rule in rules), rules


def leave_out_what_moto_cannot_create(directory: Path) -> None:
    """LEFT_OUT_FILE beside dev-ci's stack: before its deploy, and before any copy of the directory."""
    runnable = terraform_cli.addresses(json.loads((directory / "cdk.tf.json").read_text()))
    for address, reason in MOTO_UNSUPPORTED.items():
        assert address in runnable, f"{address} no longer exists: drop it from MOTO_UNSUPPORTED"
        print(f"\nmoto limitation: {address} not applied: {reason}")
    (directory / LEFT_OUT_FILE).write_text(json.dumps(count_zero(MOTO_UNSUPPORTED), indent=2))


def apply_dev_ci(workdirs: dict[str, Path], cli: cdktf_cli.Run) -> dict:
    """`cdktf deploy dev-ci-secrets dev-ci`: the secrets stack first (the workspace's task reads the
    parameters it writes), then the workspace, each stack's requests recorded by its access key."""
    with recording(SIGNING_KEYS["dev-ci-secrets"]) as secrets_calls, recording(SIGNING_KEYS["dev-ci"]) as calls:
        deployed = cli("deploy", *DEV_CI_STACKS, "--skip-synth", "--auto-approve")
    assert deployed[0] == 0, "\n".join(deployed[1][-80:])
    return {"cli": deployed, "calls": secrets_calls + calls, "workspace_calls": calls}


@pytest.fixture(scope="module")
def dev_ci(stage) -> dict:
    return stage["dev_ci"].result()


def test_dev_ci_applies_every_resource_moto_supports(applied, stacks):
    expected = set(terraform_cli.addresses(stacks["dev-ci"])) - set(MOTO_UNSUPPORTED)
    assert sorted(applied["resources"]) == sorted(expected)


@pytest.fixture(scope="module")
def cli_runs(bootstrap, dev_ci, applied) -> dict[str, tuple[int, list[str]]]:
    """The CLI's commands of the README's test command, in the order a user runs them (the destroy's: CI's
    second pass)."""
    return {"deploy bootstrap": bootstrap["cli"], "deploy": dev_ci["cli"], "output": applied["cli_output"]}


@pytest.mark.parametrize("command", ["deploy bootstrap", "deploy", "output"])
def test_every_cli_command_succeeds_without_an_error_line(command, cli_runs):
    cdktf_cli.assert_clean(cli_runs[command])


def test_the_cli_deploys_offline_with_the_synthesized_lock_file(cli_runs, workdirs):
    """The synthesized lock file in every stack directory: the CLI's init checks the provider against it
    and never runs `terraform providers lock` (which needs the registry)."""
    lock = (ROOT / "stacks" / "terraform.lock.hcl").read_text()
    for name in ("bootstrap", *DEV_CI_STACKS):
        assert (workdirs[name] / ".terraform.lock.hcl").read_text() == lock, name
    assert not any("providers lock" in line for _, printed in cli_runs.values() for line in printed)


def test_the_secrets_stack_is_deployed_before_the_workspace_starts(cli_runs):
    """The CLI reads the dependency from the manifest: dev-ci waits until dev-ci-secrets is done.
    Without it, both stacks start together and dev-ci's init comes before the secrets' apply ends."""
    _, printed = cli_runs["deploy"]
    attributed = cdktf_cli.by_stack(printed)
    workspace, secrets = DEV_CI_STACKS[1], DEV_CI_STACKS[0]
    secrets_done = next(index for index, (stack, text) in enumerate(attributed)
                        if stack == secrets and text.startswith("Apply complete!"))
    # Both stacks are initialised first, side by side; the workspace's plan is where its deploy starts.
    workspace_planned = next(index for index, (stack, text) in enumerate(attributed)
                             if stack == workspace and "execution plan" in text)
    events: dict[str, int] = {}  # the CLI's status line as it changes, and the two lines compared
    for index, (stack, text) in enumerate(attributed):
        if index in (secrets_done, workspace_planned) or (stack is None and "Stack" in text):
            events.setdefault(f"{stack or 'cli'}: {text}", index)
    assert secrets_done < workspace_planned, "dev-ci planned before dev-ci-secrets was applied:\n" + \
        "\n".join(f"{index}: {event}" for event, index in sorted(events.items(), key=lambda item: item[1]))


def test_dev_ci_task_definition_reads_back(applied, moto_url):
    ecs = aws("ecs", moto_url)
    cluster = applied["outputs"]["cluster_name"]["value"]
    service = ecs.describe_services(cluster=cluster, services=[applied["outputs"]["service_name"]["value"]])
    task_definition = ecs.describe_task_definition(taskDefinition=service["services"][0]["taskDefinition"])
    containers = {c["name"]: c for c in task_definition["taskDefinition"]["containerDefinitions"]}
    assert set(containers) == {"litellm", "ollama"}
    assert containers["litellm"]["dependsOn"] == [{"containerName": "ollama", "condition": "HEALTHY"}]
    ssm = aws("ssm", moto_url)
    secrets = {secret["name"]: secret["valueFrom"] for secret in containers["litellm"]["secrets"]}
    assert set(secrets) == {"LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "DATABASE_PASSWORD"}
    secrets_key = aws("kms", moto_url).describe_key(KeyId="alias/litellm-dev-ci-secrets")["KeyMetadata"]["Arn"]
    for name in ("LITELLM_MASTER_KEY", "LITELLM_SALT_KEY"):
        parameter_name = "/" + secrets[name].split(":parameter/", 1)[1]
        parameter = ssm.get_parameter(Name=parameter_name)["Parameter"]
        assert parameter["Type"] == "SecureString", name
        assert parameter["Name"].startswith("/litellm/dev-ci/")
        described = ssm.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Values": [parameter_name]}])["Parameters"][0]
        assert described["KeyId"] in {secrets_key, "alias/litellm-dev-ci-secrets"}, described
    # The password is the RDS-managed secret's `password` field, and only that.
    instance = aws("rds", moto_url).describe_db_instances(DBInstanceIdentifier="litellm-dev-ci-postgres")
    managed = instance["DBInstances"][0]["MasterUserSecret"]["SecretArn"]
    assert secrets["DATABASE_PASSWORD"] == f"{managed}:password::"
    environment = {item["name"]: item["value"] for item in containers["litellm"]["environment"]}
    assert environment["DATABASE_USERNAME"] == "litellm" and environment["DATABASE_NAME"] == "litellm"
    assert environment["DATABASE_HOST"].endswith(":5432")


def test_dev_ci_security_group_chain_reads_back(dev_ci, moto_url):
    ec2 = aws("ec2", moto_url)
    groups = {group["GroupName"]: group["GroupId"] for group in ec2.describe_security_groups()["SecurityGroups"]
              if group["GroupName"].startswith("litellm-dev-ci-")}
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": list(groups.values())}]
    )["SecurityGroupRules"]
    by_group = {name: [rule for rule in rules if rule["GroupId"] == group_id] for name, group_id in groups.items()}

    def ingress(name: str) -> list[dict]:
        return [rule for rule in by_group[name] if not rule["IsEgress"]]

    alb_sources = {(rule["FromPort"], rule.get("CidrIpv4")) for rule in ingress("litellm-dev-ci-alb")}
    assert alb_sources == {(80, "203.0.113.0/24")}
    for name, port in (("litellm-dev-ci-ecs", 4000), ("litellm-dev-ci-database", 5432), ("litellm-dev-ci-efs", 2049)):
        rules_in = ingress(name)
        assert [rule["FromPort"] for rule in rules_in] == [port], name
        assert "CidrIpv4" not in rules_in[0], f"{name} accepts traffic from a CIDR block"


@pytest.fixture(scope="module")
def applied(stage, dev_ci, provided_secret, redis_auth, cli, terraform_env, stacks, moto_url,
            tmp_path_factory) -> dict:
    """What the tests of the applied dev-ci read, taken before its destroy: dev-ci's state and its plan as
    a pull request makes them, with its plan role's rights only (state read, lock taken, every applied
    resource refreshed, IAM enforced; the plan is saved in "replanned", shown beside the destroy), beside
    them `cdktf output dev-ci`; and every secret value the deployed workspaces hold."""
    directory = stage["replan"].result()
    outputs_file = tmp_path_factory.mktemp("output") / "outputs.json"
    with ThreadPoolExecutor(max_workers=2) as pool:
        output = pool.submit(cli, "output", "dev-ci", "--skip-synth", "--outputs-file", str(outputs_file))
        state = pool.submit(terraform, ["state", "pull"], directory, terraform_env)
        planned(directory, terraform_env)
        output, state = output.result(), succeed(state.result())
    read = json.loads(state)
    resources = [f"{resource['type']}.{resource['name']}" for resource in read["resources"]
                 if resource["mode"] == "managed" and resource["instances"]]
    print(f"\ndev-ci: {len(resources)} of {len(terraform_cli.addresses(stacks['dev-ci']))} resources applied to moto")
    return {"state": state, "resources": resources, "outputs": read["outputs"],
            "replanned": directory, "cli_output": output, "outputs_file": outputs_file,
            "secrets": secret_values(moto_url, provided_secret)}


def secret_values(moto_url: str, provided: dict) -> dict[str, str]:
    """Every secret value the deployed workspaces hold, read back from AWS (moto)."""
    ssm, found = aws("ssm", moto_url), {"openai_api_key": provided["value"]}
    found["redis_auth_token"] = ssm.get_parameter(Name="/litellm/dev/cache/redis_password",
                                                  WithDecryption=True)["Parameter"]["Value"]
    for name in ("master_key", "salt_key"):
        parameter = ssm.get_parameter(Name=f"/litellm/dev-ci/litellm/{name}", WithDecryption=True)["Parameter"]
        found[name] = parameter["Value"]
    instance = aws("rds", moto_url).describe_db_instances(DBInstanceIdentifier="litellm-dev-ci-postgres")
    secret = aws("secretsmanager", moto_url).get_secret_value(
        SecretId=instance["DBInstances"][0]["MasterUserSecret"]["SecretArn"])
    found["database_password"] = json.loads(secret["SecretString"])["password"]
    return found


# --- The plan role's rights, enforced by moto ------------------------------------------------
# moto enforces IAM for the access keys given to tests/moto_server.enforce_iam: the plan roles' users and
# their control. It evaluates actions and S3 resources, and (tests/moto_server.py) DynamoDB tables; it
# does not evaluate conditions or NotResource, which tests/test_ci_access.py checks with an IAM simulator.

def as_user_of_role(moto_url: str, role_name: str) -> dict[str, str]:
    """An IAM user holding exactly the policies the bootstrap stack gave `role_name` (moto
    authorizes users' keys; the OIDC federation itself is GitHub's and AWS's)."""
    iam = aws("iam", moto_url)
    user = f"as-{role_name}"
    iam.create_user(UserName=user)
    inline = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    assert inline, f"{role_name} has no inline policy in moto: was bootstrap applied?"
    for name in inline:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=json.dumps(document))
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        iam.attach_user_policy(UserName=user, PolicyArn=attached["PolicyArn"])
    return enforced_access_key(iam, user)


def enforced_access_key(iam, user: str) -> dict[str, str]:
    """A new access key of `user`, every request it signs authorized by moto against the user's policies."""
    key = iam.create_access_key(UserName=user)["AccessKey"]
    enforce_iam(key["AccessKeyId"])
    return {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def plan_role(stage, dev_ci) -> dict[str, str]:
    return stage["plan_role"]


def client_as(service: str, endpoint: str, credentials: dict[str, str]):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=credentials["access_key"], aws_secret_access_key=credentials["secret_key"])


@pytest.fixture(scope="module")
def administrator(plan_role, moto_url) -> dict[str, str]:
    """The control: a user with AdministratorAccess, IAM enforced, so that a refusal is the plan role's
    policy, not moto (moto answers some JSON services' denials in XML, which botocore reports as '403')."""
    iam = aws("iam", moto_url)
    iam.create_user(UserName="administrator")
    iam.attach_user_policy(UserName="administrator", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    return enforced_access_key(iam, "administrator")


def status_of(call) -> int:
    try:
        call()
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"]
    return 200


def test_plan_role_reads_no_secret_and_no_other_state(plan_role, administrator, moto_url):
    database = aws("rds", moto_url).describe_db_instances(DBInstanceIdentifier="litellm-dev-ci-postgres")
    secret_arn = database["DBInstances"][0]["MasterUserSecret"]["SecretArn"]
    ciphertext = aws("kms", moto_url).encrypt(KeyId="alias/litellm-dev-ci-secrets", Plaintext=b"x")["CiphertextBlob"]
    bucket = PROJECT["bucket"]
    reads = {
        "its own workspace state": (lambda c: c("s3").get_object(Bucket=bucket, Key="litellm/dev-ci/terraform.tfstate"),
                                    200),
        "its secrets stack's state": (
            lambda c: c("s3").get_object(Bucket=bucket, Key="litellm/dev-ci/secrets.tfstate"), 403),
        "another workspace's state": (lambda c: c("s3").get_object(Bucket=bucket, Key="litellm/dev/secrets.tfstate"),
                                      403),
        "a state write": (lambda c: c("s3").put_object(Bucket=bucket, Key="litellm/dev-ci/x.tfstate", Body=b"{}"), 403),
        "the master key": (lambda c: c("ssm").get_parameter(Name="/litellm/dev-ci/litellm/master_key",
                                                             WithDecryption=True), 403),
        "every parameter": (lambda c: c("ssm").get_parameters_by_path(Path="/litellm/dev-ci", Recursive=True,
                                                                       WithDecryption=True), 403),
        "the database password": (lambda c: c("secretsmanager").get_secret_value(SecretId=secret_arn), 403),
        "a decryption": (lambda c: c("kms").decrypt(CiphertextBlob=ciphertext), 403),
    }
    for label, (call, expected) in reads.items():
        assert status_of(lambda call=call: call(lambda s: client_as(s, moto_url, administrator))) == 200, label
        assert status_of(lambda call=call: call(lambda s: client_as(s, moto_url, plan_role))) == expected, label


# --- The deploy role's rights, against every call of the real apply (beside the last plans) ---------
# moto cannot enforce the deploy role (it treats the role's tag conditions as always met, so its
# Deny statements would refuse everything). Instead: every request the dev-ci apply made (both
# stacks, recorded by moto) goes to the IAM simulator as a request of the dev-ci deploy role,
# carrying what the provider sends (the workspace's default tags) and the ARN moto named or,
# where moto names none, an ARN of the action's resource type from AWS's service reference.

# Calls the provider makes and survives being refused.
REFUSAL_TOLERATED = {
    "iam:GetUser": "account id discovery: refused (and meaningless for a role session), the provider falls back to "
                   "sts:GetCallerIdentity",
}


def deploy_requests(calls: list[tuple[str, str]], *, role_of: str, workspace: str, key_policy: dict) -> list:
    from modules.ci_access import policies
    from tests.iam_simulator import Request

    groups = {group.name: group for group in policies.stack_groups(LOADED)}
    group = groups[role_of]
    identity = (("deploy", policies.deploy_policy(group, [g for n, g in groups.items() if n != role_of])),)
    arns = policies.Arns(LOADED.project)
    fill = {"Partition": "aws", "Region": REGION, "Account": LOADED.project.aws_account_id,
            "BucketName": f"litellm-{workspace}-config-x", "LogGroupName": f"/litellm/{workspace}/litellm",
            "ParameterNameWithoutLeadingSlash": f"litellm/{workspace}/litellm/master_key",
            "RoleNameWithPath": f"litellm/{workspace}/litellm-{workspace}-task"}
    context = {
        "aws:RequestTag/Workspace": workspace, "aws:ResourceTag/Workspace": workspace, "aws:TagKeys": ["Workspace"],
        "iam:PermissionsBoundary": arns.boundary(groups[workspace]),
        "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        "dynamodb:LeadingKeys": [f"{PROJECT['bucket']}/litellm/{workspace}/terraform.tfstate"],
    }
    return [
        Request(principal=f"arn:aws:iam::{LOADED.project.aws_account_id}:role/litellm/ci/{group.deploy_role_name}",
                action=action,
                resource=resource if resource != "*" else {"derive": fill},
                identity=identity, context=context, key_policy=key_policy)
        for action, resource in sorted(set(calls))
    ]


@pytest.mark.tools
def test_every_call_of_the_dev_ci_apply_is_allowed_to_its_deploy_role_alone(dev_ci, stacks, reviewing):
    from tests.iam_simulator import ALLOWED, decide

    key_policy = json.loads(next(iter(stacks["dev-ci"]["resource"]["aws_kms_key"].values()))["policy"])
    calls = dev_ci["calls"]
    assert len(set(calls)) > 50, "the apply was not recorded"
    own = deploy_requests(calls, role_of="dev-ci", workspace="dev-ci", key_policy=key_policy)
    decisions = decide(own, LOADED.project.aws_account_id)
    refused = [(request.action, request.resource, decision)
               for request, decision in zip(own, decisions, strict=True)
               if decision != ALLOWED and request.action not in REFUSAL_TOLERATED]
    assert not refused, "the dev-ci deploy role may not make calls its apply needs:\n" + "\n".join(map(str, refused))
    for action, reason in REFUSAL_TOLERATED.items():
        print(f"refused and tolerated: {action}: {reason}")
    print(f"\n{len(own)} distinct calls of the dev-ci apply: every one allowed to the dev-ci deploy role")

    # The same calls by dev's deploy role: its own tags aside, dev-ci is out of its reach.
    foreign = deploy_requests(calls, role_of="dev", workspace="dev-ci", key_policy=key_policy)
    refused = {request.action for request, decision in
               zip(foreign, decide(foreign, LOADED.project.aws_account_id), strict=True) if decision != ALLOWED}
    assert {"iam:CreateRole", "iam:PutRolePolicy", "s3:PutObject", "dynamodb:PutItem", "ec2:CreateVpc",
            "ssm:PutParameter", "kms:CreateAlias"} <= refused, sorted(refused)


# Reads of the apply the plan role never makes: the provider's account-id discovery (refused and
# tolerated, above) and the lock and state calls its own statements cover by name.
NOT_REFRESH_READS = {"iam:GetUser", "dynamodb:GetItem", "s3:GetObject"}


@pytest.mark.tools
def test_every_read_of_the_dev_ci_apply_is_allowed_to_its_plan_role(dev_ci, stacks, reviewing):
    """The plan role's rights come from measurement: each describe, get or list the provider made while
    applying dev-ci's workspace stack (it reads back every resource it creates, as a refresh does) is one
    ViewOnlyAccess or the role's RefreshReads statement allows - evaluated by the IAM simulator."""
    from modules.ci_access import policies
    from tests.iam_simulator import ALLOWED, Request, aws_managed_policy, decide

    groups = {group.name: group for group in policies.stack_groups(LOADED)}
    group = groups["dev-ci"]
    identity = (("plan", policies.plan_policy(group, [g for n, g in groups.items() if n != "dev-ci"])),
                ("ViewOnlyAccess", aws_managed_policy("ViewOnlyAccess")))
    reads = sorted({action for action, _ in dev_ci["workspace_calls"]
                    if action.split(":")[1].startswith(("Describe", "Get", "List", "Head"))} - NOT_REFRESH_READS)
    assert len(reads) > 30, reads
    key_policy = json.loads(next(iter(stacks["dev-ci"]["resource"]["aws_kms_key"].values()))["policy"])
    account = LOADED.project.aws_account_id
    fill = {"Partition": "aws", "Region": REGION, "Account": account, "BucketName": "litellm-dev-ci-config-x",
            "RoleNameWithPath": "litellm/dev-ci/litellm-dev-ci-task", "LogGroupName": "/litellm/dev-ci/litellm"}
    requests = [Request(principal=f"arn:aws:iam::{account}:role/litellm/ci/{group.plan_role_name}", action=action,
                        resource={"derive": fill}, identity=identity, key_policy=key_policy,
                        context={"kms:ResourceAliases": ["alias/litellm-dev-ci"]}) for action in reads]
    refused = [action for action, decision in zip(reads, decide(requests, account), strict=True)
               if decision != ALLOWED]
    assert not refused, f"the plan role cannot refresh what the apply read back: {refused}"


# --- Last: the plans read from the applied workspace; in CI's second pass, `cdktf destroy dev-ci` ---

# The secrets stacks planned again after set-secret and the applies (the destroy keeps them).
SECRETS_REPLANNED = ("dev-ci-secrets", "dev-secrets")
MODEL_CACHE = "aws_efs_file_system.ecs_model_cache"


def replacing_the_model_cache(workdirs: dict[str, Path], state: str, moto_url: str, under: Path) -> Path:
    """dev-ci's stack with a field that forces a new EFS file system, on a local copy of its applied state."""
    directory = under / "dev-ci-replacing"
    directory.mkdir()
    stack = json.loads((workdirs["dev-ci"] / "cdk.tf.json").read_text())
    stack["resource"]["aws_efs_file_system"]["ecs_model_cache"]["performance_mode"] = "maxIO"
    stack["terraform"]["backend"] = {"local": {}}
    (directory / "cdk.tf.json").write_text(json.dumps(stack))
    shutil.copy(workdirs["dev-ci"] / STACK_LOCK_FILE, directory / STACK_LOCK_FILE)
    # Not at the local backend's default path, which `init` would take for a state to migrate.
    (directory / "applied.tfstate").write_text(state)
    override = endpoints.override(stack, moto_url, local_state=str(directory / "applied.tfstate"))
    (directory / endpoints.OVERRIDE_FILE).write_text(json.dumps(override))
    return directory


@pytest.fixture(scope="module")
def reviewing(applied, provided_secret, workdirs, terraform_env, moto_url, tmp_path_factory) -> Iterator[dict]:
    """Started once every test of the live workspace has run, at a lower CPU priority, while the tests that
    need only what was recorded run: dev-ci's plan by its plan role shown, the secrets stacks of dev-ci and
    dev planned again by an administrator, with their states, and dev-ci's model cache replaced, planned
    against a local copy of the applied state. Yields futures: `reviewed` waits for them."""
    replacing = replacing_the_model_cache(workdirs, applied["state"], moto_url, tmp_path_factory.mktemp("replacing"))

    def replan(name: str) -> dict:
        replanned = plan_in(workdirs[name], terraform_env, niceness=SIDE_WORK)
        return replanned | {"state": succeed(terraform(["state", "pull"], workdirs[name], terraform_env,
                                                       niceness=SIDE_WORK))}

    def plan_replacing() -> dict:
        succeed(terraform(["init", "-input=false"], replacing, terraform_env, niceness=SIDE_WORK))
        return plan_in(replacing, terraform_env, "-refresh=false", f"-target={MODEL_CACHE}", niceness=SIDE_WORK)

    with ThreadPoolExecutor(max_workers=len(SECRETS_REPLANNED) + 2) as pool:
        yield {"replan": pool.submit(shown, applied["replanned"], terraform_env, niceness=SIDE_WORK),
               "replans": {name: pool.submit(replan, name) for name in SECRETS_REPLANNED},
               "replacing": pool.submit(plan_replacing)}


@pytest.fixture(scope="module")
def reviewed(reviewing) -> dict:
    """{"replan": dev-ci's plan by its plan role (JSON text), "replans": name -> plan and "state", "replacing":
    plan}."""
    return {"replan": reviewing["replan"].result(),
            "replans": {name: replanned.result() for name, replanned in reviewing["replans"].items()},
            "replacing": reviewing["replacing"].result()}


def test_guard_stops_a_plan_that_replaces_the_model_cache(reviewed, tmp_path):
    """A real plan against the applied dev-ci's state: a field that forces a new EFS file system makes the
    plan replace it, and the plan review's guard fails naming it and the field."""
    (tmp_path / "plan.json").write_text(reviewed["replacing"]["plan"])
    review = run_main("plan-report", "--guard", f"dev-ci={tmp_path / 'plan.json'}", timeout=120)
    assert review.returncode == 1, review.stdout + review.stderr
    assert f"`{MODEL_CACHE}` replaced (forced by `performance_mode`)" in review.stdout
    assert f"destructive change: dev-ci: {MODEL_CACHE} (replace)" in review.stderr


def test_dev_ci_plans_no_changes_after_apply(reviewed):
    """What a pull request's plan of the applied dev-ci shows (its plan role's): no change but moto's gaps."""
    plan = json.loads(reviewed["replan"])
    unexpected, gaps_seen = [], set()
    for change in plan["resource_changes"]:
        actions = change["change"]["actions"]
        if actions == ["no-op"]:
            continue
        before, after = change["change"]["before"] or {}, change["change"]["after"] or {}
        differing = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
        for key in sorted(differing):
            gap = MOTO_ROUND_TRIP_GAPS.get((change["type"], key))
            if gap and gap[1](after):
                gaps_seen.add((change["type"], key))
                differing.discard(key)
        if actions != ["update"] or differing:
            unexpected.append((change["address"], actions, sorted(differing)))
    assert not unexpected, "perpetual diff:\n" + "\n".join(map(str, unexpected))
    for gap, (reason, _) in MOTO_ROUND_TRIP_GAPS.items():
        print(f"moto round-trip gap allowed: {gap[0]}.{gap[1]}: {reason}")
    fixed = set(MOTO_ROUND_TRIP_GAPS) - gaps_seen
    assert not fixed, f"no longer a moto gap, remove from MOTO_ROUND_TRIP_GAPS: {fixed}"


def test_cli_output_reads_the_workspace_outputs(applied, moto_url):
    outputs = json.loads(applied["outputs_file"].read_text())["dev-ci"]
    assert outputs["cluster_name"] == "litellm-dev-ci"
    assert {name: outputs[name] for name in applied["outputs"]} == {
        name: output["value"] for name, output in applied["outputs"].items()}
    clusters = aws("ecs", moto_url).describe_clusters(clusters=[outputs["cluster_name"]])["clusters"]
    assert [cluster["clusterName"] for cluster in clusters if cluster["status"] == "ACTIVE"] == ["litellm-dev-ci"]


def test_no_secret_value_in_any_state_or_plan(applied, reviewed):
    values = applied["secrets"]
    assert values["master_key"].startswith("sk-") and len(values["master_key"]) == 3 + 48
    assert all(len(value) >= 8 for value in values.values()), "a secret read back is implausibly short"
    states = {"dev-ci": applied["state"]} | {name: reviewed["replans"][name]["state"] for name in SECRETS_REPLANNED}
    plans = {"dev-ci": reviewed["replan"]} | {name: reviewed["replans"][name]["plan"]
                                                             for name in SECRETS_REPLANNED}
    for name, state in states.items():
        for secret, value in values.items():
            assert value not in state, f"{name}: the {secret} is in the Terraform state"
            assert value not in plans[name], f"{name}: the {secret} is in the plan"


def test_secrets_are_written_once_and_never_rewritten(reviewed, provided_secret, moto_url):
    """Re-planning a secrets stack after set-secret changes nothing: Terraform never writes the
    placeholder (or a new generated value) over what is there."""
    for name, replan in reviewed["replans"].items():
        assert replan["exit"] == 0, f"{name} plans changes:\n{replan['plan'][:3000]}"
    parameter = aws("ssm", moto_url).get_parameter(Name=provided_secret["name"], WithDecryption=True)["Parameter"]
    assert parameter["Value"] == provided_secret["value"]


# --- CI's second pass (`pytest -m destroy`): the workspace deployed above, destroyed by the CLI ------

@pytest.fixture(scope="module")
def destroyed(dev_ci, cli) -> tuple[int, list[str]]:
    """`cdktf destroy dev-ci`, as README's Deploying runs it, once the deploy is done (last in the file: in a run
    of both passes, after every test of the live workspace)."""
    return cli("destroy", "dev-ci", "--skip-synth", "--auto-approve")


@pytest.mark.destroy
def test_cdktf_destroy_succeeds_offline_without_an_error_line(destroyed):
    cdktf_cli.assert_clean(destroyed)
    assert not any("providers lock" in line for line in destroyed[1])


@pytest.mark.destroy
def test_destroy_removes_the_workspace_and_keeps_its_secrets(destroyed, moto_url):
    parameters = aws("ssm", moto_url).describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/litellm/dev-ci/"]}])
    assert parameters["Parameters"], "the secrets stack's parameters are gone"
    vpcs = aws("ec2", moto_url).describe_vpcs(Filters=[{"Name": "tag:Workspace", "Values": ["dev-ci"]}])["Vpcs"]
    assert vpcs == []
    clusters = aws("ecs", moto_url).describe_clusters(clusters=["litellm-dev-ci"])["clusters"]
    assert [cluster for cluster in clusters if cluster["status"] == "ACTIVE"] == []
