"""Workspace KMS key, and the secret parameters of a workspace in SSM Parameter Store.

No secret value is in the synthesized JSON, the Terraform state or a plan (Terraform >= 1.11):
generated values come from an ephemeral resource (AWS Secrets Manager's GetRandomPassword) and
reach SSM through write-only arguments; provided values are placeholders that Terraform writes
once and `main.py set-secret` replaces (environments/secret_inputs.py).
"""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from environments.secret_inputs import MASTER_KEY, PLACEHOLDER, REDIS_PASSWORD, SALT_KEY, SecretParameter
from modules import policies
from modules.aws import AwsContext


class WorkspaceKey(Construct):
    """Customer-managed key of a workspace: logs, RDS (and its managed password), EFS, SNS, S3 config.
    Never the secret parameters: those have the secrets stack's own key (SecretsKey)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        alias: str,
        aws: AwsContext,
        log_group_patterns: list[str],
        deletion_window_days: int,
        purpose: str = "logs, database, file system, config and alarms",
    ) -> None:
        super().__init__(scope, id_)
        log_group_arns = [aws.arn("logs", f"log-group:{pattern}") for pattern in log_group_patterns]
        self.key = KmsKey(
            self, "key",
            description=f"{alias}: {purpose}",
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=policies.document(
                policies.account_administers_key(aws),
                {
                    "Sid": "CloudWatchLogsEncryptsWorkspaceLogGroups",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{aws.region}.amazonaws.com"},
                    "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                               "kms:Describe*"],
                    "Resource": "*",
                    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arns}},
                },
                {
                    # Alarms and EventBridge (failed deployments) publish to the KMS-encrypted SNS topic.
                    "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": aws.account_id}},
                },
            ),
        )
        KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id)
        self.arn = self.key.arn


# Write-only values are sent when this number changes, never otherwise: each parameter is written
# once. Rotating the master key means raising its version (never the salt key's).
WRITE_ONCE = 1
# Characters of a generated secret: letters and digits, so that it survives any quoting.
GENERATED_LENGTH = 48
RANDOM_PASSWORD = "aws_secretsmanager_random_password"
# What a generated value is stored as, per container variable (LiteLLM master keys start with sk-).
GENERATED_FORMAT = {MASTER_KEY: "sk-{}", SALT_KEY: "{}", REDIS_PASSWORD: "{}"}


class SecretsKey(Construct):
    """A key for the workspace's secret parameters only: the roles that plan or run the workspace
    never need it, so a grant on the workspace key (logs, RDS, EFS) reveals no secret."""

    def __init__(self, scope: Construct, id_: str, *, alias: str, aws: AwsContext, deletion_window_days: int) -> None:
        super().__init__(scope, id_)
        self.key = KmsKey(
            self, "key", description=f"{alias}: secret parameters only",
            enable_key_rotation=True, deletion_window_in_days=deletion_window_days,
            # Use is granted by IAM policies: the deploy role of the workspace and the task's execution role.
            policy=policies.document(policies.account_administers_key(aws)),
        )
        KmsAlias(self, "alias", name=alias, target_key_id=self.key.key_id)
        self.arn = self.key.arn


class SecretParameters(Construct):
    """The task's secrets as SecureString parameters under the workspace path, written once."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        ssm_path: str,
        kms_key_arn: str,
        generated: tuple[SecretParameter, ...],
        provided: list[SecretParameter],
        protect_salt_key: bool,
    ) -> None:
        super().__init__(scope, id_)
        self._ssm_path = ssm_path
        self._kms_key_arn = kms_key_arn
        self.parameters: dict[str, SsmParameter] = {}
        stack = TerraformStack.of(self)
        for secret in generated:
            source = secret.env.lower()
            # cdktf 0.21 has no class for ephemeral resources: the stack's escape hatch writes the block.
            stack.add_override(f"ephemeral.{RANDOM_PASSWORD}.{source}", {
                "password_length": GENERATED_LENGTH,
                "exclude_punctuation": True,
                "include_space": False,
                "require_each_included_type": True,
            })
            value = GENERATED_FORMAT[secret.env].format(f"${{ephemeral.{RANDOM_PASSWORD}.{source}.random_password}}")
            # Changing the salt key makes every credential LiteLLM stored undecryptable: kept where
            # the database is protected.
            lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if (
                secret.env == SALT_KEY and protect_salt_key) else None
            self._parameter(secret, value, lifecycle=lifecycle)
        for secret in provided:
            self._parameter(secret, PLACEHOLDER)

    def _parameter(self, secret: SecretParameter, value: str,
                   lifecycle: TerraformResourceLifecycle | None = None) -> SsmParameter:
        parameter = SsmParameter(
            self, f"{secret.env.lower()}_parameter",
            name=f"{self._ssm_path}/{secret.parameter}",
            type="SecureString",
            key_id=self._kms_key_arn,
            value_wo=value,
            value_wo_version=WRITE_ONCE,
            description=secret.description + (f"; set with: main.py set-secret {secret.name}" if secret.name else ""),
            lifecycle=lifecycle,
        )
        self.parameters[secret.env] = parameter
        return parameter
