"""AWS access for GitHub Actions through OIDC: no static keys anywhere.

- One plan role, read-only, assumable only from the `plan-<stack>` GitHub environments of this
  repository (pull requests): it reads every resource and the state, takes state locks.
- One deploy role per stack, assumable only from the GitHub environment of that stack (staging
  and prod environments require approval in GitHub): PowerUser rights plus IAM limited to the
  stack's own role names, PassRole to those roles, and attaching no managed policy but the one
  the stacks use.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from environments.model import Project
from modules import policies
from modules.aws import AwsContext
from modules.state_backend.construct import state_key_alias

GITHUB_ISSUER = "token.actions.githubusercontent.com"
# The only AWS managed policy a stack attaches to its own roles (RDS enhanced monitoring).
ATTACHABLE_POLICIES = ("service-role/AmazonRDSEnhancedMonitoringRole",)
SERVICE_LINKED_ROLES = ("ecs.amazonaws.com", "rds.amazonaws.com", "elasticloadbalancing.amazonaws.com",
                        "ecs.application-autoscaling.amazonaws.com", "elasticfilesystem.amazonaws.com")


def plan_environment(stack: str) -> str:
    return f"plan-{stack}"


class GitHubAccess(Construct):
    def __init__(self, scope: Construct, id_: str, *, project: Project, aws: AwsContext, stacks: list[str]) -> None:
        super().__init__(scope, id_)
        self._project = project
        self._aws = aws
        self.oidc = IamOpenidConnectProvider(
            self, "github_oidc", url=f"https://{GITHUB_ISSUER}", client_id_list=["sts.amazonaws.com"],
        )
        iam = f"arn:{aws.partition}:iam::"
        self.plan_role = self._role(
            "plan", [plan_environment(stack) for stack in stacks],
            "GitHub Actions, pull requests: plan every stack (read-only)",
        )
        IamRolePolicyAttachment(self, "plan_read_only", role=self.plan_role.name,
                                policy_arn=f"{iam}aws:policy/ReadOnlyAccess")
        IamRolePolicy(self, "plan_state", role=self.plan_role.id, name="terraform-state",
                      policy=policies.document(*self._state_statements(write=False)))
        self.deploy_roles: dict[str, IamRole] = {}
        for stack in stacks:
            role = self._role(f"deploy-{stack}", [stack], f"GitHub Actions, environment {stack}: deploy that stack")
            IamRolePolicyAttachment(self, f"deploy_{stack.replace('-', '_')}_power_user", role=role.name,
                                    policy_arn=f"{iam}aws:policy/PowerUserAccess")
            owned = f"{project.name}-{stack}-*" if stack != "shared" else f"{project.name}-github-*"
            IamRolePolicy(
                self, f"deploy_{stack.replace('-', '_')}_policy", role=role.id, name="deploy",
                policy=policies.document(
                    *self._state_statements(write=True),
                    policies.allow(
                        ["iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:TagRole",
                         "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:GetRolePolicy",
                         "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
                         "iam:ListInstanceProfilesForRole", "iam:PassRole"],
                        f"{iam}{aws.account_id}:role/{owned}", sid="ManageOwnRoles",
                    ),
                    policies.allow(
                        ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], f"{iam}{aws.account_id}:role/{owned}",
                        sid="AttachOnlyTheMonitoringPolicy",
                        condition={"ArnEquals": {"iam:PolicyARN": [f"{iam}aws:policy/{name}"
                                                                   for name in ATTACHABLE_POLICIES]}},
                    ),
                    policies.allow(
                        ["iam:CreateServiceLinkedRole"], f"{iam}{aws.account_id}:role/aws-service-role/*",
                        sid="ServiceLinkedRoles",
                        condition={"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLES)}},
                    ),
                    *([policies.allow(
                        ["iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider",
                         "iam:GetOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
                         "iam:UpdateOpenIDConnectProviderThumbprint"],
                        f"{iam}{aws.account_id}:oidc-provider/{GITHUB_ISSUER}", sid="ManageGitHubProvider",
                    )] if stack == "shared" else []),
                ),
            )
            self.deploy_roles[stack] = role

    def _role(self, suffix: str, environments: list[str], description: str) -> IamRole:
        repository = self._project.github.repository
        return IamRole(
            self, f"{suffix.replace('-', '_')}_role", name=f"{self._project.name}-github-{suffix}",
            description=description, max_session_duration=3600,
            assume_role_policy=policies.document({
                "Sid": "GitHubEnvironments",
                "Effect": "Allow",
                "Principal": {"Federated": self.oidc.arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_ISSUER}:aud": "sts.amazonaws.com",
                        f"{GITHUB_ISSUER}:sub": [f"repo:{repository}:environment:{name}" for name in environments],
                    },
                },
            }),
        )

    def _state_statements(self, *, write: bool) -> list[policies.Statement]:
        project, aws = self._project, self._aws
        bucket = f"arn:{aws.partition}:s3:::{project.state.bucket}"
        object_actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] if write else ["s3:GetObject"]
        return [
            policies.allow(["s3:ListBucket"], bucket, sid="ListState"),
            policies.allow(object_actions, f"{bucket}/{project.name}/*", sid="State"),
            policies.allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable"],
                           aws.arn("dynamodb", f"table/{project.state.lock_table}", region=project.region),
                           sid="StateLocks"),
            policies.allow(
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], "*", sid="StateAndWorkspaceKeys",
                # Keys are chosen by alias: the state key and the workspace keys (SSM SecureStrings).
                condition={"ForAnyValue:StringLike": {"kms:ResourceAliases": [
                    state_key_alias(project), f"alias/{project.name}-*",
                ]}},
            ),
        ]
