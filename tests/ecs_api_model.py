"""Check a synthesized task definition against AWS's own ECS API model (botocore), and against
the Fargate constraints, before anything is sent to AWS."""

from __future__ import annotations

import json

import botocore.session
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator

from environments import limits

FARGATE_LOG_DRIVERS = {"awslogs", "splunk", "awsfirelens"}
# Fargate rejects these container settings outright.
FARGATE_UNSUPPORTED = {"links", "hostname", "dockerSecurityOptions", "extraHosts", "privileged", "volumesFrom"}


def ecs_model():
    return botocore.session.get_session().get_service_model("ecs")


def register_request(task_definition: dict) -> dict:
    """The RegisterTaskDefinition request the AWS provider sends for a synthesized
    aws_ecs_task_definition (Terraform snake_case -> API camelCase)."""
    request = {
        "family": task_definition["family"],
        "containerDefinitions": json.loads(task_definition["container_definitions"]),
        "cpu": task_definition["cpu"],
        "memory": task_definition["memory"],
        "networkMode": task_definition["network_mode"],
        "requiresCompatibilities": task_definition["requires_compatibilities"],
        "executionRoleArn": task_definition["execution_role_arn"],
        "taskRoleArn": task_definition["task_role_arn"],
        "runtimePlatform": {
            "operatingSystemFamily": task_definition["runtime_platform"]["operating_system_family"],
            "cpuArchitecture": task_definition["runtime_platform"]["cpu_architecture"],
        },
    }
    volumes = []
    for volume in task_definition.get("volume", []):
        entry: dict = {"name": volume["name"]}
        efs = volume.get("efs_volume_configuration")
        if efs:
            entry["efsVolumeConfiguration"] = {
                "fileSystemId": efs["file_system_id"],
                "transitEncryption": efs["transit_encryption"],
                "authorizationConfig": {
                    "accessPointId": efs["authorization_config"]["access_point_id"],
                    "iam": efs["authorization_config"]["iam"],
                },
            }
        volumes.append(entry)
    if volumes:
        request["volumes"] = volumes
    if "ephemeral_storage" in task_definition:
        request["ephemeralStorage"] = {"sizeInGiB": task_definition["ephemeral_storage"]["size_in_gib"]}
    return request


def _enum_errors(value: object, shape: Shape, where: str) -> list[str]:
    """botocore's validator does not check enum values; walk the shape and do it here."""
    errors = []
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        errors.append(f"{where}: {value!r} is not one of {enum}")
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                errors += _enum_errors(item, shape.members[key], f"{where}.{key}")
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for index, item in enumerate(value):
            errors += _enum_errors(item, shape.member, f"{where}[{index}]")
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            errors += _enum_errors(item, shape.value, f"{where}[{key}]")
    return errors


def api_model_errors(request: dict) -> list[str]:
    shape = ecs_model().operation_model("RegisterTaskDefinition").input_shape
    report = ParamValidator().validate(request, shape)
    errors = [line for line in report.generate_report().splitlines() if line.strip()] if report.has_errors() else []
    return errors + _enum_errors(request, shape, "request")


def fargate_errors(request: dict) -> list[str]:
    errors = []
    cpu, memory = int(request["cpu"]), int(request["memory"])
    if memory not in limits.FARGATE_TASK_MEMORY.get(cpu, ()):
        errors.append(f"task cpu {cpu} / memory {memory} is not a Fargate size")
    if request["networkMode"] != "awsvpc" or request["requiresCompatibilities"] != ["FARGATE"]:
        errors.append("Fargate tasks use networkMode awsvpc and FARGATE compatibility")
    containers = request["containerDefinitions"]
    if sum(c.get("cpu", 0) for c in containers) > cpu:
        errors.append("container cpu reservations exceed the task cpu")
    if sum(c.get("memory", 0) for c in containers) > memory:
        errors.append("container memory limits exceed the task memory")
    for container in containers:
        name = container["name"]
        errors += [f"{name}: {key} is not supported on Fargate" for key in FARGATE_UNSUPPORTED & set(container)]
        timeouts = (("startTimeout", limits.FARGATE_START_TIMEOUT), ("stopTimeout", limits.FARGATE_STOP_TIMEOUT))
        for key, bounds in timeouts:
            if key in container and not bounds[0] <= container[key] <= bounds[1]:
                errors.append(f"{name}: {key} {container[key]} outside {bounds}")
        check = container.get("healthCheck")
        if check:
            for key, bounds in (("interval", limits.HEALTH_CHECK_INTERVAL), ("timeout", limits.HEALTH_CHECK_TIMEOUT),
                                ("retries", limits.HEALTH_CHECK_RETRIES),
                                ("startPeriod", limits.HEALTH_CHECK_START_PERIOD)):
                if not bounds[0] <= check[key] <= bounds[1]:
                    errors.append(f"{name}: healthCheck.{key} {check[key]} outside {bounds}")
            if check["timeout"] >= check["interval"]:
                errors.append(f"{name}: healthCheck timeout must be shorter than the interval")
            if check["command"][0] not in {"CMD", "CMD-SHELL"}:
                errors.append(f"{name}: healthCheck command must start with CMD or CMD-SHELL")
        for mapping in container.get("portMappings", []):
            if mapping.get("hostPort", mapping["containerPort"]) != mapping["containerPort"]:
                errors.append(f"{name}: awsvpc needs hostPort == containerPort")
        driver = container.get("logConfiguration", {}).get("logDriver")
        if driver not in FARGATE_LOG_DRIVERS:
            errors.append(f"{name}: log driver {driver!r} is not available on Fargate")
        added = container.get("linuxParameters", {}).get("capabilities", {}).get("add", [])
        if set(added) - {"SYS_PTRACE"}:
            errors.append(f"{name}: Fargate only allows adding SYS_PTRACE")
    if "ephemeralStorage" in request:
        low, high = limits.FARGATE_EPHEMERAL_STORAGE_GIB
        if not low <= request["ephemeralStorage"]["sizeInGiB"] <= high:
            errors.append("ephemeral storage outside Fargate's range")
    return errors
