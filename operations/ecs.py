"""`main.py redeploy` and `main.py smoke`: the workspace's ECS service, after a deploy.

redeploy forces a new deployment of the service (tasks restart and read their secrets again) and
waits, bounded, for its rollout: COMPLETED passes; FAILED or the time running out fails with the
reasons of the tasks that stopped. smoke runs the checks of operations/smoke_checks.py inside the
workspace, as a one-off task (see `smoke_request`). Neither prints a secret: none is read here.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from environments.litellm_config import cloud_models, local_models
from environments.workspace import Workspace
from operations.smoke_checks import EXIT_CODES

LITELLM = "litellm"  # the container name (modules/ecs_service/containers.py)
POLL_SECONDS = 10
REDEPLOY_SECONDS = 1200
SMOKE_SECONDS = 1200
# How long the checks wait inside the task for the proxy to answer (model pull and migrations first).
PROXY_START_SECONDS = 600
STOPPED_TASKS_SHOWN = 5
SMOKE_STARTED_BY = "litellm-infra-smoke"
SMOKE_FAMILY_SUFFIX = "-smoke"
SMOKE_CHECKS_VARIABLE = "LITELLM_INFRA_SMOKE_CHECKS"
SMOKE_CHECKS_SOURCE = Path(__file__).with_name("smoke_checks.py")
# What RegisterTaskDefinition takes back from a DescribeTaskDefinition answer (the rest is read-only).
REGISTER_FIELDS = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
                   "placementConstraints", "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
                   "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform",
                   "enableFaultInjection")
# The litellm container of the one-off task: the image's own entry point (docker/prod_entrypoint.sh in
# ghcr.io/berriai/litellm-non_root, which ends in `exec litellm "$@"`) with the container's usual arguments, in
# the background; the checks against 127.0.0.1 once it answers; the checks' status as the exit code.
SMOKE_SCRIPT = """\
set -u
if [ -x /app/docker/prod_entrypoint.sh ]; then /app/docker/prod_entrypoint.sh "$@" & else litellm "$@" & fi
proxy=$!
python3 -c "${SMOKE_CHECKS_VARIABLE}" {arguments}
status=$?
kill -TERM "$proxy" 2>/dev/null
wait "$proxy" 2>/dev/null
exit "$status"
"""


class OperationFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class ServiceTarget:
    cluster: str
    service: str
    region: str


def target(workspace: Workspace) -> ServiceTarget:
    """The workspace's cluster and service: both are named after its prefix (modules/ecs_service)."""
    return ServiceTarget(cluster=workspace.prefix, service=workspace.prefix, region=workspace.settings.region)


def _ecs(service: ServiceTarget, endpoint_url: str | None):
    import boto3  # only when calling AWS: validation stays fast

    return boto3.client("ecs", region_name=service.region, endpoint_url=endpoint_url)


def describe_service(ecs, service: ServiceTarget) -> dict:
    found = ecs.describe_services(cluster=service.cluster, services=[service.service])["services"]
    if not found or found[0].get("status") != "ACTIVE":
        raise OperationFailed(f"service {service.service} in cluster {service.cluster} is not active: deploy the "
                              "workspace first")
    return found[0]


def _container_lines(task: dict) -> list[str]:
    lines = []
    for container in task.get("containers", []):
        parts = [f"exit code {container['exitCode']}" if container.get("exitCode") is not None else "",
                 container.get("reason", "")]
        detail = "; ".join(part for part in parts if part)
        if detail:
            lines.append(f"    {container.get('name')}: {detail}")
    return lines


def stopped_tasks(ecs, service: ServiceTarget, deployment_id: str | None = None) -> list[str]:
    """Why the service's recent tasks stopped (those of `deployment_id` when ECS says which they are)."""
    arns = ecs.list_tasks(cluster=service.cluster, serviceName=service.service, desiredStatus="STOPPED")["taskArns"]
    if not arns:
        return ["  no stopped task of the service is listed (ECS keeps them about an hour)"]
    tasks = ecs.describe_tasks(cluster=service.cluster, tasks=arns[:100])["tasks"]
    mine = [task for task in tasks if deployment_id and task.get("startedBy") == deployment_id]
    lines = []
    for task in sorted(mine or tasks, key=lambda task: str(task.get("stoppedAt", "")), reverse=True)[
            :STOPPED_TASKS_SHOWN]:
        lines.append(f"  task {task['taskArn'].rsplit('/', 1)[-1]}: {task.get('stoppedReason') or 'no reason given'}")
        lines += _container_lines(task)
    return lines


def redeploy(service: ServiceTarget, *, timeout: float = REDEPLOY_SECONDS, endpoint_url: str | None = None,
             poll: float | None = None, clock: Callable[[], float] = time.monotonic) -> str:
    """Force a new deployment and wait until its rollout completes; OperationFailed otherwise."""
    poll = POLL_SECONDS if poll is None else poll
    ecs = _ecs(service, endpoint_url)
    describe_service(ecs, service)
    updated = ecs.update_service(cluster=service.cluster, service=service.service,
                                 forceNewDeployment=True)["service"]
    primary = [item for item in updated.get("deployments", []) if item.get("status") == "PRIMARY"]
    if not primary:
        raise OperationFailed(f"{service.service}: ECS reported no new deployment")
    deployment_id = primary[0]["id"]
    deadline = clock() + timeout
    while True:
        deployments = {item["id"]: item for item in describe_service(ecs, service).get("deployments", [])}
        deployment = deployments.get(deployment_id)
        if deployment is None:
            problem = f"deployment {deployment_id} was replaced by another one before it completed"
        elif deployment.get("rolloutState") == "COMPLETED":
            return f"{service.service}: deployment {deployment_id} completed ({deployment.get('runningCount')} running)"
        elif deployment.get("rolloutState") == "FAILED":
            problem = f"deployment {deployment_id} failed: {deployment.get('rolloutStateReason', 'no reason given')}"
        elif clock() >= deadline:
            problem = (f"deployment {deployment_id} is still {deployment.get('rolloutState')} after {timeout:g} s "
                       f"({deployment.get('runningCount')} of {deployment.get('desiredCount')} running, "
                       f"{deployment.get('failedTasks', 0)} failed)")
        else:
            time.sleep(poll)
            continue
        raise OperationFailed("\n".join([f"{service.service}: {problem}", "stopped tasks:",
                                         *stopped_tasks(ecs, service, deployment_id)]))


# --- smoke ---------------------------------------------------------------------------------------

def check_arguments(workspace: Workspace) -> list[str]:
    """What the checks must find in this workspace: its database, its Redis, its models, and one
    completion of the local model."""
    settings = workspace.settings
    arguments = ["--base-url", f"http://127.0.0.1:{settings.task.litellm.port}", "--wait", str(PROXY_START_SECONDS),
                 "--database"]
    if settings.redis is not None or settings.litellm.cache is not None:
        arguments.append("--cache")
    for model in [*local_models(workspace), *cloud_models(workspace)]:
        arguments += ["--model", model["name"]]
    if settings.task.ollama is not None:
        arguments += ["--completion-model", local_models(workspace)[0]["name"]]
    return arguments


def smoke_script(arguments: list[str]) -> str:
    """The shell script the litellm container of the one-off task runs (SMOKE_SCRIPT)."""
    return SMOKE_SCRIPT.replace("{SMOKE_CHECKS_VARIABLE}", SMOKE_CHECKS_VARIABLE).replace(
        "{arguments}", shlex.join(arguments))


def smoke_definition(described: dict, tags: list[dict], workspace: Workspace) -> dict:
    """The RegisterTaskDefinition request of the one-off task: the service's task definition as it
    is, in a family of its own, but for the litellm container's entry point (SMOKE_SCRIPT) and the
    checks' source beside its environment. ECS cannot override an entry point at RunTask, and the
    image's entry point takes only the proxy's arguments: hence this copy, deleted after the run."""
    request = {field: described[field] for field in REGISTER_FIELDS if field in described}
    request["family"] = f"{described['family']}{SMOKE_FAMILY_SUFFIX}"
    containers = []
    for container in described["containerDefinitions"]:
        if container["name"] == LITELLM:
            script = smoke_script(check_arguments(workspace))
            container = {**container, "entryPoint": ["/bin/sh", "-c", script, "smoke"],
                         "environment": [*container.get("environment", []),
                                         {"name": SMOKE_CHECKS_VARIABLE, "value": SMOKE_CHECKS_SOURCE.read_text()}]}
        containers.append(container)
    if LITELLM not in {container["name"] for container in containers}:
        raise OperationFailed(f"task definition {described['taskDefinitionArn']} has no {LITELLM} container")
    request["containerDefinitions"] = containers
    if tags:
        request["tags"] = tags
    return request


def smoke_request(service: dict, task_definition_arn: str) -> dict:
    """The RunTask request: the service's own placement (capacity providers or launch type, platform
    version, private subnets, security group, no public address), one task, tagged like its definition."""
    request: dict = {"cluster": service["clusterArn"], "taskDefinition": task_definition_arn, "count": 1,
                     "networkConfiguration": service["networkConfiguration"], "startedBy": SMOKE_STARTED_BY,
                     "propagateTags": "TASK_DEFINITION", "enableECSManagedTags": True}
    if service.get("capacityProviderStrategy"):
        request["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    else:
        request["launchType"] = service.get("launchType") or "FARGATE"
    if service.get("platformVersion"):
        request["platformVersion"] = service["platformVersion"]
    return request


def smoke(workspace: Workspace, *, timeout: float = SMOKE_SECONDS, endpoint_url: str | None = None,
          poll: float | None = None, clock: Callable[[], float] = time.monotonic) -> str:
    """Run the checks as a one-off task of the workspace and wait for it to stop; OperationFailed
    unless the litellm container exits 0."""
    poll = POLL_SECONDS if poll is None else poll
    service_target = target(workspace)
    ecs = _ecs(service_target, endpoint_url)
    service = describe_service(ecs, service_target)
    described = ecs.describe_task_definition(taskDefinition=service["taskDefinition"], include=["TAGS"])
    registered = ecs.register_task_definition(**smoke_definition(described["taskDefinition"],
                                                                 described.get("tags", []), workspace))
    arn = registered["taskDefinition"]["taskDefinitionArn"]
    try:
        started = ecs.run_task(**smoke_request(service, arn))
        if not started.get("tasks"):
            reasons = "; ".join(f"{item.get('arn', '')} {item.get('reason', '')}".strip()
                                for item in started.get("failures", []))
            raise OperationFailed(f"{workspace.prefix}: the smoke task did not start: {reasons or 'no reason given'}")
        task_arn = started["tasks"][0]["taskArn"]
        deadline = clock() + timeout
        while True:
            task = ecs.describe_tasks(cluster=service_target.cluster, tasks=[task_arn])["tasks"][0]
            if task.get("lastStatus") == "STOPPED":
                break
            if clock() >= deadline:
                ecs.stop_task(cluster=service_target.cluster, task=task_arn,
                              reason=f"main.py smoke gave up after {timeout:g} s")
                raise OperationFailed(f"{workspace.prefix}: the smoke task was still {task.get('lastStatus')} after "
                                      f"{timeout:g} s; stopped it")
            time.sleep(poll)
    finally:
        ecs.deregister_task_definition(taskDefinition=arn)
        ecs.delete_task_definitions(taskDefinitions=[arn])
    return report(workspace, task)


def report(workspace: Workspace, task: dict) -> str:
    """What the stopped smoke task says: the checks' exit code, else why ECS stopped it."""
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    litellm = next((item for item in task.get("containers", []) if item.get("name") == LITELLM), {})
    code = litellm.get("exitCode")
    lines = [f"{workspace.prefix}: smoke task {task_id} stopped: {task.get('stoppedReason') or 'no reason given'}",
             *_container_lines(task)]
    if code == 0:
        return "\n".join([*lines, f"{workspace.prefix}: every smoke check passed"])
    failed = {value: name for name, value in EXIT_CODES.items()}.get(code)
    lines.append(f"{workspace.prefix}: smoke check {failed!r} failed (litellm exit code {code}); its log group "
                 f"{workspace.log_group_name(LITELLM)} says why" if failed else
                 f"{workspace.prefix}: the checks did not finish (litellm exit code {code}, "
                 f"{litellm.get('reason') or 'no container reason'})")
    raise OperationFailed("\n".join(lines))
