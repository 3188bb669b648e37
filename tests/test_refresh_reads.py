"""The plan roles' reads (modules/ci_access/reads.py) cross-checked against the provider: the measured
reads (tests/test_moto_deploy.py) miss whatever moto was not asked to apply or skipped; here every type
of every synthesized stack (shipped and examples) has the calls hashicorp/aws 5.100.0 makes to plan it
recorded (modules/ci_access/provider_reads.py), each a real botocore operation, each allowed to the plan
role that plans it and none a data read, and every read the plan roles hold is one some type needs."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass

import botocore.session
import pytest

from environments.loader import Environments, load_environments
from modules.ci_access import policies, provider_reads
from modules.ci_access.policies import StackGroup
from modules.ci_access.provider_reads import BLOCKS, IAM_ACTIONS, IAM_PREFIXES, PLAN_CALLS, calls_of, iam_action
from modules.ci_access.reads import (
    DATA_READS,
    PLAN_MANAGED_POLICY,
    REFRESH_READS_MEASURED,
    REFRESH_READS_NOT_MEASURED,
    TABLE_DATA_READS,
)
from review.plan_gate import DATA_SOURCES as GATE_DATA_SOURCES
from tests import terraform_cli
from tests.conftest import EXAMPLE_DIRECTORIES, ROOT, read_example_stacks
from tests.iam_simulator import ALLOWED, Request, aws_managed_policy, decide

REFRESH_READS = {*REFRESH_READS_MEASURED, *REFRESH_READS_NOT_MEASURED}
# Stacks no plan role plans (plan-stacks.yml and drift.yml plan `shared` and each workspace's stack), and
# who refreshes them instead: their types are recorded and checked against botocore all the same.
NOT_PLANNED_BY_A_PLAN_ROLE = {
    "bootstrap": "an administrator applies the trust root with credentials of their own (README: Setting up GitHub)",
    "secrets": "the workspace's deploy role plans and applies `<workspace>-secrets` (deploy.yml); checked below",
}
# Recorded reads that are data reads, and why no plan role is the worse for it.
DATA_READS_RECORDED = {
    "ssm:GetParameter": "aws_ssm_parameter's read (the value, decrypted) is in secrets stacks only, which the "
                        "deploy role refreshes (its NoDataReads spares ssm) and no plan role plans",
}
# Reads the plan roles hold that no read of 5.100.0 makes for any synthesized type, and why they stay.
NOT_A_READ_OF_ANY_TYPE = {
    "elasticfilesystem:ListTagsForResource": (
        "moto records it during dev-ci's apply, so test_moto_deploy asserts the plan role holds it; yet no "
        "function of the 5.100.0 binary calls EFS ListTagsForResource (the file system and access point reads "
        "take their tags from the descriptions, and EFS's listTags uses DescribeTags): which request moto names "
        "so is not determined; kept while it is measured"),
}
# Reads allowed to a plan role by a statement scoped to its own resources rather than by RefreshReads.
SCOPED = {"s3:GetObject": "OwnConfigObject: HeadObject of the workspace's config object (aws_s3_object)"}


@dataclass(frozen=True)
class Project:
    label: str
    environments: Environments
    stacks: dict[str, dict]

    @property
    def groups(self) -> dict[str, StackGroup]:
        return {group.name: group for group in policies.stack_groups(self.environments)}

    def others(self, name: str) -> list[StackGroup]:
        return [group for other, group in self.groups.items() if other != name]

    def kind(self, stack: str) -> str:
        if stack == "bootstrap":
            return "bootstrap"
        return "secrets" if stack.endswith("-secrets") else "planned"


@pytest.fixture(scope="module")
def example_stacks(examples_outdir) -> dict[str, dict[str, dict]]:
    return {name: stacks for name, stacks in read_example_stacks(examples_outdir).items()
            if name in {directory.name for directory in EXAMPLE_DIRECTORIES}}


@pytest.fixture(scope="module")
def projects(stacks, example_stacks) -> list[Project]:
    return [Project("shipped", load_environments(), stacks),
            *(Project(path.name, load_environments(None, directory=path), example_stacks[path.name])
              for path in EXAMPLE_DIRECTORIES)]


def types_of(stack: dict) -> list[tuple[str, str]]:
    """(block, type) of every resource, data source and ephemeral resource in a synthesized stack."""
    return [(block, name) for block in ("resource", "data", "ephemeral") for name in stack.get(block, {})]


def synthesized(projects: list[Project]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for project in projects:
        for stack_name, stack in project.stacks.items():
            for key in types_of(stack):
                found.setdefault(key, set()).add(f"{project.label}/{stack_name}")
    return found


def planned_calls(project: Project, stack_name: str) -> dict[str, set[str]]:
    """IAM action -> the types of one stack that make it when the stack is planned (an unrecorded type makes
    test_every_synthesized_type_has_its_calls_recorded fail)."""
    found: dict[str, set[str]] = {}
    for block, name in types_of(project.stacks[stack_name]):
        for call in calls_of(block, name) if name in BLOCKS.get(block, {}) else ():
            found.setdefault(iam_action(call), set()).add(name)
    return found


def every_planned_call(projects: list[Project]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for project in projects:
        for stack_name in project.stacks:
            if project.kind(stack_name) == "planned":
                for action, names in planned_calls(project, stack_name).items():
                    found.setdefault(action, set()).update(names)
    return found


def test_every_synthesized_type_has_its_calls_recorded(projects):
    """A new resource, data source or ephemeral resource type cannot slip in: it fails here until the calls
    the provider makes to read it are in modules/ci_access/provider_reads.py."""
    missing = {f"{block} {name}": sorted(where) for (block, name), where in synthesized(projects).items()
               if name not in BLOCKS.get(block, {})}
    assert not missing, f"record what hashicorp/aws reads for these (provider_reads.py): {missing}"
    blocks = {block for project in projects for stack in project.stacks.values() for block in stack}
    assert blocks <= {"//", "terraform", "provider", "output", *BLOCKS}, f"blocks with types not read here: {blocks}"


def test_every_data_source_the_gate_allows_has_its_calls_recorded():
    """A pull request may use any allowlisted data source; its plan role must be able to read it."""
    missing = GATE_DATA_SOURCES - set(provider_reads.DATA_SOURCES)
    assert not missing, f"review/plan_gate.py allows them; record their reads (provider_reads.py): {sorted(missing)}"


def test_no_recorded_type_is_left_over(projects):
    """The table describes the stacks as they are: no entry for a type nothing synthesizes or allows."""
    known = {*synthesized(projects), *(("data", name) for name in GATE_DATA_SOURCES)}
    recorded = {(block, name) for block, table in BLOCKS.items() for name in table}
    assert recorded <= known, sorted(recorded - known)
    assert set(PLAN_CALLS) <= set(provider_reads.RESOURCES)


def every_recorded_call() -> set[str]:
    return {call for table in (*BLOCKS.values(), PLAN_CALLS) for calls in table.values() for call in calls}


def test_the_calls_are_those_of_the_provider_the_stacks_pin():
    """Another provider version reads differently: the table is derived again before the pin moves."""
    assert provider_reads.PROVIDER_VERSION == terraform_cli.AWS_VERSION
    assert f'version     = "{provider_reads.PROVIDER_VERSION}"' in (ROOT / "stacks" / "terraform.lock.hcl").read_text()


def test_every_recorded_call_is_an_operation_in_botocore():
    session = botocore.session.get_session()
    unknown = []
    for call in sorted(every_recorded_call()):
        service, operation = call.split(":")
        if service not in session.get_available_services():
            unknown.append(f"{call}: no botocore service {service!r}")
        elif operation not in session.get_service_model(service).operation_names:
            unknown.append(f"{call}: {service} has no operation {operation!r}")
    assert not unknown, "\n".join(unknown)


def test_the_iam_name_mappings_are_all_in_use():
    """IAM_ACTIONS and IAM_PREFIXES stay small: each entry renames a call the table records."""
    calls = every_recorded_call()
    assert set(IAM_ACTIONS) <= calls, set(IAM_ACTIONS) - calls
    assert set(IAM_PREFIXES) <= {call.split(":")[0] for call in calls}


def view_only_allows(action: str) -> bool:
    document = aws_managed_policy(PLAN_MANAGED_POLICY.split("/")[-1])
    patterns = [pattern for statement in document["Statement"] if statement["Effect"] == "Allow"
                for pattern in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])]
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in patterns)


def test_every_read_viewonlyaccess_lacks_is_a_refresh_read(projects):
    """What a plan makes for the types of the stacks plan roles plan: ViewOnlyAccess has it, or RefreshReads,
    or a statement scoped to the group's own resources (the simulator below decides; this names the gap)."""
    lacking = {action: sorted(names) for action, names in every_planned_call(projects).items()
               if not view_only_allows(action) and action not in REFRESH_READS and action not in SCOPED}
    assert not lacking, f"add to REFRESH_READS_NOT_MEASURED (modules/ci_access/reads.py): {lacking}"


def test_no_recorded_read_is_a_data_read_but_the_ones_explained(projects):
    data = {*DATA_READS, *TABLE_DATA_READS}
    planned = set(every_planned_call(projects))
    assert not planned & data, sorted(planned & data)
    recorded = {iam_action(call) for call in every_recorded_call()}
    assert recorded & data == set(DATA_READS_RECORDED)


def test_every_refresh_read_is_one_a_planned_type_needs(projects):
    """No read in RefreshReads that no type of a planned stack needs, but the ones explained above."""
    unneeded = REFRESH_READS - set(every_planned_call(projects))
    assert unneeded - set(NOT_A_READ_OF_ANY_TYPE) == set(), f"no planned type reads with {sorted(unneeded)}"
    assert set(NOT_A_READ_OF_ANY_TYPE) <= unneeded, "explained but needed, or gone: drop from NOT_A_READ_OF_ANY_TYPE"


def key_policy(project: Project, stack_name: str) -> dict:
    """A key's policy for KMS requests: the stack's own, else the bootstrap's (every key has the same)."""
    for name in (stack_name, "bootstrap"):
        keys = project.stacks[name].get("resource", {}).get("aws_kms_key", {})
        if keys:
            return json.loads(next(iter(keys.values()))["policy"])
    raise AssertionError(f"{project.label}: no key policy")


OBJECT_READS = ("s3:GetObject", "s3:GetObjectTagging")


def request(project: Project, group: StackGroup, action: str, identity: tuple, principal: str,
            stack_name: str) -> Request:
    name, prefix = project.environments.project.name, group.resource_prefix
    fill = {"Partition": "aws", "Region": project.environments.project.region,
            "Account": project.environments.project.aws_account_id, "BucketName": f"{prefix}-config-x",
            "RoleNameWithPath": f"{name}/{group.name}/{prefix}-task", "LogGroupName": f"/{name}/{group.name}/litellm",
            "ParameterNameWithoutLeadingSlash": f"{name}/{group.name}/litellm/master_key"}
    # The first resource type of S3's object reads in AWS's service reference is an access point's object.
    object_arn = f"arn:aws:s3:::{prefix}-config-x/litellm/config.yaml"
    resource = object_arn if action in OBJECT_READS else {"derive": fill}
    return Request(principal=principal, action=action, resource=resource, identity=identity,
                   key_policy=key_policy(project, stack_name), context={"kms:ResourceAliases": [f"alias/{prefix}"]})


def refused(cases: list[tuple[Project, str, Request, list[str]]]) -> list[str]:
    found = []
    for account in sorted({project.environments.project.aws_account_id for project, *_ in cases}):
        batch = [case for case in cases if case[0].environments.project.aws_account_id == account]
        decisions = decide([found_request for _, _, found_request, _ in batch], account)
        found += [f"{project.label} {role}: {found_request.action} (for {', '.join(names)}): {decision}"
                  for (project, role, found_request, names), decision in zip(batch, decisions, strict=True)
                  if decision != ALLOWED]
    return found


@pytest.mark.tools
def test_every_plan_role_may_make_every_call_of_its_plan(projects):
    """Each plan role (shipped and examples' groups) against every call a plan of its stack makes, with its
    whole identity (inline policy and ViewOnlyAccess) and its denials, as AWS's evaluation decides."""
    cases = []
    for project in projects:
        for stack_name in project.stacks:
            if project.kind(stack_name) != "planned":
                continue
            group = project.groups[stack_name]
            identity = (("plan", policies.plan_policy(group, project.others(group.name))),
                        ("ViewOnlyAccess", aws_managed_policy(PLAN_MANAGED_POLICY.split("/")[-1])))
            principal = policies.Arns(project.environments.project).role(
                policies.ci_role_path(project.environments.project), group.plan_role_name)
            cases += [(project, group.plan_role_name, request(project, group, action, identity, principal, stack_name),
                       sorted(names)) for action, names in sorted(planned_calls(project, stack_name).items())]
    assert len(cases) > 300, len(cases)
    assert not (wrong := refused(cases)), "the plan role cannot plan its stack:\n" + "\n".join(wrong)


@pytest.mark.tools
def test_the_deploy_role_may_make_every_call_of_its_secrets_stack_plan(projects):
    """The secrets stacks no plan role plans: their deploy role refreshes the parameters (values included) and
    opens the ephemeral passwords."""
    cases = []
    for project in projects:
        for stack_name in project.stacks:
            if project.kind(stack_name) != "secrets":
                continue
            group = project.groups[stack_name.removesuffix("-secrets")]
            identity = (("deploy", policies.deploy_policy(group, project.others(group.name))),)
            principal = policies.Arns(project.environments.project).role(
                policies.ci_role_path(project.environments.project), group.deploy_role_name)
            cases += [(project, group.deploy_role_name,
                       request(project, group, action, identity, principal, stack_name), sorted(names))
                      for action, names in sorted(planned_calls(project, stack_name).items())]
    assert {found_request.action for _, _, found_request, _ in cases} >= {"ssm:GetParameter",
                                                                           "secretsmanager:GetRandomPassword"}
    assert not (wrong := refused(cases)), "the deploy role cannot plan its secrets stack:\n" + "\n".join(wrong)


def test_why_some_stacks_are_not_planned_by_a_plan_role(projects):
    """Every stack is planned by a plan role but for the kinds NOT_PLANNED_BY_A_PLAN_ROLE explains."""
    kinds = {project.kind(name) for project in projects for name in project.stacks}
    assert kinds - {"planned"} == set(NOT_PLANNED_BY_A_PLAN_ROLE)
    for project in projects:
        planned = {name for name in project.stacks if project.kind(name) == "planned"}
        assert planned == set(project.groups), (project.label, planned)
