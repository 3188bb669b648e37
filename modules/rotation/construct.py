"""The database password's rotation, and the roll that follows it, with no Lambda.

Secrets Manager rotates the RDS-managed master password on the workspace's schedule (when it has
one). Tasks read DATABASE_PASSWORD once, at start, so a successful rotation must replace them:
EventBridge matches the secret's AWSCURRENT move and starts a Step Functions state machine whose
one task calls ECS UpdateService (forceNewDeployment) through the AWS SDK integration. Each of the
two roles may do exactly one thing: start this state machine; update this service.
"""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.secretsmanager_secret_rotation import (
    SecretsmanagerSecretRotation,
    SecretsmanagerSecretRotationRotationRules,
)
from cdktf_cdktf_provider_aws.sfn_state_machine import SfnStateMachine
from constructs import Construct

from modules import policies
from modules.aws import AwsContext
from modules.iam.boundary import RolePlacement
from modules.rotation import documents


class PasswordRotation(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        aws: AwsContext,
        secret_arn: str,
        rotation_days: int | None,
        cluster_name: str,
        service_name: str,
        service_arn: str,
        role_placement: RolePlacement,
    ) -> None:
        super().__init__(scope, id_)
        if rotation_days is not None:
            # Without rotation_lambda_arn: RDS rotates its own secret (managed rotation). Not at once:
            # creating the schedule must not rotate the password of a database just created.
            SecretsmanagerSecretRotation(
                self, "schedule", secret_id=secret_arn, rotate_immediately=False,
                rotation_rules=SecretsmanagerSecretRotationRotationRules(automatically_after_days=rotation_days),
            )
        name = documents.roll_name(prefix)
        state_machine_arn = aws.arn("states", f"stateMachine:{name}")
        rule_name = f"{prefix}-password-rotated"

        machine_role = IamRole(
            self, "state_machine_role", name=name, **role_placement.arguments(),
            assume_role_policy=policies.service_trust("states.amazonaws.com", account_id=aws.account_id,
                                                      source_arn=state_machine_arn),
            description="Rolls the LiteLLM service after its database password rotated",
        )
        machine_policy = IamRolePolicy(
            self, "state_machine_role_policy", role=machine_role.id, name="roll-service",
            policy=policies.document(*documents.state_machine_role_statements(service_arn)),
        )
        self.state_machine = SfnStateMachine(
            self, "state_machine", name=name, type="STANDARD", role_arn=machine_role.arn,
            definition=json.dumps(documents.state_machine_definition(cluster=cluster_name, service=service_name)),
            depends_on=[machine_policy],
        )
        events_role = IamRole(
            self, "events_role", name=f"{name}-events", **role_placement.arguments(),
            assume_role_policy=policies.service_trust("events.amazonaws.com", account_id=aws.account_id,
                                                      source_arn=aws.arn("events", f"rule/{rule_name}")),
            description="EventBridge: start the roll of the LiteLLM service",
        )
        events_policy = IamRolePolicy(
            self, "events_role_policy", role=events_role.id, name="start-roll",
            policy=policies.document(*documents.events_role_statements(self.state_machine.arn)),
        )
        rule = CloudwatchEventRule(
            self, "rule", name=rule_name,
            description="The database password rotated (AWSCURRENT moved): roll the LiteLLM service",
            event_pattern=json.dumps(documents.event_pattern(secret_arn)),
        )
        CloudwatchEventTarget(
            self, "target", rule=rule.name, arn=self.state_machine.arn, role_arn=events_role.arn,
            depends_on=[events_policy],
        )
