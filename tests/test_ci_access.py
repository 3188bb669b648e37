"""The CI roles' policies (modules/ci_access/policies.py), evaluated by an IAM policy simulator:
what each role can and cannot do, per stack group, with the conditions and NotResource
statements AWS evaluates and moto does not. Every expectation below could fail: each allowed
case is the near neighbour of a refused one."""

from __future__ import annotations

import json

import pytest

from environments.loader import load_environments
from modules.ci_access import policies
from modules.ci_access.boundary import boundary_policy
from modules.ci_access.policies import Arns, StackGroup
from tests.conftest import ROOT
from tests.iam_simulator import ALLOWED, Request, aws_managed_policy, decide

pytestmark = pytest.mark.tools

ENVIRONMENTS = load_environments()
PROJECT = ENVIRONMENTS.project
ACCOUNT = PROJECT.aws_account_id
GROUPS = {group.name: group for group in policies.stack_groups(ENVIRONMENTS)}
ARNS = Arns(PROJECT)
BUCKET = PROJECT.state.bucket
REGION = "eu-west-1"
MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def others(name: str) -> list[StackGroup]:
    return [group for other, group in GROUPS.items() if other != name]


def plan_identity(name: str) -> tuple:
    return (("plan", policies.plan_policy(GROUPS[name], others(name))),
            ("ViewOnlyAccess", aws_managed_policy("ViewOnlyAccess")))


def deploy_identity(name: str) -> tuple:
    return (("deploy", policies.deploy_policy(GROUPS[name], others(name))),)


def key(aliases: list[str], **extra) -> dict:
    return {"kms:ResourceAliases": aliases, **extra}


def state(path: str) -> str:
    return f"arn:aws:s3:::{BUCKET}/litellm/{path}"


def role(path: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/litellm/{path}"


def boundary(name: str) -> str:
    return ARNS.boundary(GROUPS[name])


KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOCKS = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{PROJECT.state.lock_table}"
TAGGED = {"dev": {"aws:ResourceTag/Workspace": "dev"}, "prod": {"aws:ResourceTag/Workspace": "prod"}}

# (case, role, group, action, resource, context, allowed?)
PLAN_CASES = [
    ("reads its own state", "dev", "s3:GetObject", state("dev/terraform.tfstate"), {}, True),
    ("not another workspace's state", "dev", "s3:GetObject", state("prod/terraform.tfstate"), {}, False),
    ("not the look-alike dev-ci state", "dev", "s3:GetObject", state("dev-ci/terraform.tfstate"), {}, False),
    ("not its own secrets stack's state", "dev", "s3:GetObject", state("dev/secrets.tfstate"), {}, False),
    ("writes no state", "dev", "s3:PutObject", state("dev/terraform.tfstate"), {}, False),
    ("no other bucket's objects", "dev", "s3:GetObject", "arn:aws:s3:::litellm-dev-alb-logs-x/AWSLogs/1", {}, False),
    ("HeadObject of its config object", "dev", "s3:GetObject", "arn:aws:s3:::litellm-dev-config-x/litellm/config.yaml",
     {}, True),
    ("no parameter value", "dev", "ssm:GetParameter",
     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/litellm/dev/litellm/master_key", {}, False),
    ("no parameter values in bulk", "dev", "ssm:GetParametersByPath",
     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/litellm/dev", {}, False),
    ("no secret value", "dev", "secretsmanager:GetSecretValue",
     f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-1234-AbCdEf", {}, False),
    ("no log events (prompts)", "dev", "logs:GetLogEvents",
     f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/litellm/dev/litellm:log-stream:x", {}, False),
    ("decrypts with its state key", "dev", "kms:Decrypt", KEY, key(["alias/litellm-state-dev"]), True),
    ("not with the secrets key", "dev", "kms:Decrypt", KEY, key(["alias/litellm-dev-secrets"]), False),
    ("not with another group's state key", "dev", "kms:Decrypt", KEY, key(["alias/litellm-state-prod"]), False),
    ("lock key through DynamoDB", "dev", "kms:Decrypt", KEY,
     key(["alias/litellm-terraform-state"], **{"kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"}), True),
    ("lock key not directly", "dev", "kms:Decrypt", KEY, key(["alias/litellm-terraform-state"]), False),
    ("takes its own lock", "dev", "dynamodb:PutItem", LOCKS,
     {"dynamodb:LeadingKeys": [f"{BUCKET}/litellm/dev/terraform.tfstate"]}, True),
    ("not another stack's lock", "dev", "dynamodb:PutItem", LOCKS,
     {"dynamodb:LeadingKeys": [f"{BUCKET}/litellm/prod/terraform.tfstate"]}, False),
    ("describes everything", "dev", "ec2:DescribeVpcs", "*", {}, True),
    ("reads role definitions", "dev", "iam:GetRole", role("dev/litellm-dev-task"), {}, True),
    ("cannot touch CI roles", "dev", "iam:UpdateAssumeRolePolicy", role("ci/litellm-ci-plan-dev"), {}, False),
    ("changes nothing", "dev", "ecs:UpdateService", f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/litellm-dev/x",
     TAGGED["dev"], False),
    ("no item of another table", "dev", "dynamodb:GetItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/app-users",
     {}, False),
    ("no scan of the lock table", "dev", "dynamodb:Scan", LOCKS, {}, False),
    ("no function's code or environment", "dev", "lambda:GetFunction",
     f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:billing", {}, False),
    ("no image layers", "dev", "ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/litellm/litellm", {},
     False),
    ("no database log", "dev", "rds:DownloadDBLogFilePortion",
     f"arn:aws:rds:{REGION}:{ACCOUNT}:db:litellm-dev-postgres", {}, False),
    ("no console output", "dev", "ec2:GetConsoleOutput", f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0123456789abcdef0",
     {}, False),
    ("refreshes its file system policy", "dev", "elasticfilesystem:DescribeFileSystemPolicy",
     f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/fs-12345678", {}, True),
    ("refreshes its alarm topic", "dev", "sns:GetTopicAttributes", f"arn:aws:sns:{REGION}:{ACCOUNT}:litellm-dev-alarms",
     {}, True),
    ("refreshes its web ACL", "dev", "wafv2:GetWebACL",
     f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/litellm-dev/1234", {}, True),
    ("describes the lock table", "dev", "dynamodb:DescribeTable", LOCKS, {}, True),
    ("sees whether its Redis requires AUTH (drift)", "dev", "elasticache:DescribeReplicationGroups",
     f"arn:aws:elasticache:{REGION}:{ACCOUNT}:replicationgroup:litellm-dev-redis", {}, True),
    ("shared reads its own state", "shared", "s3:GetObject", state("shared/terraform.tfstate"), {}, True),
    ("shared reads no workspace state", "shared", "s3:GetObject", state("dev/terraform.tfstate"), {}, False),
]

STATE_BUCKET = f"arn:aws:s3:::{BUCKET}"
STATE_KEY = key(["alias/litellm-state-dev"], **{"aws:ResourceTag/TrustRoot": "true"})
LOCK_KEY = key(["alias/litellm-terraform-state"], **{"aws:ResourceTag/TrustRoot": "true"})
OWN_DATABASE_SECRET = {
    "aws:ResourceTag/aws:rds:primaryDBInstanceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:litellm-dev-postgres"}
DATABASE_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-1234-AbCdEf"
# The trust root (bootstrap stack): each denial beside the near neighbour that stays allowed. Both kinds of
# CI role, every group: (case, group, action, resource, context, allowed?).
TRUST_ROOT_CASES = [
    ("lists the state bucket", "dev", "s3:ListBucket", STATE_BUCKET, {}, True),
    ("no lifecycle rule on the state bucket", "dev", "s3:PutLifecycleConfiguration", STATE_BUCKET, {}, False),
    ("no bucket policy", "dev", "s3:PutBucketPolicy", STATE_BUCKET, {}, False),
    ("versioning stays on", "dev", "s3:PutBucketVersioning", STATE_BUCKET, {}, False),
    ("encryption stays", "dev", "s3:PutEncryptionConfiguration", STATE_BUCKET, {}, False),
    ("no replication elsewhere", "dev", "s3:PutReplicationConfiguration", STATE_BUCKET, {}, False),
    ("public access stays blocked", "dev", "s3:PutBucketPublicAccessBlock", STATE_BUCKET, {}, False),
    ("the bucket stays", "dev", "s3:DeleteBucket", STATE_BUCKET, {}, False),
    ("no ACL on a state object", "dev", "s3:PutObjectAcl", state("dev/terraform.tfstate"), {}, False),
    ("no version of its own state erased", "dev", "s3:DeleteObjectVersion", state("dev/terraform.tfstate"), {}, False),
    ("the lock table stays", "dev", "dynamodb:DeleteTable", LOCKS, {}, False),
    ("its backups stay", "dev", "dynamodb:UpdateContinuousBackups", LOCKS, {}, False),
    ("its settings stay", "dev", "dynamodb:UpdateTable", LOCKS, {}, False),
    ("shared: no lifecycle rule either", "shared", "s3:PutLifecycleConfiguration", STATE_BUCKET, {}, False),
    ("no deletion of its own state key", "dev", "kms:ScheduleKeyDeletion", KEY, STATE_KEY, False),
    ("no key policy", "dev", "kms:PutKeyPolicy", KEY, STATE_KEY, False),
    ("no disabling", "dev", "kms:DisableKey", KEY, STATE_KEY, False),
    ("rotation stays on", "dev", "kms:DisableKeyRotation", KEY, STATE_KEY, False),
    ("no grant", "dev", "kms:CreateGrant", KEY, STATE_KEY, False),
    ("no tag removed", "dev", "kms:UntagResource", KEY, {**STATE_KEY, "aws:TagKeys": ["TrustRoot"]}, False),
    ("no deletion of the lock key", "dev", "kms:ScheduleKeyDeletion", KEY, LOCK_KEY, False),
    ("the lock key's policy stays", "shared", "kms:PutKeyPolicy", KEY, LOCK_KEY, False),
    ("the alias stays", "dev", "kms:DeleteAlias", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/litellm-state-dev", {},
     False),
    ("no look-alike alias", "dev", "kms:CreateAlias", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/litellm-state-x",
     {"kms:ResourceAliases": ["alias/litellm-dev"], "aws:ResourceTag/Workspace": "dev"}, False),
    ("no TrustRoot tag on its own resources", "dev", "ec2:CreateTags", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-1",
     {"aws:TagKeys": ["TrustRoot"], "aws:RequestTag/TrustRoot": "true", **TAGGED["dev"]}, False),
]
# Deploy roles keep using what they hold (the plan roles only read: their own neighbours are in PLAN_CASES).
TRUST_ROOT_NEIGHBOURS = [
    ("writes its own state object", "dev", "s3:PutObject", state("dev/terraform.tfstate"), {}, True),
    ("takes its own lock", "dev", "dynamodb:PutItem", LOCKS,
     {"dynamodb:LeadingKeys": [f"{BUCKET}/litellm/dev/terraform.tfstate"]}, True),
    ("encrypts with its own state key", "dev", "kms:GenerateDataKey", KEY, STATE_KEY, True),
    ("uses the lock key through DynamoDB", "dev", "kms:GenerateDataKey", KEY,
     {**LOCK_KEY, "kms:ViaService": "dynamodb.eu-west-1.amazonaws.com"}, True),
]
SERVICE = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/litellm-x/litellm-x"


def MACHINE(name: str) -> str:  # noqa: N802 - reads like the constants around it
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:litellm-{name}-password-roll"


def OWN_SERVICE(name: str) -> str:  # noqa: N802
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/litellm-{name}/litellm-{name}"

ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
DEPLOY_CASES = [
    ("writes its own state", "dev", "s3:PutObject", state("dev/terraform.tfstate"), {}, True),
    ("writes its secrets stack's state", "dev", "s3:PutObject", state("dev/secrets.tfstate"), {}, True),
    ("not another workspace's state", "dev", "s3:GetObject", state("prod/terraform.tfstate"), {}, False),
    ("not the look-alike dev-ci state", "dev", "s3:GetObject", state("dev-ci/terraform.tfstate"), {}, False),
    ("its own lock items", "dev", "dynamodb:PutItem", LOCKS,
     {"dynamodb:LeadingKeys": [f"{BUCKET}/litellm/dev/secrets.tfstate"]}, True),
    ("creates a role with its boundary", "dev", "iam:CreateRole", role("dev/litellm-dev-task"),
     {"iam:PermissionsBoundary": boundary("dev")}, True),
    ("not an unbounded role", "dev", "iam:CreateRole", role("dev/litellm-dev-task"), {}, False),
    ("not a role bounded by another workspace's boundary", "dev", "iam:CreateRole", role("dev/litellm-dev-task"),
     {"iam:PermissionsBoundary": boundary("prod")}, False),
    ("not a role under dev-ci's path", "dev", "iam:CreateRole", role("dev-ci/litellm-dev-ci-task"),
     {"iam:PermissionsBoundary": boundary("dev-ci")}, False),
    ("not a role outside its path", "dev", "iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/litellm-dev-admin",
     {"iam:PermissionsBoundary": boundary("dev")}, False),
    ("inline policy on a bounded role", "dev", "iam:PutRolePolicy", role("dev/litellm-dev-task"),
     {"iam:PermissionsBoundary": boundary("dev")}, True),
    ("no inline policy on an unbounded role", "dev", "iam:PutRolePolicy", role("dev/litellm-dev-task"), {}, False),
    ("attaches the monitoring policy", "dev", "iam:AttachRolePolicy", role("dev/litellm-dev-postgres-monitoring"),
     {"iam:PermissionsBoundary": boundary("dev"), "iam:PolicyARN": MONITORING_POLICY}, True),
    ("not AdministratorAccess", "dev", "iam:AttachRolePolicy", role("dev/litellm-dev-postgres-monitoring"),
     {"iam:PermissionsBoundary": boundary("dev"), "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"},
     False),
    ("cannot remove a boundary", "dev", "iam:DeleteRolePermissionsBoundary", role("dev/litellm-dev-task"), {},
     False),
    ("cannot change its own trust policy", "dev", "iam:UpdateAssumeRolePolicy", role("ci/litellm-ci-deploy-dev"),
     {}, False),
    ("cannot change its own policy", "dev", "iam:PutRolePolicy", role("ci/litellm-ci-deploy-dev"),
     {"iam:PermissionsBoundary": boundary("dev")}, False),
    ("cannot rewrite its boundary", "dev", "iam:CreatePolicyVersion", boundary("dev"), {}, False),
    ("cannot touch another workspace's roles", "dev", "iam:DeleteRole", role("prod/litellm-prod-task"), {}, False),
    ("passes its task role to ECS", "dev", "iam:PassRole", role("dev/litellm-dev-task"),
     {"iam:PassedToService": "ecs-tasks.amazonaws.com"}, True),
    ("not to another service", "dev", "iam:PassRole", role("dev/litellm-dev-task"),
     {"iam:PassedToService": "lambda.amazonaws.com"}, False),
    ("no user, no access key", "dev", "iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/x", {}, False),
    ("updates its own service", "dev", "ecs:UpdateService", SERVICE, TAGGED["dev"], True),
    ("not prod's service", "dev", "ecs:UpdateService", SERVICE, TAGGED["prod"], False),
    ("creates resources tagged for itself", "dev", "ec2:CreateVpc", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/*",
     {"aws:RequestTag/Workspace": "dev", "aws:TagKeys": ["Workspace", "Name"]}, True),
    ("not tagged for prod", "dev", "ec2:CreateVpc", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/*",
     {"aws:RequestTag/Workspace": "prod", "aws:TagKeys": ["Workspace"]}, False),
    ("cannot strip its Workspace tag", "dev", "ec2:DeleteTags", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-1",
     {"aws:TagKeys": ["Workspace"], **TAGGED["dev"]}, False),
    ("decrypts with its own keys", "dev", "kms:Decrypt", KEY, TAGGED["dev"], True),
    ("not with prod's keys", "dev", "kms:Decrypt", KEY, TAGGED["prod"], False),
    ("not with prod's state key", "dev", "kms:Decrypt", KEY, key(["alias/litellm-state-prod"]), False),
    ("writes its own parameters", "dev", "ssm:PutParameter",
     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/litellm/dev/litellm/master_key", TAGGED["dev"], True),
    ("reads no other workspace's parameters", "dev", "ssm:GetParameter",
     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/litellm/dev-ci/litellm/master_key", {}, False),
    ("its own config bucket", "dev", "s3:PutBucketPolicy", "arn:aws:s3:::litellm-dev-config-abc", {}, True),
    ("not prod's config bucket", "dev", "s3:PutBucketPolicy", "arn:aws:s3:::litellm-prod-config-abc", {}, False),
    ("dev-ci: not dev's bucket", "dev-ci", "s3:PutBucketPolicy", "arn:aws:s3:::litellm-dev-config-abc", {}, False),
    ("dev-ci: its own bucket", "dev-ci", "s3:PutBucketPolicy", "arn:aws:s3:::litellm-dev-ci-config-abc", {}, True),
    ("no service outside the list", "dev", "lambda:CreateFunction",
     f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:x", {}, False),
    ("no role chaining", "dev", "sts:AssumeRole", role("dev/litellm-dev-task"), {}, False),
    ("staging writes its DNS name", "staging", "route53:ChangeResourceRecordSets", ZONE,
     {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["llm-staging.example.com"]}, True),
    ("and its certificate's validation record", "staging", "route53:ChangeResourceRecordSets", ZONE,
     {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_3f1a.llm-staging.example.com"]}, True),
    ("no other name in the zone", "staging", "route53:ChangeResourceRecordSets", ZONE,
     {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["llm-staging.example.com", "www.example.com"]},
     False),
    ("no other zone", "staging", "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/ZOTHER",
     {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["llm-staging.example.com"]}, False),
    ("a workspace without a name writes no records", "dev", "route53:ChangeResourceRecordSets", ZONE,
     {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["llm-staging.example.com"]}, False),
    ("requests its own certificate", "staging", "acm:RequestCertificate", "*",
     {"aws:RequestTag/Workspace": "staging", "aws:TagKeys": ["Workspace"]}, True),
    ("not prod's certificate", "staging", "acm:DeleteCertificate",
     f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/1", {"aws:ResourceTag/Workspace": "prod"}, False),
    ("reads no database secret", "dev", "secretsmanager:GetSecretValue", DATABASE_SECRET, OWN_DATABASE_SECRET, False),
    ("reads no log events", "dev", "logs:GetLogEvents",
     f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/litellm/dev/litellm:log-stream:x", TAGGED["dev"], False),
    ("refreshes its own parameters", "dev", "ssm:GetParameter",
     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/litellm/dev/litellm/master_key", TAGGED["dev"], True),
    # The password roll (modules/rotation): its state machine, tagged like everything else, and its two roles.
    ("creates its state machine", "dev", "states:CreateStateMachine", MACHINE("dev"),
     {"aws:RequestTag/Workspace": "dev", "aws:TagKeys": ["Workspace"]}, True),
    ("not one tagged for another workspace", "dev", "states:CreateStateMachine", MACHINE("dev"),
     {"aws:RequestTag/Workspace": "prod", "aws:TagKeys": ["Workspace"]}, False),
    ("not prod's state machine", "dev", "states:UpdateStateMachine", MACHINE("prod"), TAGGED["prod"], False),
    ("passes the roll role to Step Functions", "dev", "iam:PassRole", role("dev/litellm-dev-password-roll"),
     {"iam:PassedToService": "states.amazonaws.com"}, True),
    ("and its events role to EventBridge", "dev", "iam:PassRole", role("dev/litellm-dev-password-roll-events"),
     {"iam:PassedToService": "events.amazonaws.com"}, True),
    ("shared manages its repositories", "shared", "ecr:PutLifecyclePolicy",
     f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/litellm/litellm", {}, True),
    ("shared creates no role", "shared", "iam:CreateRole", role("shared/x"),
     {"iam:PermissionsBoundary": boundary("dev")}, False),
    ("shared touches no workspace resource", "shared", "ecs:UpdateService", SERVICE, TAGGED["dev"], False),
]

# A workspace role at its worst: AdministratorAccess, held in by the boundary.
ANYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
BOUNDARY_CASES = [
    ("reads its own parameters", "dev", "ssm:GetParameters",
     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/litellm/dev/litellm/master_key", {}, True),
    ("not prod's parameters", "dev", "ssm:GetParameters",
     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/litellm/prod/litellm/master_key", {}, False),
    ("decrypts with its own key", "dev", "kms:Decrypt", KEY, TAGGED["dev"], True),
    ("not with prod's key", "dev", "kms:Decrypt", KEY, TAGGED["prod"], False),
    ("reads its config", "dev", "s3:GetObject", "arn:aws:s3:::litellm-dev-config-abc/litellm/config.yaml", {}, True),
    ("not the state", "dev", "s3:GetObject", state("dev/terraform.tfstate"), {}, False),
    ("cannot create roles", "dev", "iam:CreateRole", role("dev/x"), {"iam:PermissionsBoundary": boundary("dev")},
     False),
    ("cannot assume roles", "dev", "sts:AssumeRole", role("ci/litellm-ci-deploy-prod"), {}, False),
    ("reads its own log events", "dev", "logs:GetLogEvents",
     f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/litellm/dev/litellm:log-stream:x", {}, True),
    ("not another workspace's", "dev", "logs:GetLogEvents",
     f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/litellm/prod/litellm:log-stream:x", {}, False),
    ("not dev-ci's", "dev", "logs:FilterLogEvents",
     f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/litellm/dev-ci/litellm", {}, False),
    ("writes enhanced monitoring metrics", "dev", "logs:PutLogEvents",
     f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:RDSOSMetrics:log-stream:db-ABC", {}, True),
    ("reads no one's metrics", "dev", "logs:GetLogEvents",
     f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:RDSOSMetrics:log-stream:db-ABC", {}, False),
    ("reads its own database's secret", "dev", "secretsmanager:GetSecretValue", DATABASE_SECRET, OWN_DATABASE_SECRET,
     True),
    ("not prod's database secret", "dev", "secretsmanager:GetSecretValue", DATABASE_SECRET,
     {"aws:ResourceTag/aws:rds:primaryDBInstanceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:litellm-prod-postgres"},
     False),
    ("not dev-ci's database secret", "dev", "secretsmanager:GetSecretValue", DATABASE_SECRET,
     {"aws:ResourceTag/aws:rds:primaryDBInstanceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:litellm-dev-ci-postgres"},
     False),
    ("invokes models", "dev", "bedrock:InvokeModel",
     f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", {}, True),
    ("rolls its own service", "dev", "ecs:UpdateService", OWN_SERVICE("dev"), {}, True),
    ("not the look-alike dev-ci service", "dev", "ecs:UpdateService", OWN_SERVICE("dev-ci"), {}, False),
    ("starts its own roll", "dev", "states:StartExecution", MACHINE("dev"), {}, True),
    ("not prod's roll", "dev", "states:StartExecution", MACHINE("prod"), {}, False),
]


def key_policy_of(stack: dict) -> dict:
    """The one key policy every key of the project has: the account administers and delegates to IAM."""
    found = {json.dumps(json.loads(body["policy"]), sort_keys=True)
             for body in stack["resource"]["aws_kms_key"].values()}
    assert len(found) == 1, found
    return json.loads(found.pop())


def _requests(cases: list, identity, *, principal_of, key_policy: dict, boundary_of=None) -> list[Request]:
    return [
        Request(principal=principal_of(group), action=action, resource=resource, identity=identity(group),
                context=context, boundary=boundary_of(group) if boundary_of else None,
                resource_policy=key_policy if action.startswith("kms:") else None)
        for _, group, action, resource, context, _ in cases
    ]


def _check(cases: list, requests: list[Request]) -> None:
    decisions = decide(requests, ACCOUNT)
    wrong = [(case, group, action, resource, decision)
             for (case, group, action, resource, _, allowed), decision in zip(cases, decisions, strict=True)
             if (decision == ALLOWED) != allowed]
    assert not wrong, "\n".join(map(str, wrong))


def test_plan_roles(stacks):
    _check(PLAN_CASES, _requests(PLAN_CASES, plan_identity, key_policy=key_policy_of(stacks["bootstrap"]),
                                 principal_of=lambda g: role(f"ci/{GROUPS[g].plan_role_name}")))


def test_deploy_roles(stacks):
    _check(DEPLOY_CASES, _requests(DEPLOY_CASES, deploy_identity, key_policy=key_policy_of(stacks["bootstrap"]),
                                   principal_of=lambda g: role(f"ci/{GROUPS[g].deploy_role_name}")))


@pytest.mark.parametrize("kind", ["plan", "deploy"])
def test_no_ci_role_can_change_the_trust_root(kind, stacks):
    """The state bucket's configuration, its objects' history, the lock table and every state or lock key
    are the administrator's alone, whichever group's plan or deploy role asks."""
    identity = plan_identity if kind == "plan" else deploy_identity
    name_of = (lambda g: GROUPS[g].plan_role_name) if kind == "plan" else (lambda g: GROUPS[g].deploy_role_name)
    cases = TRUST_ROOT_CASES + (TRUST_ROOT_NEIGHBOURS if kind == "deploy" else [])
    _check(cases, _requests(cases, identity, key_policy=key_policy_of(stacks["bootstrap"]),
                            principal_of=lambda g: role(f"ci/{name_of(g)}")))


def test_the_trust_root_carries_its_tag_and_no_workspace_tag(stacks):
    """Tagged TrustRoot by the bootstrap stack's provider, and never Workspace (which would make the tag rules
    refuse each group its own state key and lock items)."""
    bootstrap = stacks["bootstrap"]
    (provider,) = bootstrap["provider"]["aws"]
    assert provider["default_tags"][0]["tags"]["TrustRoot"] == "true"
    for kind in ("aws_kms_key", "aws_s3_bucket", "aws_dynamodb_table"):
        for body in bootstrap["resource"][kind].values():
            assert "Workspace" not in body.get("tags", {}), body


def test_permissions_boundary_holds_an_administrator_role_in(stacks):
    _check(BOUNDARY_CASES, _requests(
        BOUNDARY_CASES, lambda g: (("anything", ANYTHING),), principal_of=lambda g: role(f"{g}/litellm-{g}-task"),
        key_policy=key_policy_of(stacks["dev-secrets"]), boundary_of=lambda g: boundary_policy(GROUPS[g]),
    ))


def test_boundary_allows_every_action_the_workspace_roles_use(stacks):
    """Each action in the inline policies of a workspace's roles is one the boundary allows
    (else the role would be created and then fail at run time)."""
    boundary_actions = {action for statement in boundary_policy(GROUPS["dev"])["Statement"]
                        for action in statement["Action"]}
    for name in ENVIRONMENTS.all_names:
        for body in stacks[name]["resource"]["aws_iam_role_policy"].values():
            for statement in json.loads(body["policy"])["Statement"]:
                missing = set(statement["Action"]) - boundary_actions
                assert not missing, f"{name}: {body['name']} uses {sorted(missing)} outside the boundary"


@pytest.mark.parametrize("name, environment, workflow, allowed", [
    ("prod", "prod", "deploy.yml", True),
    ("dev", "dev", "destroy.yml", True),  # a teardown, approved in the workspace's environment
    ("staging", "staging", "destroy.yml", True),
    ("dev", "staging", "destroy.yml", False),
    ("prod", "prod", "destroy.yml", False),  # production is never torn down by a workflow
    ("prod", "prod", "plan-stacks.yml", False),
    ("prod", "dev", "deploy.yml", False),
    ("prod", "prod", "image-bump.yml", False),  # bumps are pull requests: image-bump.yml deploys nothing
    ("dev", "dev", "image-bump.yml", False),
    ("dev", "plan-dev", "plan-stacks.yml", False),  # the plan environment cannot deploy
])
def test_deploy_roles_trust_one_workflow_on_main_in_their_environment(name, environment, workflow, allowed):
    subjects = policies.deploy_subjects(GROUPS[name])
    presented = policies.subject(PROJECT, environment=environment, workflow=workflow)
    assert (presented in subjects) is allowed
    assert all(subject.endswith("@refs/heads/main") for subject in subjects)
    from_a_branch = presented.replace("@refs/heads/main", "@refs/heads/attacker")
    assert from_a_branch not in subjects


def test_deploy_roles_trust_deploy_and_only_teardown_tiers_destroy():
    """destroy.yml is trusted by the deploy roles of development and staging workspaces only: never by
    shared's, production's or the ephemeral one's, whatever a job of it might claim."""
    for name, group in GROUPS.items():
        workflows = ("deploy.yml", "destroy.yml") if name in ("dev", "staging") else ("deploy.yml",)
        assert policies.deploy_subjects(group) == [
            f"repo:acme/litellm-infra:environment:{name}:job_workflow_ref:"
            f"acme/litellm-infra/.github/workflows/{workflow}@refs/heads/main" for workflow in workflows]


def test_destroy_yml_has_no_job_in_an_environment_it_does_not_offer():
    """A token names the environment of the job that asked for it: destroy.yml's jobs run only in the
    development and staging workspaces' environments, the ones whose deploy roles trust it."""
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "destroy.yml").read_text())
    assert sorted(job["environment"] for job in workflow["jobs"].values()) == ["dev", "staging"]


def test_plan_roles_trust_only_their_plan_environment():
    """The pull-request plans and the scheduled drift check, from main, in the stack's plan environment."""
    for name, group in GROUPS.items():
        assert policies.plan_subjects(group) == [
            f"repo:acme/litellm-infra:environment:plan-{name}:job_workflow_ref:"
            f"acme/litellm-infra/.github/workflows/{workflow}@refs/heads/main"
            for workflow in ("plan-stacks.yml", "drift.yml")]


def test_one_group_for_shared_and_each_workspace_with_its_name_cdn_and_teardown():
    """Built inside the test (GROUPS is built at import, where a mutation run cannot reach it)."""
    staging_domain = load_environments(["staging"]).workspaces[0].settings.ingress.domain
    assert staging_domain is not None
    assert policies.stack_groups(ENVIRONMENTS) == [
        StackGroup(project=PROJECT, name="shared"),
        StackGroup(project=PROJECT, name="dev", teardown=True),
        StackGroup(project=PROJECT, name="dev-ci"),
        StackGroup(project=PROJECT, name="prod"),
        StackGroup(project=PROJECT, name="staging", domain=staging_domain, teardown=True),
    ]
    high_availability = load_environments(directory=ROOT / "examples" / "002-high-availability")
    (example,) = [group for group in policies.stack_groups(high_availability) if group.name == "prod"]
    assert example.cdn is True and example.teardown is False and example.domain is not None


def test_a_role_trusts_githubs_oidc_provider_for_exactly_its_subjects():
    subjects = policies.deploy_subjects(GROUPS["dev"])
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    issuer = "token.actions.githubusercontent.com"
    assert policies.trust_policy(provider, subjects) == {"Version": "2012-10-17", "Statement": [{
        "Sid": "GitHubWorkflowOnMain", "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": provider},
        "Condition": {"StringEquals": {f"{issuer}:aud": "sts.amazonaws.com", f"{issuer}:sub": subjects}}}]}


def test_synthesized_bootstrap_holds_exactly_these_documents(stacks):
    """The bootstrap stack writes the documents tested above, unchanged, one role pair per group."""
    bootstrap = stacks["bootstrap"]
    inline = {body["name"] + ":" + body["role"]: json.loads(body["policy"])
              for body in bootstrap["resource"]["aws_iam_role_policy"].values()}
    assert len(inline) == 2 * len(GROUPS)
    for name, group in GROUPS.items():
        plan_id, deploy_id = (f"${{aws_iam_role.github_{kind}_{name.replace('-', '_')}_role.id}}"
                              for kind in ("plan", "deploy"))
        assert inline[f"plan:{plan_id}"] == policies.plan_policy(group, others(name))
        assert inline[f"deploy:{deploy_id}"] == policies.deploy_policy(group, others(name))
    roles = bootstrap["resource"]["aws_iam_role"]
    assert all(role["path"] == "/litellm/ci/" for role in roles.values())
    provider = "${aws_iam_openid_connect_provider.github_github_oidc.arn}"
    for name, group in GROUPS.items():
        for kind, subjects in (("plan", policies.plan_subjects(group)), ("deploy", policies.deploy_subjects(group))):
            role = roles[f"github_{kind}_{name.replace('-', '_')}_role"]
            assert json.loads(role["assume_role_policy"]) == policies.trust_policy(provider, subjects)
    boundaries = {body["name"]: json.loads(body["policy"]) for body in bootstrap["resource"]["aws_iam_policy"].values()}
    assert boundaries == {GROUPS[name].boundary_name: boundary_policy(GROUPS[name])
                          for name in ENVIRONMENTS.all_names}


def test_task_role_invokes_exactly_the_listed_bedrock_models(stacks):
    """prod lists a cross-region inference profile and a foundation model: the task role may call
    the profile, the model behind it only through it, the foundation model in its region, and
    nothing else."""
    policy = next(json.loads(body["policy"]) for body in stacks["prod"]["resource"]["aws_iam_role_policy"].values()
                  if body["name"] == "bedrock")
    profile = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/eu.anthropic.claude-sonnet-5-5"
    behind = "foundation-model/anthropic.claude-sonnet-5-5"
    cases = [
        ("the profile", profile, {}, True),
        ("the model behind it, in another EU region, through the profile", f"arn:aws:bedrock:eu-central-1::{behind}",
         {"bedrock:InferenceProfileArn": profile}, True),
        ("not that model directly", f"arn:aws:bedrock:eu-central-1::{behind}", {}, False),
        ("the listed foundation model", f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0",
         {}, True),
        ("not an unlisted model", f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-opus-4-1-20250805-v1:0",
         {}, False),
        ("not another profile", f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/eu.anthropic.claude-opus-4-1",
         {}, False),
    ]
    requests = [Request(principal=role("prod/litellm-prod-task"), action="bedrock:InvokeModel", resource=resource,
                        identity=(("bedrock", policy),), context=context) for _, resource, context, _ in cases]
    decisions = decide(requests, ACCOUNT)
    wrong = [case[0] for case, decision in zip(cases, decisions, strict=True) if (decision == ALLOWED) != case[3]]
    assert not wrong, wrong


EXAMPLE_WITH_CDN = load_environments(None, directory=ROOT / "examples" / "002-high-availability")


def test_only_a_workspace_with_a_cdn_manages_cloudfront():
    """The deploy role of a workspace behind CloudFront may create its distribution and CloudFront's VPC-origin
    linked role; a workspace without a CDN (staging, same services otherwise) may do neither."""
    edge_groups = {group.name: group for group in policies.stack_groups(EXAMPLE_WITH_CDN)}
    edge = edge_groups["prod"]
    assert edge.cdn and not GROUPS["staging"].cdn
    edge_account = EXAMPLE_WITH_CDN.project.aws_account_id
    identities = {
        "prod": (("deploy", policies.deploy_policy(edge, [g for n, g in edge_groups.items() if n != "prod"])),),
        "staging": deploy_identity("staging"),
    }
    linked_role = f"arn:aws:iam::{edge_account}:role/aws-service-role/{policies.VPC_ORIGIN_SERVICE}/x"
    cases = [
        (name, action, resource, context)
        for name in ("prod", "staging")
        for action, resource, context in (
            ("cloudfront:CreateDistribution", "*", {"aws:RequestTag/Workspace": name, "aws:TagKeys": ["Workspace"]}),
            ("cloudfront:UpdateDistribution", f"arn:aws:cloudfront::{edge_account}:distribution/EDFDVBD6EXAMPLE",
             {"aws:ResourceTag/Workspace": name}),
            ("cloudfront:CreateVpcOrigin", "*",
             {"aws:RequestTag/Workspace": name, "aws:TagKeys": ["Workspace"]}),
            ("iam:CreateServiceLinkedRole", linked_role, {"iam:AWSServiceName": policies.VPC_ORIGIN_SERVICE}),
        )
    ]
    decisions = decide([
        Request(principal=f"arn:aws:iam::{edge_account}:role/deployer", action=action, resource=resource,
                identity=identities[name], context=context)
        for name, action, resource, context in cases
    ], edge_account)
    allowed = {(name, action) for (name, action, _, _), decision in zip(cases, decisions, strict=True)
               if decision == ALLOWED}
    assert allowed == {(name, action) for name, action, _, _ in cases if name == "prod"}


def test_the_password_roll_roles_do_one_thing_each():
    """The roll's two roles (modules/rotation/documents.py) inside the workspace's boundary: the state
    machine may update its own service only, the events role may start its own state machine only."""
    from modules.rotation import documents

    boundary = boundary_policy(GROUPS["dev"])
    machine_role = (("roll-service", policies.document(*documents.state_machine_role_statements(OWN_SERVICE("dev")))),)
    events_role = (("start-roll", policies.document(*documents.events_role_statements(MACHINE("dev")))),)
    cases = [
        ("machine", "ecs:UpdateService", OWN_SERVICE("dev"), True),
        ("machine", "ecs:UpdateService", OWN_SERVICE("prod"), False),
        ("machine", "ecs:RunTask", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/litellm-dev:1", False),
        ("machine", "iam:PassRole", role("dev/litellm-dev-task"), False),
        ("machine", "states:StartExecution", MACHINE("dev"), False),
        ("events", "states:StartExecution", MACHINE("dev"), True),
        ("events", "states:StartExecution", MACHINE("prod"), False),
        ("events", "ecs:UpdateService", OWN_SERVICE("dev"), False),
    ]
    identities = {"machine": machine_role, "events": events_role}
    principals = {"machine": role("dev/litellm-dev-password-roll"),
                  "events": role("dev/litellm-dev-password-roll-events")}
    decisions = decide([Request(principal=principals[who], action=action, resource=resource, identity=identities[who],
                                boundary=boundary) for who, action, resource, _ in cases], ACCOUNT)
    wrong = [case for case, decision in zip(cases, decisions, strict=True) if (decision == ALLOWED) != case[3]]
    assert not wrong, wrong


def ecs_arn(kind: str, name: str) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:{kind}/{name}"


# What main.py redeploy, rotate-secret and smoke call with a workspace's deploy role (deploy.yml's smoke
# step; an operator's session with it), and that its plan role and another workspace's roles may not.
OWN = {"aws:ResourceTag/Workspace": "dev"}
OPERATIONS_CASES = [
    ("redeploy: forces a new deployment", "dev", "ecs:UpdateService", ecs_arn("service", "litellm-dev/litellm-dev"),
     OWN, True),
    ("redeploy: not prod's service", "dev", "ecs:UpdateService", ecs_arn("service", "litellm-prod/litellm-prod"),
     TAGGED["prod"], False),
    ("smoke: registers the one-off definition with its own tag", "dev", "ecs:RegisterTaskDefinition", "*",
     {"aws:RequestTag/Workspace": "dev", "aws:TagKeys": ["Workspace"]}, True),
    ("smoke: not with another workspace's tag", "dev", "ecs:RegisterTaskDefinition", "*",
     {"aws:RequestTag/Workspace": "prod", "aws:TagKeys": ["Workspace"]}, False),
    ("smoke: hands the task its own roles", "dev", "iam:PassRole", role("dev/litellm-dev-task"),
     {"iam:PassedToService": "ecs-tasks.amazonaws.com"}, True),
    ("smoke: not another workspace's roles", "dev", "iam:PassRole", role("prod/litellm-prod-task"),
     {"iam:PassedToService": "ecs-tasks.amazonaws.com"}, False),
    ("smoke: runs its own definition", "dev", "ecs:RunTask", ecs_arn("task-definition", "litellm-dev-smoke:1"),
     OWN, True),
    ("smoke: not prod's", "dev", "ecs:RunTask", ecs_arn("task-definition", "litellm-prod-smoke:1"),
     TAGGED["prod"], False),
    ("smoke: stops its task when the time runs out", "dev", "ecs:StopTask", ecs_arn("task", "litellm-dev/0123abcd"),
     OWN, True),
    ("rotate-secret: writes its own master key", "dev", "ssm:PutParameter",
     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/litellm/dev/litellm/master_key", OWN, True),
    ("rotate-secret: not prod's", "dev", "ssm:PutParameter",
     f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/litellm/prod/litellm/master_key", TAGGED["prod"], False),
    ("smoke: reads no log event (the exit code says which check failed)", "dev", "logs:GetLogEvents",
     f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/litellm/dev/litellm:log-stream:litellm/litellm/x", OWN, False),
]


def test_the_deploy_role_may_run_the_day_two_commands_on_its_workspace_only():
    _check(OPERATIONS_CASES, _requests(OPERATIONS_CASES, deploy_identity, key_policy={},
                                       principal_of=lambda g: role(f"ci/{GROUPS[g].deploy_role_name}")))


def test_the_plan_role_may_not_redeploy_smoke_or_rotate():
    cases = [(case, group, action, resource, context, False)
             for case, group, action, resource, context, allowed in OPERATIONS_CASES if allowed]
    _check(cases, _requests(cases, plan_identity, key_policy={},
                            principal_of=lambda g: role(f"ci/{GROUPS[g].plan_role_name}")))
