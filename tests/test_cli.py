"""The command line: exit codes, every problem printed, nothing written on bad input, and no
provider bindings imported where nothing is synthesized."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ENVIRONMENTS, ROOT, run_main


def copy_environments(tmp_path, **replacements: tuple[str, str]):
    directory = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__", "templates"))
    for workspace, (old, new) in replacements.items():
        path = directory / f"{workspace.replace('_', '-')}.toml"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))
    return directory


def test_validate_all_shipped_workspaces():
    result = run_main("validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "valid: dev, dev-ci, prod, staging"
    # The rest are notices of shutdowns within 90 days (environments/retirements.py), nothing else.
    assert all(line.startswith("note: ") for line in result.stdout.splitlines()[1:])


def test_validate_accepts_names_and_paths():
    result = run_main("validate", "dev", "environments/prod.toml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "valid: dev, prod"


def test_validate_reports_every_problem_and_exits_nonzero(tmp_path):
    directory = copy_environments(
        tmp_path,
        prod=("multi_az = true", "multi_az = false"),
        dev=('database_subnets = ["10.0.100.0/24", "10.0.200.0/24"]',
             'database_subnets = ["10.1.21.0/24", "10.0.200.0/24"]'),
    )
    result = run_main("validate", "--environments", str(directory))
    assert result.returncode == 1
    assert "dev.toml: network.database_subnets[0] = \"10.1.21.0/24\": lies outside the VPC 10.0.0.0/16" in result.stderr
    assert "prod.toml: database.multi_az = false" in result.stderr
    assert "2 problems found; nothing was written." in result.stderr


def test_unknown_workspace_is_an_error():
    result = run_main("validate", "qa")
    assert result.returncode == 1
    assert "no workspace named 'qa'" in result.stderr


def test_bad_arguments_exit_with_usage_error():
    result = run_main("synth", "--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_invalid_environment_writes_no_output(tmp_path):
    directory = copy_environments(tmp_path, dev=("log_retention_days = 14", "log_retention_days = 10"))
    outdir = tmp_path / "cdktf.out"
    result = run_main("synth", "--environments", str(directory), "--outdir", str(outdir))
    assert result.returncode == 1
    assert "observability.log_retention_days = 10" in result.stderr
    assert not outdir.exists()
    assert not list(tmp_path.glob(".cdktf.out.*")), "a scratch directory was left behind"


def test_invalid_environment_leaves_previous_output_untouched(tmp_path, synth_dir):
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synth_dir, outdir)
    before = {path: path.read_bytes() for path in outdir.rglob("*") if path.is_file()}
    directory = copy_environments(tmp_path, prod=("multi_az = true", "multi_az = false"))
    result = run_main("synth", "--environments", str(directory), "--outdir", str(outdir))
    assert result.returncode == 1
    after = {path: path.read_bytes() for path in outdir.rglob("*") if path.is_file()}
    assert after == before


@pytest.mark.parametrize("argv", [["validate"], ["validate", "prod"]])
def test_validation_does_not_import_the_bindings(argv):
    probe = (
        "import sys, main\n"
        f"code = main.main({argv!r})\n"
        "loaded = sorted(name for name in sys.modules if name.startswith(('cdktf', 'jsii', 'constructs')))\n"
        "print(code, loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("0 []"), result.stdout


def test_help_does_not_import_the_bindings():
    probe = (
        "import sys, main\n"
        "try:\n    main.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print([name for name in sys.modules if name.startswith(('cdktf', 'jsii'))])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "synth" in result.stdout and result.stdout.strip().endswith("[]"), result.stdout


def test_readme_reference_is_current():
    from environments.reference import replace_block

    readme = (ROOT / "README.md").read_text()
    assert replace_block(readme) == readme, "README.md is stale: python -m environments.reference --write README.md"


REFUSED = "sk-refused-value\n"


def aws_command(*args: str, value: str = "") -> subprocess.CompletedProcess:
    """`main.py ARGS` with `value` on stdin, against a closed port: any attempt to reach AWS fails loudly
    instead of going anywhere."""
    endpoint = [] if "--endpoint-url" in args else ["--endpoint-url", "http://127.0.0.1:9"]
    return run_main(*args, *endpoint, input=value, timeout=120,
                    env={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"})


def set_secret(*args: str, value: str = REFUSED) -> subprocess.CompletedProcess:
    return aws_command("set-secret", *args, value=value)


@pytest.mark.parametrize("args, value, message", [
    (["--workspace", "dev", "anthropic_api_key"], REFUSED, "the workspace does not declare it"),
    (["--workspace", "dev", "salt_key"], REFUSED, "generated by the secrets stack and written once"),
    (["--workspace", "dev-ci", "openai_api_key"], REFUSED, "Settable here: none"),
    (["--workspace", "dev", "openai_api_key"], "\n", "the value on stdin is empty"),
    (["--workspace", "dev", "openai_api_key"], "unset: python main.py set-secret\n", "is the placeholder itself"),
    (["--workspace", "dev", "openai_api_key"], "x" * 5000, "longer than SSM's 4096 bytes"),
    (["--workspace", "nope", "openai_api_key"], REFUSED, "nope"),
    (["--workspace", "dev", "openai_api_key", "--endpoint-url", "http://10.0.0.1:4566"], REFUSED, "loopback"),
])
def test_set_secret_refuses_and_writes_nothing(args, value, message):
    """Every refusal happens before any AWS call (the endpoint is a closed port) and never echoes
    the value."""
    result = set_secret(*args, value=value)
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr
    assert "sk-refused-value" not in result.stdout + result.stderr


def test_set_secret_takes_no_value_on_the_command_line():
    result = set_secret("--workspace", "dev", "openai_api_key", "sk-on-the-command-line")
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr
    assert "sk-on-the-command-line" not in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--workspace", "dev-ci"], "creates no Redis (no [redis] table); nothing to do"),
    (["--workspace", "nope"], "nope"),
    (["--workspace", "dev", "--endpoint-url", "http://10.0.0.1:4566"], "loopback"),
])
def test_redis_auth_refuses_before_any_aws_call(args, message):
    result = aws_command("redis-auth", *args)
    assert result.returncode == 1 and message in result.stderr, result.stdout + result.stderr


@pytest.mark.parametrize("token, message", [
    ("short", "has 5 characters; ElastiCache takes 16 to 128"),
    ("x" * 129, "has 129 characters"),
    ("abcdefgh@ijklmnop", "holds a character ElastiCache refuses"),
    ("abcdefgh ijklmnop", "holds a character ElastiCache refuses"),
    ("abcdefgh/ijklmnop", "holds a character ElastiCache refuses"),
    ("abcdefghé ijklmnop", "holds a character ElastiCache refuses"),
])
def test_redis_auth_refuses_a_token_elasticache_would_refuse_without_repeating_it(token, message):
    from operations.redis_auth import RedisAuthRefused, check_token

    with pytest.raises(RedisAuthRefused) as refused:
        check_token(token)
    assert message in str(refused.value) and token not in str(refused.value)


def test_redis_auth_accepts_the_generated_kind_of_token():
    from operations.redis_auth import check_token

    check_token("A1b2" * 12)  # 48 letters and digits, as the secrets stack generates


@pytest.mark.parametrize("args, message", [
    (["redeploy", "--workspace", "nope"], "no workspace named 'nope'"),
    (["redeploy", "--workspace", "dev", "--endpoint-url", "http://10.0.0.1:4566"], "loopback"),
    (["smoke", "--workspace", "nope"], "no workspace named 'nope'"),
    (["smoke", "--workspace", "dev", "--endpoint-url", "https://ecs.eu-west-1.amazonaws.com"], "loopback"),
    (["rotate-secret", "--workspace", "dev", "salt_key"],
     "salt_key is never rotated: LiteLLM encrypts the provider credentials it stores in the database with it"),
    (["rotate-secret", "--workspace", "dev", "openai_api_key"], "python main.py set-secret --workspace dev NAME"),
    (["rotate-secret", "--workspace", "dev", "redis_password"], "only master_key rotates here"),
    (["rotate-secret", "--workspace", "nope", "master_key"], "no workspace named 'nope'"),
    (["rotate-secret", "--workspace", "dev", "master_key", "--endpoint-url", "http://192.0.2.1"], "loopback"),
    (["set-secret", "--redeploy", "--workspace", "dev", "salt_key"], "generated by the secrets stack"),
])
def test_operations_refuse_before_any_aws_call(args, message):
    """The endpoint is a closed port: a refusal that reached for AWS would print a connection error
    instead of its message. Nothing is printed but the refusal; exit 1."""
    result = aws_command(*args, value=REFUSED)
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert "Could not connect" not in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_an_unreachable_aws_is_a_failure_not_a_traceback():
    """Past the refusals, the closed port is reached: one message, exit 1."""
    result = aws_command("redeploy", "--workspace", "dev", "--timeout", "1")
    assert result.returncode == 1
    assert "redeploy failed: Could not connect to the endpoint URL" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_the_smoke_checks_need_nothing_but_the_standard_library():
    """As the LiteLLM image's python3 runs them: no site packages (-S), no project on the path (-I)."""
    result = subprocess.run([sys.executable, "-I", "-S", str(ROOT / "operations" / "smoke_checks.py"),
                             "--base-url", "http://127.0.0.1:9", "--database"],
                            env={"LITELLM_MASTER_KEY": "sk-x"}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 10, result.stdout + result.stderr
    assert result.stdout.startswith("FAILED liveliness: no answer from http://127.0.0.1:9/health/liveliness")
    without_key = subprocess.run([sys.executable, "-I", "-S", str(ROOT / "operations" / "smoke_checks.py"),
                                  "--base-url", "http://127.0.0.1:9"], env={}, capture_output=True, text=True,
                                 timeout=60)
    assert without_key.returncode == 2 and "LITELLM_MASTER_KEY is not set" in without_key.stderr


# The cdktf CLI runs cdktf.json's `python main.py` with no flags: the endpoint comes from the environment.
ENDPOINT = "LITELLM_INFRA_ENDPOINT_URL"
RUN_BY_CDKTF_CLI = {"CDKTF_CONTEXT_JSON": "{}"}


def overrides_in(outdir) -> dict[str, str]:
    return {path.parent.name: path.read_text() for path in outdir.glob("stacks/*/local_endpoint_override.tf.json")}


@pytest.fixture
def synthesized_copy(synth_dir, tmp_path):
    """A copy of the session's synthesis: `main.py synth` finds it current and only handles overrides."""
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synth_dir, outdir)
    return outdir


def test_the_endpoint_variable_writes_the_overrides_the_flag_writes(synthesized_copy, tmp_path):
    by_variable = run_main("synth", "--outdir", str(synthesized_copy), env={ENDPOINT: "http://127.0.0.1:4566"})
    assert by_variable.returncode == 0, by_variable.stderr
    assert by_variable.stdout.startswith("unchanged: ")
    assert "every stack points at http://127.0.0.1:4566" in by_variable.stdout
    written = overrides_in(synthesized_copy)
    assert set(written) == {path.parent.name for path in synthesized_copy.glob("stacks/*/cdk.tf.json")}
    by_flag = tmp_path / "by-flag"
    shutil.copytree(synthesized_copy, by_flag)
    assert run_main("synth", "--outdir", str(by_flag), "--endpoint-url", "http://127.0.0.1:4566").returncode == 0
    assert overrides_in(by_flag) == written


@pytest.mark.parametrize(("env", "args", "message"), [
    ({ENDPOINT: "http://10.0.0.1:4566"}, [], f"{ENDPOINT} 'http://10.0.0.1:4566': use http://127.0.0.1:<port>"),
    ({ENDPOINT: "https://moto.example.com:443"}, [], "a loopback address with a port"),
    ({ENDPOINT: "http://127.0.0.1:4566"}, ["--endpoint-url", "http://127.0.0.1:5000"], "disagree"),
])
def test_a_refused_endpoint_variable_writes_nothing(env, args, message, tmp_path):
    outdir = tmp_path / "cdktf.out"
    result = run_main("synth", "--outdir", str(outdir), *args, env=env)
    assert result.returncode == 1
    assert message in result.stderr
    assert not outdir.exists()


def test_the_cdktf_cli_never_drops_overrides_silently(synthesized_copy):
    """Overrides written by an earlier run, and the CLI runs main.py without the variable: removing
    them would send the deploy to AWS. Refused, every file left as it was."""
    assert run_main("synth", "--outdir", str(synthesized_copy), env={ENDPOINT: "http://127.0.0.1:4566"}).returncode == 0
    before = {path: path.read_bytes() for path in synthesized_copy.rglob("*") if path.is_file()}
    result = run_main("synth", "--outdir", str(synthesized_copy), env={**RUN_BY_CDKTF_CLI, ENDPOINT: ""})
    assert result.returncode == 1
    assert "refused:" in result.stderr and "http://127.0.0.1:4566" in result.stderr
    assert f"set {ENDPOINT}=http://127.0.0.1:4566" in result.stderr and "Nothing was written." in result.stderr
    assert {path: path.read_bytes() for path in synthesized_copy.rglob("*") if path.is_file()} == before
    # With the variable, the CLI's run keeps pointing there.
    again = run_main("synth", "--outdir", str(synthesized_copy), env={**RUN_BY_CDKTF_CLI, ENDPOINT: "http://127.0.0.1:4566"})
    assert again.returncode == 0, again.stderr
    # Run by hand, synth without an endpoint removes them, and says so.
    by_hand = run_main("synth", "--outdir", str(synthesized_copy))
    assert by_hand.returncode == 0, by_hand.stderr
    removed = "removed the local_endpoint_override.tf.json overrides (they pointed at http://127.0.0.1:4566)"
    assert removed in by_hand.stdout
    assert overrides_in(synthesized_copy) == {}


def test_the_node_end_of_life_banner_is_silenced_for_the_running_node(tmp_path, monkeypatch):
    """jsii compares the variable's comma-separated majors with the major of the Node.js that runs its
    kernel ($JSII_NODE, else `node`): main.py sets that major, and only when the variable is unset."""
    import main

    node = tmp_path / "node"
    node.write_text("#!/bin/sh\necho v18.20.4\n")
    node.chmod(0o755)
    monkeypatch.setenv("JSII_NODE", str(node))
    monkeypatch.delenv(main.NODE_END_OF_LIFE_VARIABLE, raising=False)
    main.silence_node_end_of_life()
    assert os.environ[main.NODE_END_OF_LIFE_VARIABLE] == "18"
    monkeypatch.setenv(main.NODE_END_OF_LIFE_VARIABLE, "16")
    main.silence_node_end_of_life()
    assert os.environ[main.NODE_END_OF_LIFE_VARIABLE] == "16"
    monkeypatch.delenv(main.NODE_END_OF_LIFE_VARIABLE)
    monkeypatch.setenv("JSII_NODE", str(tmp_path / "missing"))
    main.silence_node_end_of_life()
    assert main.NODE_END_OF_LIFE_VARIABLE not in os.environ
