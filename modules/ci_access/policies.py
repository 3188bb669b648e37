"""The IAM documents of GitHub Actions' roles, as plain data (no cdktf import), so the tests
evaluate exactly these documents with an IAM policy simulator and on moto without synthesizing.

One plan role and one deploy role per stack group: `shared`, and each workspace (whose deploy
role applies both `<workspace>-secrets` and `<workspace>`). What separates the groups:

- state: each group has its own state objects (`<project>/<group>/…`) and its own KMS key for
  them (`alias/<project>-state-<group>`); the lock table is reached only through DynamoDB, only
  for the group's own lock items;
- plan roles: AWS's ViewOnlyAccess (lists and descriptions) and the reads the provider needs to
  refresh this project's resources, with data reads denied besides: no parameter, no secret value,
  no log event, no item, image or function, no decryption but the group's state key, no state object
  but the group's own plan target; nothing of the trust root;
- deploy roles: the services the stacks use, minus everything tagged for another workspace
  (`Workspace` tag, set on every resource by the provider's default tags), minus other
  workspaces' parameters, buckets and state; every role they create lives under the group's
  IAM path and must carry the group's permissions boundary, which they cannot change;
- trust: GitHub's OIDC token, for this repository, this GitHub environment, and the one
  workflow file on main that may use the role (`job_workflow_ref`, in the `sub` claim once the
  repository's OIDC subject template includes it; README: Setting up GitHub).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from environments.loader import Environments
from environments.model import Domain, Project
from environments.workspace import TEARDOWN_TIERS
from modules.aws import AwsContext
from modules.ci_access.reads import (
    DATA_READS,
    REFRESH_READS_MEASURED,
    REFRESH_READS_NOT_MEASURED,
    TABLE_DATA_READS,
)
from modules.policies import Statement, statement
from modules.policies import document_of as document

Document = dict[str, Any]

GITHUB_ISSUER = "token.actions.githubusercontent.com"
# Claims of the OIDC subject, in this order (GitHub: PUT /repos/{repo}/actions/oidc/customization/sub).
SUBJECT_CLAIMS = ("repo", "context", "job_workflow_ref")
SHARED = "shared"
WORKSPACE_TAG = "Workspace"
# The bootstrap stack's state bucket, lock table and state keys carry this tag (and no Workspace tag:
# the tag rules would then deny each group its own lock items and key use). No CI role may change them.
TRUST_ROOT_TAG = "TrustRoot"
# Workflows whose jobs may use the read-only plan roles: pull-request plans, and the scheduled drift check.
PLAN_WORKFLOWS = ("plan-stacks.yml", "drift.yml")
# Image bumps are pull requests (image-bump.yml applies nothing): deploy.yml deploys; destroy.yml tears a
# workspace down, and only the deploy roles of the tiers it may tear down trust it
# (environments/workspace.py, TEARDOWN_TIERS): shared, production and ephemeral groups never do.
DEPLOY_WORKFLOWS = ("deploy.yml",)
TEARDOWN_WORKFLOW = "destroy.yml"
# AWS services a workspace's stacks manage. Everything else is implicitly denied.
WORKSPACE_SERVICES = (
    "acm", "application-autoscaling", "cloudwatch", "ec2", "ecs", "elasticache", "elasticfilesystem",
    "elasticloadbalancing", "events", "kms",
    "logs", "rds", "s3", "secretsmanager", "sns", "ssm", "states", "wafv2",
)
SERVICE_LINKED_ROLES = ("ecs.amazonaws.com", "rds.amazonaws.com", "elasticloadbalancing.amazonaws.com",
                        "ecs.application-autoscaling.amazonaws.com", "elasticfilesystem.amazonaws.com",
                        "elasticache.amazonaws.com")
# CloudFront's VPC origins reach a private load balancer through this service's linked role.
VPC_ORIGIN_SERVICE = "vpcorigin.cloudfront.amazonaws.com"
# The only AWS managed policy a workspace attaches to its own roles (RDS enhanced monitoring).
ATTACHABLE_POLICIES = ("service-role/AmazonRDSEnhancedMonitoringRole",)
# Buckets a workspace creates, by name prefix after "<project>-<workspace>-" (bucket_prefix).
BUCKET_KINDS = ("config", "alb-logs")
# What a CI role may do with the state bucket itself (not its objects): list it, nothing else.
STATE_BUCKET_USE = ["s3:ListBucket"]
# Object calls that rewrite a state object's history or access rather than its content.
STATE_HISTORY = ["s3:DeleteObjectVersion", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:PutObjectRetention",
                 "s3:PutObjectLegalHold", "s3:BypassGovernanceRetention", "s3:PutBucketObjectLockConfiguration"]
# What the S3 backend does with the lock table: nothing else is allowed on it.
LOCK_TABLE_USE = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable"]
# What a CI role may do with a state or lock key: use it, never administer it.
TRUST_ROOT_KEY_USE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
KEY_USE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo",
           "kms:GenerateDataKeyWithoutPlaintext"]
STATE_KEY_USE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]


@dataclass(frozen=True)
class StackGroup:
    """A stack group's names: `shared`, or a workspace and its secrets stack."""

    project: Project
    name: str
    domain: Domain | None = None
    """The workspace's own DNS name: its deploy role may write that name's records, nothing else in the zone."""
    cdn: bool = False
    """Whether the workspace serves through CloudFront: only then may its deploy role manage CloudFront."""
    teardown: bool = False
    """Whether destroy.yml may tear the workspace down (its tier): only then does its deploy role trust it."""

    @property
    def is_workspace(self) -> bool:
        return self.name != SHARED

    @property
    def state_prefix(self) -> str:
        return f"{self.project.name}/{self.name}/"

    @property
    def plan_state_object(self) -> str:
        """The one state object the plan role reads (never the secrets stack's)."""
        return f"{self.state_prefix}terraform.tfstate"

    @property
    def state_key_alias(self) -> str:
        return f"alias/{self.project.name}-state-{self.name}"

    @property
    def role_path(self) -> str:
        """IAM path of every role the group's stacks create: `dev` and `dev-ci` never overlap."""
        return f"/{self.project.name}/{self.name}/"

    @property
    def boundary_name(self) -> str:
        return f"{self.project.name}-{self.name}-boundary"

    @property
    def plan_role_name(self) -> str:
        return f"{self.project.name}-ci-plan-{self.name}"

    @property
    def deploy_role_name(self) -> str:
        return f"{self.project.name}-ci-deploy-{self.name}"

    @property
    def resource_prefix(self) -> str:
        return f"{self.project.name}-{self.name}"


def stack_groups(environments: Environments) -> list[StackGroup]:
    """Every stack group of the project: `shared`, then each workspace of the directory (with its
    DNS name and CDN, if any), whichever workspaces were selected."""
    every = environments.everything()
    return [StackGroup(project=every.project, name=SHARED),
            *(StackGroup(project=every.project, name=workspace.name, domain=workspace.settings.ingress.domain,
                         cdn=workspace.settings.ingress.cdn is not None,
                         teardown=workspace.settings.tier in TEARDOWN_TIERS)
              for workspace in every.workspaces)]


def ci_role_path(project: Project) -> str:
    return f"/{project.name}/ci/"


def lock_key_alias(project: Project) -> str:
    """The key of the lock table (and the state bucket's default), used through DynamoDB only."""
    return f"alias/{project.name}-terraform-state"


class Arns:
    """ARNs of one project's account, for IAM documents (partition from the project's region)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.aws = AwsContext(account_id=project.aws_account_id, region=project.region)
        self.iam = f"arn:{self.aws.partition}:iam::{project.aws_account_id}"

    def bucket(self, name: str) -> str:
        return f"arn:{self.aws.partition}:s3:::{name}"

    @property
    def state_bucket(self) -> str:
        return self.bucket(self.project.state.bucket)

    @property
    def lock_table(self) -> str:
        return self.aws.arn("dynamodb", f"table/{self.project.state.lock_table}")

    def keys(self) -> str:
        return self.aws.arn("kms", "key/*", region="*")

    def boundary(self, group: StackGroup) -> str:
        return f"{self.iam}:policy/{group.boundary_name}"

    def role(self, path: str, name: str = "*") -> str:
        return f"{self.iam}:role{path}{name}"

    def parameters(self, group: StackGroup) -> str:
        return self.aws.arn("ssm", f"parameter/{self.project.name}/{group.name}/*", region="*")

    def workspace_buckets(self, group: StackGroup) -> list[str]:
        return [self.bucket(f"{group.resource_prefix}-{kind}-*") for kind in BUCKET_KINDS]


def lock_ids(project: Project, state_object: str) -> list[str]:
    """Items Terraform's S3 backend writes in the lock table for one state object."""
    lock_id = f"{project.state.bucket}/{state_object}"
    return [lock_id, f"{lock_id}-md5"]


def _state_statements(group: StackGroup, arns: Arns, *, write: bool) -> list[Statement]:
    project = group.project
    objects = f"{arns.state_bucket}/{group.state_prefix}*" if write else \
        f"{arns.state_bucket}/{group.plan_state_object}"
    locks = ([f"{project.state.bucket}/{group.state_prefix}*"] if write
             else lock_ids(project, group.plan_state_object))
    return [
        statement("Allow", ["s3:ListBucket"], sid="ListState", resources=arns.state_bucket),
        statement("Allow", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] if write else ["s3:GetObject"],
                  sid="OwnStateObjects", resources=objects),
        statement("Allow", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable"],
                  sid="OwnStateLocks", resources=arns.lock_table,
                  condition={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": locks}}),
        statement("Allow", STATE_KEY_USE if write else ["kms:Decrypt"], sid="OwnStateKey", resources=arns.keys(),
                  condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": [group.state_key_alias]}}),
        statement("Allow", STATE_KEY_USE, sid="LockTableKeyThroughDynamoDB", resources=arns.keys(),
                  condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": [lock_key_alias(project)]},
                             "StringEquals": {"kms:ViaService": f"dynamodb.{project.region}.amazonaws.com"}}),
    ]


def _other_groups_denied(group: StackGroup, others: list[StackGroup], arns: Arns) -> list[Statement]:
    """What no role of `group` may touch, named rather than tagged (state, parameters, buckets)."""
    denied = [
        statement("Deny", "s3:*", sid="OtherStacksState",
                  resources=[f"{arns.state_bucket}/{other.state_prefix}*" for other in others]),
        statement("Deny", ["kms:*"], sid="OtherStateKeys", resources=arns.keys(),
                  condition={"ForAnyValue:StringEquals": {
                      "kms:ResourceAliases": [other.state_key_alias for other in others]}}),
    ]
    workspaces = [other for other in others if other.is_workspace]
    if workspaces:
        denied += [
            statement("Deny", "ssm:*", sid="OtherWorkspacesParameters",
                      resources=[arns.parameters(other) for other in workspaces]),
            statement("Deny", "s3:*", sid="OtherWorkspacesBuckets",
                      resources=[name for other in workspaces for bucket in arns.workspace_buckets(other)
                                 for name in (bucket, f"{bucket}/*")]),
        ]
    return denied


def _trust_root_untouchable(project: Project, arns: Arns, *, writer: bool) -> list[Statement]:
    """What no CI role may do to the trust root, named by ARN (and, for keys, by tag and alias):
    the state bucket's configuration, its objects' history, the lock table, the state and lock keys.
    A plan role (not a `writer`) holds no write or key administration to begin with; it gets the
    statements that name resources only (moto, which enforces the plan role in the tests, takes any
    condition for met)."""
    key_aliases = [f"alias/{project.name}-state-*", lock_key_alias(project)]
    by_name = [
        statement("Deny", None, sid="StateBucketConfiguration", not_actions=STATE_BUCKET_USE,
                  resources=arns.state_bucket),
        statement("Deny", STATE_HISTORY, sid="StateObjectHistory", resources=f"{arns.state_bucket}/*"),
        statement("Deny", None, sid="LockTableConfiguration", not_actions=LOCK_TABLE_USE,
                  resources=[arns.lock_table, f"{arns.lock_table}/*"]),
        statement("Deny", ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"], sid="TrustRootKeyAliases",
                  resources=[arns.aws.arn("kms", alias, region="*") for alias in key_aliases]),
    ]
    if not writer:
        return by_name
    return [
        *by_name,
        statement("Deny", None, sid="TrustRootKeysByTag", not_actions=TRUST_ROOT_KEY_USE, resources=arns.keys(),
                  condition={"StringEquals": {f"aws:ResourceTag/{TRUST_ROOT_TAG}": "true"}}),
        statement("Deny", None, sid="TrustRootKeysByAlias", not_actions=TRUST_ROOT_KEY_USE, resources=arns.keys(),
                  condition={"ForAnyValue:StringLike": {"kms:ResourceAliases": key_aliases}}),
        statement("Deny", "*", sid="NoTrustRootTag",
                  condition={"ForAnyValue:StringEquals": {"aws:TagKeys": [TRUST_ROOT_TAG]}}),
    ]


def _ci_roles_untouchable(project: Project, arns: Arns) -> Statement:
    return statement("Deny", "iam:*", sid="CiRolesAndBoundariesAreNotTheirs",
                     resources=[arns.role(ci_role_path(project)), f"{arns.iam}:policy/{project.name}-*-boundary"])


def plan_policy(group: StackGroup, others: list[StackGroup]) -> Document:
    """Inline policy of the group's plan role; ViewOnlyAccess is attached beside it."""
    arns = Arns(group.project)
    readable_objects = [f"{arns.state_bucket}/{group.plan_state_object}"]
    if group.is_workspace:
        # The provider refreshes aws_s3_object with HeadObject, which needs s3:GetObject.
        readable_objects += [f"{bucket}/*" for bucket in arns.workspace_buckets(group) if "config" in bucket]
    statements = [
        *_state_statements(group, arns, write=False),
        statement("Allow", [*REFRESH_READS_MEASURED, *REFRESH_READS_NOT_MEASURED], sid="RefreshReads"),
        statement("Allow", ["s3:GetObject"], sid="OwnConfigObject", resources=readable_objects[1:])
        if group.is_workspace else None,
        statement("Deny", list(DATA_READS), sid="NoDataReads"),
        statement("Deny", list(TABLE_DATA_READS), sid="NoTableDataButItsLocks", not_resources=[arns.lock_table]),
        statement("Deny", ["s3:GetObject", "s3:GetObjectVersion"], sid="NoObjectButItsOwn",
                  not_resources=readable_objects),
        statement("Deny", KEY_USE, sid="NoKeyButItsStateKey", resources=arns.keys(),
                  condition={"ForAllValues:StringNotEquals": {
                      "kms:ResourceAliases": [group.state_key_alias, lock_key_alias(group.project)]}}),
        *_other_groups_denied(group, others, arns),
        _ci_roles_untouchable(group.project, arns),
        *_trust_root_untouchable(group.project, arns, writer=False),
    ]
    if group.is_workspace:
        # Named as well as excluded above: the secrets stack's state is the deploy role's alone.
        statements.append(statement("Deny", "s3:*", sid="NotTheSecretsStackState",
                                    resources=f"{arns.state_bucket}/{group.state_prefix}secrets.tfstate"))
    return document(*(found for found in statements if found is not None))


def deploy_policy(group: StackGroup, others: list[StackGroup]) -> Document:
    """Inline policy of the group's deploy role (its only policy)."""
    project, arns = group.project, Arns(group.project)
    if group.is_workspace:
        services = [
            statement("Allow", [f"{service}:*" for service in WORKSPACE_SERVICES], sid="WorkspaceServices"),
            *_role_management(group, arns),
            *_dns_records(group, arns),
            *_edge(group),
        ]
    else:
        services = [
            statement("Allow", ["ecr:*"], sid="ProjectRepositories",
                      resources=arns.aws.arn("ecr", f"repository/{project.name}/*", region="*")),
            statement("Allow", ["ecr:GetAuthorizationToken", "ecr:DescribeRepositories", "kms:DescribeKey",
                                "kms:CreateGrant"], sid="RegistryDescribe"),
        ]
    return document(
        *_state_statements(group, arns, write=True),
        statement("Allow", ["sts:GetCallerIdentity"], sid="WhoAmI"),
        *services,
        # Tag-based isolation: nothing tagged for another group, and no Workspace tag but its own.
        statement("Deny", "*", sid="NothingTaggedForAnotherGroup",
                  condition={"StringNotEquals": {f"aws:ResourceTag/{WORKSPACE_TAG}": group.name},
                             "Null": {f"aws:ResourceTag/{WORKSPACE_TAG}": "false"}}),
        statement("Deny", "*", sid="NoWorkspaceTagButItsOwn",
                  condition={"ForAnyValue:StringEquals": {"aws:TagKeys": [WORKSPACE_TAG]},
                             "StringNotEquals": {f"aws:RequestTag/{WORKSPACE_TAG}": group.name}}),
        *_other_groups_denied(group, others, arns),
        _ci_roles_untouchable(project, arns),
        *_trust_root_untouchable(project, arns, writer=True),
        # A deploy writes secret parameters (and the provider refreshes them); it reads no other data.
        statement("Deny", [action for action in DATA_READS if not action.startswith("ssm:")], sid="NoDataReads"),
        statement("Deny", ["iam:DeleteRolePermissionsBoundary", "iam:CreateUser", "iam:CreateAccessKey",
                           "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
                           "sts:AssumeRole"], sid="NoEscalation"),
    )


def _edge(group: StackGroup) -> list[Statement]:
    """CloudFront (distribution, VPC origin) for a workspace that has a CDN; its ACM certificate, web ACL
    and logs in us-east-1 are services the workspace has anyway."""
    if not group.cdn:
        return []
    return [statement("Allow", ["cloudfront:*"], sid="EdgeDistribution")]


def _dns_records(group: StackGroup, arns: Arns) -> list[Statement]:
    """The workspace's name and its certificate's validation record, in its hosted zone only.
    Route 53 records carry no tags, so the fence is the record names themselves."""
    if group.domain is None:
        return []
    zone = f"arn:{arns.aws.partition}:route53:::hostedzone/{group.domain.hosted_zone_id}"
    name = group.domain.name
    return [
        statement("Allow", ["route53:ChangeResourceRecordSets"], sid="OwnDnsRecords", resources=zone,
                  condition={"ForAllValues:StringLike": {
                      "route53:ChangeResourceRecordSetsNormalizedRecordNames": [name, f"_*.{name}"]}}),
        statement("Allow", ["route53:GetHostedZone", "route53:ListResourceRecordSets"], sid="ReadOwnZone",
                  resources=zone),
        statement("Allow", ["route53:GetChange"], sid="WaitForDnsChanges",
                  resources=f"arn:{arns.aws.partition}:route53:::change/*"),
    ]


def _role_management(group: StackGroup, arns: Arns) -> list[Statement]:
    own_roles = arns.role(group.role_path)
    bounded = {"StringEquals": {"iam:PermissionsBoundary": arns.boundary(group)}}
    attachable = [f"arn:{arns.aws.partition}:iam::aws:policy/{name}" for name in ATTACHABLE_POLICIES]
    return [
        # Every write that could widen a role requires the group's boundary on that role.
        statement("Allow", ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
                            "iam:PutRolePermissionsBoundary"],
                  sid="ManageOwnRolesWithinTheBoundary", resources=own_roles, condition=bounded),
        statement("Allow", ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], sid="AttachOnlyTheMonitoringPolicy",
                  resources=own_roles,
                  condition={**bounded, "ArnEquals": {"iam:PolicyARN": attachable}}),
        statement("Allow", ["iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
                            "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:GetRolePolicy",
                            "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
                            "iam:ListInstanceProfilesForRole"],
                  sid="ReadAndRetireOwnRoles", resources=own_roles),
        statement("Allow", ["iam:PassRole"], sid="PassOwnRolesToTheirServices", resources=own_roles,
                  condition={"StringEquals": {"iam:PassedToService": [
                      "ecs-tasks.amazonaws.com", "monitoring.rds.amazonaws.com", "vpc-flow-logs.amazonaws.com",
                      "events.amazonaws.com", "states.amazonaws.com"]}}),
        statement("Allow", ["iam:GetPolicy", "iam:GetPolicyVersion"], sid="ReadTheMonitoringPolicy",
                  resources=attachable),
        statement("Allow", ["iam:CreateServiceLinkedRole"], sid="ServiceLinkedRoles",
                  resources=f"{arns.iam}:role/aws-service-role/*",
                  condition={"StringEquals": {"iam:AWSServiceName": [
                      *SERVICE_LINKED_ROLES, *([VPC_ORIGIN_SERVICE] if group.cdn else [])]}}),
    ]


def trust_policy(oidc_provider_arn: str, subjects: list[str]) -> Document:
    return document(statement(
        "Allow", "sts:AssumeRoleWithWebIdentity", sid="GitHubWorkflowOnMain", resources=None,
        condition={"StringEquals": {f"{GITHUB_ISSUER}:aud": "sts.amazonaws.com", f"{GITHUB_ISSUER}:sub": subjects}},
    ) | {"Principal": {"Federated": oidc_provider_arn}})


def subject(project: Project, *, environment: str, workflow: str) -> str:
    """The OIDC `sub` of a job in GitHub environment `environment` of `workflow` on main, with the
    repository's subject template set to SUBJECT_CLAIMS."""
    repository = project.github.repository
    return (f"repo:{repository}:environment:{environment}:"
            f"job_workflow_ref:{repository}/.github/workflows/{workflow}@refs/heads/main")


def plan_environment(group: StackGroup) -> str:
    return f"plan-{group.name}"


def plan_subjects(group: StackGroup) -> list[str]:
    return [subject(group.project, environment=plan_environment(group), workflow=workflow)
            for workflow in PLAN_WORKFLOWS]


def deploy_subjects(group: StackGroup) -> list[str]:
    workflows = (*DEPLOY_WORKFLOWS, *((TEARDOWN_WORKFLOW,) if group.teardown else ()))
    return [subject(group.project, environment=group.name, workflow=workflow) for workflow in workflows]
