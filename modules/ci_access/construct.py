"""AWS access for GitHub Actions through OIDC: no static keys anywhere.

Part of the bootstrap stack, which only an administrator applies: no role GitHub can assume
can change these roles, their trust or the boundaries (modules/ci_access/policies.py holds the
documents and the reasoning). Per stack group (`shared`, each workspace):

- a plan role, assumable only by the plan workflow on main in the group's `plan-<group>`
  GitHub environment: ViewOnlyAccess plus the provider's refresh reads, no data reads, its own state object;
- a deploy role, assumable only by the deploy workflow on main in the group's environment
  (staging and prod require approval);
- for workspaces, the permissions boundary every role the group creates must carry.
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.ci_access import boundary, policies
from modules.ci_access.policies import StackGroup
from modules.ci_access.reads import PLAN_MANAGED_POLICY


def _id(name: str) -> str:
    return name.replace("-", "_")


class GitHubAccess(Construct):
    def __init__(self, scope: Construct, id_: str, *, groups: list[StackGroup]) -> None:
        super().__init__(scope, id_)
        project = groups[0].project
        arns = policies.Arns(project)
        self._path = policies.ci_role_path(project)
        self.oidc = IamOpenidConnectProvider(
            self, "github_oidc", url=f"https://{policies.GITHUB_ISSUER}", client_id_list=["sts.amazonaws.com"],
        )
        oidc_arn = self.oidc.arn
        self.plan_roles: dict[str, IamRole] = {}
        self.deploy_roles: dict[str, IamRole] = {}
        self.boundaries: dict[str, IamPolicy] = {}
        for group in groups:
            others = [other for other in groups if other.name != group.name]
            if group.is_workspace:
                self.boundaries[group.name] = IamPolicy(
                    self, f"{_id(group.name)}_boundary", name=group.boundary_name,
                    description=f"Permissions boundary of every role the {group.name} stacks create",
                    policy=json.dumps(boundary.boundary_policy(group)),
                )
            plan = self._role(f"plan_{_id(group.name)}", group.plan_role_name, policies.plan_subjects(group),
                              oidc_arn, f"GitHub Actions: plan {group.name} (read-only, no data reads)")
            IamRolePolicyAttachment(self, f"plan_{_id(group.name)}_view_only", role=plan.name,
                                    policy_arn=f"arn:{arns.aws.partition}:iam::aws:policy/{PLAN_MANAGED_POLICY}")
            IamRolePolicy(self, f"plan_{_id(group.name)}_policy", role=plan.id, name="plan",
                          policy=json.dumps(policies.plan_policy(group, others)))
            deploy = self._role(
                f"deploy_{_id(group.name)}", group.deploy_role_name,
                policies.deploy_subjects(group),
                oidc_arn, f"GitHub Actions: deploy {group.name} from main",
            )
            IamRolePolicy(self, f"deploy_{_id(group.name)}_policy", role=deploy.id, name="deploy",
                          policy=json.dumps(policies.deploy_policy(group, others)))
            self.plan_roles[group.name] = plan
            self.deploy_roles[group.name] = deploy

    def _role(self, id_: str, name: str, subjects: list[str], oidc_arn: str, description: str) -> IamRole:
        return IamRole(
            self, f"{id_}_role", name=name, path=self._path, description=description,
            max_session_duration=3600,
            assume_role_policy=json.dumps(policies.trust_policy(oidc_arn, subjects)),
        )
