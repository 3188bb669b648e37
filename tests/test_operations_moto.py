"""`main.py redeploy`, `rotate-secret` and `smoke` against moto (tests/moto_server.py), with a
cluster, task definition and service made with boto3 as the workspace stack names them. ECS's
own doings that moto lacks (a rollout ending, a task stopping) are done by the test, from a
thread, while the command waits, through moto_server.settle_deployment and stop_task."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator

import boto3
import pytest

import main
from environments.loader import load_environments
from operations import ecs as operations_ecs
from operations.ecs import SMOKE_CHECKS_VARIABLE, SMOKE_STARTED_BY
from tests.moto_server import _ecs_backend, moto_server, settle_deployment, stop_task

pytestmark = pytest.mark.moto

REGION = "eu-west-1"
WORKSPACE = load_environments(["dev-ci"]).workspaces[0]
NAME = WORKSPACE.prefix  # cluster and service
MASTER_KEY_PARAMETER = f"{WORKSPACE.ssm_path}/litellm/master_key"
OLD_MASTER_KEY = "sk-" + "o1D" * 16
DEV = load_environments(["dev"]).workspaces[0]
OPENAI_PARAMETER = f"{DEV.ssm_path}/providers/openai_api_key"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def aws(moto_url) -> dict:
    def client(name: str):
        return boto3.client(name, region_name=REGION, endpoint_url=moto_url, aws_access_key_id="test",
                            aws_secret_access_key="test")
    ec2, ecs, kms, ssm = client("ec2"), client("ecs"), client("kms"), client("ssm")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # as the workspace's VPC
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{index}.0/24")["Subnet"]["SubnetId"]
               for index in (10, 20)]
    group = ec2.create_security_group(GroupName=f"{NAME}-ecs", Description="tasks", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=NAME)
    definition = ecs.register_task_definition(
        family=NAME, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="2048", memory="7168",
        executionRoleArn="arn:aws:iam::123456789012:role/litellm-dev-ci-execution",
        taskRoleArn="arn:aws:iam::123456789012:role/litellm-dev-ci-task",
        containerDefinitions=[
            {"name": "ollama", "image": "ollama/ollama:0.12.5", "essential": True, "memory": 6144},
            {"name": "litellm", "image": "ghcr.io/berriai/litellm:v1.80.11-stable.1", "essential": True,
             "memory": 1024, "command": ["--port", "4000", "--num_workers", "1"],
             "environment": [{"name": "LITELLM_CONFIG_SHA256", "value": "0" * 64}],
             "secrets": [{"name": "LITELLM_MASTER_KEY", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter"
                                                                    f"{MASTER_KEY_PARAMETER}"}],
             "dependsOn": [{"containerName": "ollama", "condition": "HEALTHY"}]},
        ],
        tags=[{"key": "Workspace", "value": "dev-ci"}],
    )["taskDefinition"]["taskDefinitionArn"]
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "DISABLED"}}
    ecs.create_service(cluster=NAME, serviceName=NAME, taskDefinition=definition, desiredCount=1,
                       capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
                       platformVersion="1.4.0", networkConfiguration=network)
    settle_deployment(REGION, NAME, NAME, "COMPLETED")  # the deploy that created it
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=WORKSPACE.secrets_key_alias, TargetKeyId=key)
    ssm.put_parameter(Name=MASTER_KEY_PARAMETER, Value=OLD_MASTER_KEY, Type="SecureString", KeyId=key)
    # dev, for set-secret --redeploy (dev-ci declares no provided secret): its service, key and placeholder.
    ecs.create_cluster(clusterName=DEV.prefix)
    ecs.create_service(cluster=DEV.prefix, serviceName=DEV.prefix, taskDefinition=definition, desiredCount=1,
                       capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
                       networkConfiguration=network)
    settle_deployment(REGION, DEV.prefix, DEV.prefix, "COMPLETED")
    dev_key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=DEV.secrets_key_alias, TargetKeyId=dev_key)
    ssm.put_parameter(Name=OPENAI_PARAMETER, Value="unset: python main.py set-secret", Type="SecureString",
                      KeyId=dev_key)
    return {"ecs": ecs, "ssm": ssm, "key": key, "dev_key": dev_key, "definition": definition, "network": network}


def in_background(action: Callable[[], bool], seconds: float = 30) -> threading.Thread:
    """Run `action` every 50 ms until it returns True (what ECS does while a command waits)."""
    def loop() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not action():
            time.sleep(0.05)
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def new_deployment(ecs, name: str = NAME) -> dict | None:
    deployments = ecs.describe_services(cluster=name, services=[name])["services"][0]["deployments"]
    return deployments[0] if deployments[0]["rolloutState"] == "IN_PROGRESS" else None


def settles(aws, state: str, *, stopped: dict | None = None, name: str = NAME) -> Callable[[], bool]:
    def action() -> bool:
        deployment = new_deployment(aws["ecs"], name)
        if deployment is None:
            return False
        if stopped is not None:  # one task of the new deployment, stopped as ECS would stop it
            task = _ecs_backend(REGION).run_task(NAME, aws["definition"], 1, None, deployment["id"], None, None,
                                                 aws["network"],
                                                 capacity_provider_strategy=[{"capacityProvider": "FARGATE_SPOT"}])[0]
            stop_task(REGION, task.task_arn, stopped["reason"], stopped["containers"])
        settle_deployment(REGION, name, name, state, "tasks failed to start" if state == "FAILED" else "")
        return True
    return action


def run(capsys, *argv: str, moto_url: str) -> tuple[int, str, str]:
    code = main.main([*argv, "--endpoint-url", moto_url])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setattr(operations_ecs, "POLL_SECONDS", 0.05)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")


def test_redeploy_forces_a_new_deployment_and_reports_its_completion(aws, moto_url, capsys):
    before = aws["ecs"].describe_services(cluster=NAME, services=[NAME])["services"][0]["deployments"][0]["id"]
    in_background(settles(aws, "COMPLETED"))
    code, out, err = run(capsys, "redeploy", "--workspace", "dev-ci", "--timeout", "20", moto_url=moto_url)
    assert code == 0, out + err
    (deployment,) = aws["ecs"].describe_services(cluster=NAME, services=[NAME])["services"][0]["deployments"]
    assert deployment["id"] != before and deployment["rolloutState"] == "COMPLETED"
    assert f"deployment {deployment['id']} completed" in out


def test_a_failed_deployment_shows_why_its_tasks_stopped(aws, moto_url, capsys):
    in_background(settles(aws, "FAILED", stopped={
        "reason": "Essential container in task exited",
        "containers": {"ollama": (None, "CannotPullContainerError: pull access denied"), "litellm": (3, "")}}))
    code, out, err = run(capsys, "redeploy", "--workspace", "dev-ci", "--timeout", "20", moto_url=moto_url)
    assert code == 1, out + err
    assert "failed: tasks failed to start" in err
    assert "Essential container in task exited" in err
    assert "ollama: CannotPullContainerError: pull access denied" in err
    assert "litellm: exit code 3" in err


def test_a_rollout_that_does_not_end_in_time_fails_with_what_it_knows(aws, moto_url, capsys):
    code, out, err = run(capsys, "redeploy", "--workspace", "dev-ci", "--timeout", "0.3", moto_url=moto_url)
    assert code == 1, out + err
    assert "is still IN_PROGRESS after 0.3 s (0 of 1 running, 0 failed)" in err
    settle_deployment(REGION, NAME, NAME, "COMPLETED")


def test_rotate_secret_writes_a_new_master_key_under_the_secrets_key_never_printed(aws, moto_url, capsys):
    in_background(settles(aws, "COMPLETED"))
    code, out, err = run(capsys, "rotate-secret", "--workspace", "dev-ci", "master_key", "--timeout", "20",
                         moto_url=moto_url)
    assert code == 0, out + err
    parameter = aws["ssm"].get_parameter(Name=MASTER_KEY_PARAMETER, WithDecryption=True)["Parameter"]
    value = parameter["Value"]
    assert re.fullmatch(r"sk-[A-Za-z0-9]{48}", value) and value != OLD_MASTER_KEY
    assert parameter["Version"] == 2
    (described,) = aws["ssm"].describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [MASTER_KEY_PARAMETER]}])["Parameters"]
    assert described["KeyId"] == aws["key"], "the key by ARN, as the stack names it"
    assert value not in out + err and value[3:] not in out + err
    assert "completed" in out


def test_smoke_runs_the_checks_as_a_one_off_task_built_from_the_service(aws, moto_url, capsys):
    seen: dict = {}

    def task_ends() -> bool:
        tasks = [task for tasks in _ecs_backend(REGION).tasks.values() for task in tasks.values()
                 if task.started_by == SMOKE_STARTED_BY and task.status != "STOPPED"]
        if not tasks:
            return False
        seen["task"] = tasks[0]
        seen["definition"] = aws["ecs"].describe_task_definition(taskDefinition=tasks[0].task_definition_arn)
        stop_task(REGION, tasks[0].task_arn, "Essential container in task exited",
                  {"litellm": (0, ""), "ollama": (137, "")})
        return True

    in_background(task_ends)
    code, out, err = run(capsys, "smoke", "--workspace", "dev-ci", "--timeout", "20", moto_url=moto_url)
    assert code == 0, out + err
    assert "every smoke check passed" in out
    task, definition = seen["task"], seen["definition"]["taskDefinition"]
    # The task ran where the service runs: its subnets, security group and capacity provider.
    assert task.network_configuration == aws["network"]
    assert task.capacity_provider_name == "FARGATE_SPOT"
    # Its definition is the service's, but for the litellm container's entry point and the checks.
    original = aws["ecs"].describe_task_definition(taskDefinition=aws["definition"])["taskDefinition"]
    assert definition["family"] == f"{NAME}-smoke"
    ollama, litellm = definition["containerDefinitions"]
    assert ollama == original["containerDefinitions"][0]
    assert litellm["command"] == original["containerDefinitions"][1]["command"]
    assert litellm["secrets"] == original["containerDefinitions"][1]["secrets"]
    assert litellm["entryPoint"][:2] == ["/bin/sh", "-c"]
    assert ("--completion-model llama3.2:3b" in litellm["entryPoint"][2]
            and "--database" in litellm["entryPoint"][2] and "--cache" not in litellm["entryPoint"][2])
    checks = {item["name"]: item["value"] for item in litellm["environment"]}[SMOKE_CHECKS_VARIABLE]
    assert checks.startswith('"""Smoke checks of one LiteLLM proxy')
    # And it is gone afterwards.
    assert aws["ecs"].list_task_definitions(familyPrefix=f"{NAME}-smoke", status="ACTIVE")["taskDefinitionArns"] == []


def test_the_run_task_request_is_built_from_describe_services(aws):
    service = aws["ecs"].describe_services(cluster=NAME, services=[NAME])["services"][0]
    arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/litellm-dev-ci-smoke:1"
    assert operations_ecs.smoke_request(service, arn) == {
        "cluster": f"arn:aws:ecs:eu-west-1:123456789012:cluster/{NAME}",
        "taskDefinition": arn,
        "count": 1,
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        "platformVersion": "1.4.0",
        "networkConfiguration": aws["network"],
        "startedBy": "litellm-infra-smoke",
        "propagateTags": "TASK_DEFINITION",
        "enableECSManagedTags": True,
    }


@pytest.mark.parametrize("exit_code, message", [
    (13, "smoke check 'models' failed (litellm exit code 13); its log group /litellm/dev-ci/litellm says why"),
    (11, "smoke check 'database' failed"),
    (None, "the checks did not finish (litellm exit code None, CannotStartContainerError: no space)"),
])
def test_a_failed_smoke_names_the_check_from_the_exit_code(aws, moto_url, capsys, exit_code, message):
    def task_ends() -> bool:
        tasks = [task for tasks in _ecs_backend(REGION).tasks.values() for task in tasks.values()
                 if task.started_by == SMOKE_STARTED_BY and task.status != "STOPPED"]
        if tasks:
            reason = "" if exit_code is not None else "CannotStartContainerError: no space"
            stop_task(REGION, tasks[0].task_arn, "Essential container in task exited", {"litellm": (exit_code, reason)})
        return bool(tasks)

    in_background(task_ends)
    code, out, err = run(capsys, "smoke", "--workspace", "dev-ci", "--timeout", "20", moto_url=moto_url)
    assert code == 1, out + err
    assert message in err
    assert "Essential container in task exited" in err


def test_set_secret_redeploy_writes_then_restarts_the_service(aws, moto_url, capsys, monkeypatch):
    import io

    value = "sk-provided-" + "x7" * 10
    monkeypatch.setattr("sys.stdin", io.StringIO(value + "\n"))
    before = aws["ecs"].describe_services(cluster=DEV.prefix, services=[DEV.prefix])["services"][0]["deployments"]
    in_background(settles(aws, "COMPLETED", name=DEV.prefix))
    code, out, err = run(capsys, "set-secret", "--workspace", "dev", "openai_api_key", "--redeploy", "--timeout", "20",
                         moto_url=moto_url)
    assert code == 0, out + err
    assert aws["ssm"].get_parameter(Name=OPENAI_PARAMETER, WithDecryption=True)["Parameter"]["Value"] == value
    (service,) = aws["ecs"].describe_services(cluster=DEV.prefix, services=[DEV.prefix])["services"]
    (deployment,) = service["deployments"]
    assert deployment["id"] != before[0]["id"] and deployment["rolloutState"] == "COMPLETED"
    assert out.index("written") < out.index("completed") and value not in out + err


def test_the_cli_defaults_are_the_operations_defaults():
    from operations.commands import DEFAULT_TIMEOUTS

    assert DEFAULT_TIMEOUTS == {"redeploy": operations_ecs.REDEPLOY_SECONDS, "smoke": operations_ecs.SMOKE_SECONDS}
