"""moto in server mode on 127.0.0.1, on a port of its own, for Terraform to talk to.

Gaps of moto 5.2.5 are filled in this process (the one running the server), each by storing
what a call receives and returning it, the way AWS does - nothing is validated or invented:

- Application Auto Scaling has no TagResource, UntagResource or ListTagsForResource, and
  RegisterScalableTarget drops its Tags; hashicorp/aws retries the missing calls until it times
  out (every scalable target is tagged through default_tags).
- When it enforces IAM (here: for the access keys given to `enforce_iam`), moto authorizes a request against the
  resource its handler names through `_determine_resource` (IAM, STS, SQS and S3 do); DynamoDB
  names none, so an Allow on a table ARN never matched. DynamoDB requests carry TableName:
  they are authorized against that table's ARN, as AWS does; IAM requests on a managed policy
  against its PolicyArn.
- moto names an action after the request's SigV4 signing name, which for CloudWatch is
  `monitoring`; IAM calls it `cloudwatch`. It authorizes S3's HeadBucket and HeadObject as
  themselves; IAM knows them as s3:ListBucket and s3:GetObject. Its signature check also fails every EFS request (REST
  paths), valid or not. With IAM enforced, actions get IAM's prefix and signatures are not
  checked: these tests prove what a principal's policies allow, the access key still names it.
- ElastiCache ModifyReplicationGroup drops AuthToken and AuthTokenUpdateStrategy (how
  `main.py redis-auth` turns AUTH on); the group keeps them, as AWS does.
- Step Functions has no ValidateStateMachineDefinition, which hashicorp/aws calls while planning
  an `aws_sfn_state_machine`; it is answered by moto's own ASL parser (the one its executions
  use): OK when the definition parses, FAIL with the parser's message otherwise. Nor has it
  ListStateMachineVersions, which the provider calls on every read (and retries until the apply
  times out): it lists the versions moto keeps for the state machine.
- EFS has no PutBackupPolicy (an `aws_efs_backup_policy`: the provider waits for ever) and
  DescribeBackupPolicy only tells whether the file system was created with Backup: the policy
  PutBackupPolicy receives is stored per file system and DescribeBackupPolicy returns it. Nor
  has EFS DeleteFileSystemPolicy (destroying an `aws_efs_file_system_policy` hangs): it removes
  the policy PutFileSystemPolicy stored.
- ECS CreateService drops capacityProviderStrategy, healthCheckGracePeriodSeconds,
  enableECSManagedTags and availabilityZoneRebalancing and reports launchType EC2; the provider
  then plans to replace the service on every run.
- ECS UpdateService(forceNewDeployment) only renames the service's one deployment, which keeps
  the rolloutState it had; AWS starts a new PRIMARY deployment (IN_PROGRESS) and keeps the old one
  ACTIVE until the new one completes. moto has no scheduler, so nothing ever ends a rollout or
  stops a task: `settle_deployment` and `stop_task` are what ECS would do, called by the test.
- moto's tasks end on their first description (its state manager's default for ecs::task); AWS
  tasks run until they stop: here they stay RUNNING until `stop_task`.
- A moto task has one container, built from the first container definition, with exit code 0 and
  no reason; AWS reports every container of the task, each with its own exit code and reason.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

LOOPBACK = "127.0.0.1"


def teach_autoscaling_tags() -> None:
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    if getattr(ApplicationAutoScalingResponse, "_litellm_infra_tags", False):
        return
    tags_by_arn: dict[str, dict[str, str]] = {}

    def tag_resource(self) -> str:
        tags_by_arn.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self) -> str:
        tags = tags_by_arn.setdefault(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    def list_tags_for_resource(self) -> str:
        return json.dumps({"Tags": tags_by_arn.get(self._get_param("ResourceARN"), {})})

    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self) -> str:
        response = register(self)
        arn = json.loads(response)["ScalableTargetARN"]
        tags_by_arn.setdefault(arn, {}).update(self._get_param("Tags") or {})
        return response

    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    ApplicationAutoScalingResponse._litellm_infra_tags = True


# CreateService parameter -> attribute of moto's Service, which the response serializer reads.
ECS_SERVICE_SETTINGS = {
    "capacityProviderStrategy": "capacity_provider_strategy",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
}


def teach_ecs_service_settings() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    if getattr(EC2ContainerServiceResponse, "_litellm_infra_settings", False):
        return
    create = EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = create(self)
        service = result.result["service"]
        for parameter, attribute in ECS_SERVICE_SETTINGS.items():
            value = self._get_param(parameter)
            if value is not None:
                setattr(service, attribute, value)
        if self._get_param("capacityProviderStrategy") and not self._get_param("launchType"):
            service.launch_type = None  # AWS reports no launch type for capacity-provider services
        return result

    EC2ContainerServiceResponse.create_service = create_service
    EC2ContainerServiceResponse._litellm_infra_settings = True


def teach_state_machine_validation() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.responses import StepFunctionResponse

    if getattr(StepFunctionResponse, "_litellm_infra_validation", False):
        return

    def validate_state_machine_definition(self) -> ActionResult:
        try:
            AmazonStateLanguageParser.parse(self._get_param("definition"))
        except Exception as error:  # the parser's own exceptions, whatever their class
            return ActionResult({"result": "FAIL", "diagnostics": [
                {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": str(error)}]})
        return ActionResult({"result": "OK", "diagnostics": []})

    def list_state_machine_versions(self) -> ActionResult:
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        return ActionResult({"stateMachineVersions": [
            {"stateMachineVersionArn": version.arn, "creationDate": version.creation_date}
            for _, version in sorted(machine.versions.items(), reverse=True)]})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition
    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions
    StepFunctionResponse._litellm_infra_validation = True


def teach_ecs_deployments() -> None:
    import copy

    from moto.ecs.models import Container, Task, mock_random, utcnow
    from moto.ecs.responses import EC2ContainerServiceResponse

    if getattr(EC2ContainerServiceResponse, "_litellm_infra_deployments", False):
        return
    update = EC2ContainerServiceResponse.update_service

    def update_service(self):
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                                self._get_param("service").split("/")[-1])
        before = [dict(deployment) for deployment in service.deployments]
        result = update(self)
        if self._get_param("forceNewDeployment") and before:
            new = copy.deepcopy(before[0])
            now = utcnow()
            new.update(id=f"ecs-svc/{mock_random.randint(0, 32**12)}", status="PRIMARY", rolloutState="IN_PROGRESS",
                       rolloutStateReason="ECS deployment in progress.", runningCount=0, failedTasks=0,
                       createdAt=now, updatedAt=now, taskDefinition=service.task_definition)
            service.deployments = [new, *[{**old, "status": "ACTIVE"} for old in before]]
        return result

    initialise = Task.__init__

    def task_init(self, cluster, task_definition, *args, **kwargs) -> None:
        initialise(self, cluster, task_definition, *args, **kwargs)
        self.containers = []
        for definition in task_definition.container_definitions:
            container = Container(task_definition)
            container.name, container.image = definition.get("name"), definition.get("image")
            self.containers.append(container)

    from moto.moto_api import state_manager

    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
    EC2ContainerServiceResponse.update_service = update_service
    Task.__init__ = task_init
    EC2ContainerServiceResponse._litellm_infra_deployments = True


def _ecs_backend(region: str):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ecs.models import ecs_backends

    return ecs_backends[DEFAULT_ACCOUNT_ID][region]


def settle_deployment(region: str, cluster: str, service: str, state: str, reason: str = "") -> None:
    """What ECS does when the newest deployment of a service ends: COMPLETED or FAILED."""
    found = _ecs_backend(region)._get_service(cluster, service)
    deployment = found.deployments[0]
    deployment.update(rolloutState=state, rolloutStateReason=reason or f"ECS deployment {deployment['id']} "
                      f"{state.lower()}.", runningCount=found.desired_count if state == "COMPLETED" else 0)
    if state == "COMPLETED":
        found.deployments = [deployment]


def stop_task(region: str, task_arn: str, reason: str, containers: dict[str, tuple[int | None, str]]) -> None:
    """What ECS does when a task stops: its stopped reason, and each container's exit code and reason."""
    for tasks in _ecs_backend(region).tasks.values():
        if task_arn in tasks:
            task = tasks[task_arn]
            task.desired_status, task.stopped_reason, task.status = "STOPPED", reason, "STOPPED"
            task._status = "STOPPED"  # moto's state manager (see teach_ecs_deployments)
            for container in task.containers:
                code, why = containers.get(container.name, (None, ""))
                container.exitCode, container.exit_code, container.reason = code, code, why
                container.last_status = "STOPPED"
            return
    raise KeyError(task_arn)


def teach_efs_policies() -> None:
    from moto.efs.responses import EFSResponse

    if getattr(EFSResponse, "_litellm_infra_policies", False):
        return
    backup_policies: dict[tuple[str, str, str], dict] = {}  # (account, region, file system) -> BackupPolicy
    describe = EFSResponse.describe_backup_policy

    def key(self) -> tuple[str, str, str]:
        return self.current_account, self.region, self._get_param("FileSystemId")

    def put_backup_policy(self):
        self.efs_backend.describe_file_systems(file_system_id=self._get_param("FileSystemId"))  # 404 when unknown
        backup_policies[key(self)] = dict(self._get_param("BackupPolicy"))
        return json.dumps({"BackupPolicy": backup_policies[key(self)]}), {"Content-Type": "application/json"}

    def describe_backup_policy(self):
        if key(self) in backup_policies:
            return json.dumps({"BackupPolicy": backup_policies[key(self)]}), {"Content-Type": "application/json"}
        return describe(self)

    def delete_file_system_policy(self):
        _, (file_system,) = self.efs_backend.describe_file_systems(file_system_id=self._get_param("FileSystemId"))
        file_system.file_system_policy = None
        return "{}", {"status": 200, "Content-Type": "application/json"}

    EFSResponse.put_backup_policy = put_backup_policy
    EFSResponse.describe_backup_policy = describe_backup_policy
    EFSResponse.delete_file_system_policy = delete_file_system_policy
    EFSResponse._litellm_infra_policies = True


def teach_elasticache_auth_token() -> None:
    from moto.elasticache.models import utcnow
    from moto.elasticache.responses import ElastiCacheResponse

    if getattr(ElastiCacheResponse, "_litellm_infra_auth", False):
        return
    modify = ElastiCacheResponse.modify_replication_group

    def modify_replication_group(self):
        result = modify(self)
        token = self._get_param("AuthToken")
        if token is not None:
            group = result.result["ReplicationGroup"]
            group.auth_token, group.auth_token_enabled = token, True
            group.auth_token_last_modified_date = utcnow()
            group.auth_token_update_strategy = self._get_param("AuthTokenUpdateStrategy")
        return result

    ElastiCacheResponse.modify_replication_group = modify_replication_group
    ElastiCacheResponse._litellm_infra_auth = True


def teach_dynamodb_table_resource() -> None:
    from moto.dynamodb.responses import DynamoHandler

    if hasattr(DynamoHandler, "_determine_resource"):
        return

    def determine_resource(self) -> str:
        body = self.body if isinstance(self.body, dict) else json.loads(self.body or "{}")  # parsed by moto
        table = body.get("TableName")
        return f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{table}" if table else "*"

    DynamoHandler._determine_resource = determine_resource

    # IAM names a role's resource already; a request on a managed policy names that policy.
    from moto.iam.responses import IamResponse

    role_resource = IamResponse._determine_resource

    def iam_resource(self) -> str:
        found = role_resource(self)
        if found == "*" and self.data.get("PolicyArn"):
            return self.data["PolicyArn"][0]
        return found

    IamResponse._determine_resource = iam_resource


# SigV4 signing name -> IAM action prefix, where they differ (for the services the stacks use).
IAM_PREFIXES = {"monitoring": "cloudwatch"}
# Requests moto names after the API call that IAM authorizes under another action.
IAM_ACTIONS = {"s3:HeadBucket": "s3:ListBucket", "s3:HeadObject": "s3:GetObject"}


def iam_action(signing_name: str, action: str) -> str:
    found = f"{IAM_PREFIXES.get(signing_name, signing_name)}:{action}"
    return IAM_ACTIONS.get(found, found)


def teach_iam_enforcement() -> None:
    from moto.iam.access_control import IAMRequestBase

    if getattr(IAMRequestBase, "_litellm_infra_iam", False):
        return
    initialise = IAMRequestBase.__init__

    def __init__(self, *args, **kwargs) -> None:
        initialise(self, *args, **kwargs)
        service, action = self._action.split(":", 1)
        self._action = iam_action(service, action)

    IAMRequestBase.__init__ = __init__
    IAMRequestBase.check_signature = lambda self: None
    IAMRequestBase._litellm_infra_iam = True


def credential_scope(headers) -> list[str]:
    """A SigV4 request's credential: [access key, date, region, service, "aws4_request"] ([] if unsigned)."""
    credential = headers.get("Authorization", "").partition("Credential=")[2]
    return credential.split(",")[0].split("/") if credential else []


def signing_key(headers) -> str | None:
    """The access key a SigV4 request is signed with."""
    return next(iter(credential_scope(headers)), None)


# Access keys whose every request moto authorizes against the key's IAM policies (enforce_iam): the
# plan roles' users and their control. moto's own switch (INITIAL_NO_AUTH_ACTION_COUNT) is global, and
# every other client at work meanwhile (the stacks' applies, boto3 reads) would need an IAM identity too.
_enforced_keys: set[str] = set()


def enforce_iam(access_key: str) -> None:
    _enforced_keys.add(access_key)


def teach_per_key_enforcement() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin

    if getattr(ActionAuthenticatorMixin, "_litellm_infra_per_key", False):
        return
    authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authorize_enforced_keys(self, iam_request_cls, resource: str = "*") -> None:
        if signing_key(self.headers) not in _enforced_keys:
            return authorize(self, iam_request_cls, resource)
        # moto's own enforced branch (core/authorization.py), for this request alone.
        if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
            return None
        query = urlparse(self.uri).query
        iam_request = iam_request_cls(account_id=self.current_account, method=self.method,
                                      path=self.raw_path + (f"?{query}" if query else ""), data=self.data,
                                      body=self.raw_body, headers=self.headers, action=self._get_action())
        iam_request.check_signature()
        iam_request.check_action_permitted(resource)
        return None

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize_enforced_keys
    ActionAuthenticatorMixin._litellm_infra_per_key = True


# Every request moto receives, as (IAM action, resource moto authorizes it against), for the
# `recording` blocks that are open: (access key they listen for, calls).
_recordings: list[tuple[str | None, list[tuple[str, str]]]] = []


def teach_recording() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin

    if getattr(ActionAuthenticatorMixin, "_litellm_infra_recording", False):
        return
    authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def record(self, iam_request_cls, resource: str = "*") -> None:
        scope = credential_scope(self.headers)
        if scope and _recordings:
            action = self._get_action()
            action = action[0] if isinstance(action, list) else action
            access_key, service = scope[0], scope[3]
            for listens_for, calls in _recordings:
                if listens_for in (None, access_key):
                    calls.append((iam_action(service, action), resource))
        return authorize(self, iam_request_cls, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = record
    ActionAuthenticatorMixin._litellm_infra_recording = True


@contextmanager
def recording(access_key: str | None = None) -> Iterator[list[tuple[str, str]]]:
    """The (IAM action, resource) of every request the server receives inside the block (only
    those signed with `access_key`, when given: other clients may be at work meanwhile)."""
    calls: list[tuple[str, str]] = []
    entry = (access_key, calls)
    _recordings.append(entry)
    try:
        yield calls
    finally:
        _recordings.remove(entry)


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto on 127.0.0.1 and a free port; yield its URL; stop it afterwards."""
    # AWS managed policies (AmazonRDSEnhancedMonitoringRole) must exist for attachments to work.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from moto.server import ThreadedMotoServer

    teach_autoscaling_tags()
    teach_ecs_service_settings()
    teach_state_machine_validation()
    teach_ecs_deployments()
    teach_elasticache_auth_token()
    teach_efs_policies()
    teach_dynamodb_table_resource()
    teach_iam_enforcement()
    teach_per_key_enforcement()
    teach_recording()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        assert host == LOOPBACK, host
        # moto keeps its accounts in the process: a server started after another one in the same test
        # worker would find that one's tables, keys and roles. Each starts empty, as an account would.
        request = urllib.request.Request(f"http://{LOOPBACK}:{port}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.stop()
