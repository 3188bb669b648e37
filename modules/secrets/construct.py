"""Workspace KMS key, generated secrets and provider API keys in SSM Parameter Store.

Generated values (master key, salt key, database password) come from random_password: they
never appear in code or in the synthesized JSON, only in the (KMS-encrypted, access-restricted)
Terraform state and in SSM. Secrets from outside (provider API keys, the Redis password) come
from sensitive Terraform variables fed by CI secrets (environments/secret_inputs.py); a provider
that is not declared gets no variable, no parameter and no model.
"""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle, TerraformVariable, TerraformVariableValidationConfig
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from cdktf_cdktf_provider_random.password import Password
from constructs import Construct

from environments.secret_inputs import MASTER_KEY, SALT_KEY, SecretVariable
from modules import policies
from modules.aws import AwsContext


class WorkspaceKey(Construct):
    """Customer-managed key of a workspace: SSM parameters, logs, RDS, EFS, SNS, S3 config."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        alias: str,
        aws: AwsContext,
        log_group_patterns: list[str],
        deletion_window_days: int,
    ) -> None:
        super().__init__(scope, id_)
        root = f"arn:{aws.partition}:iam::{aws.account_id}:root"
        log_group_arns = [aws.arn("logs", f"log-group:{pattern}") for pattern in log_group_patterns]
        self.key = KmsKey(
            self, "key",
            description=f"{alias}: secrets, logs, database, file system and alarms",
            enable_key_rotation=True,
            deletion_window_in_days=deletion_window_days,
            policy=policies.document(
                {
                    # Key administration and use are delegated to IAM policies of this account.
                    "Sid": "AccountAdministersKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
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
                    # Alarms publish to the KMS-encrypted SNS topic.
                    "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": aws.account_id}},
                },
            ),
        )
        KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id)
        self.arn = self.key.arn


class Secrets(Construct):
    """The task's secrets as SSM SecureString parameters under the workspace path."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        ssm_path: str,
        kms_key_arn: str,
        variables: list[SecretVariable],
        protect_salt_key: bool,
    ) -> None:
        super().__init__(scope, id_)
        self._ssm_path = ssm_path
        self._kms_key_arn = kms_key_arn
        self.parameters: dict[str, SsmParameter] = {}

        master = Password(self, "master_key", length=48, special=False)
        self.parameter(MASTER_KEY, "litellm/master_key", f"sk-{master.result}",
                       "LiteLLM admin key; clients and the UI log in with it")
        # Changing the salt key makes every credential LiteLLM stored undecryptable: generated
        # once, and protected from destroy where the database is protected.
        salt = Password(
            self, "salt_key", length=48, special=False,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=protect_salt_key),
        )
        self.parameter(SALT_KEY, "litellm/salt_key", salt.result,
                       "LiteLLM salt key; encrypts stored provider credentials; never rotate")
        # URL-safe specials only: the password is embedded in DATABASE_URL.
        self.database_password = Password(
            self, "database_password", length=32, special=True, override_special="-_",
            min_lower=2, min_upper=2, min_numeric=2,
        ).result

        for secret in variables:
            name = secret.variable
            variable = TerraformVariable(
                self, name,
                type="string",
                sensitive=True,
                nullable=False,
                description=f"{secret.description} (set TF_VAR_{name} from a CI secret)",
                validation=[TerraformVariableValidationConfig(
                    condition=f"${{length(trimspace(var.{name})) > 0}}",
                    error_message=f"The {secret.description} is empty: set TF_VAR_{name}.",
                )],
            )
            variable.override_logical_id(name)
            self.parameter(secret.env, secret.parameter, variable.string_value,
                           f"{secret.description}, from the TF_VAR_{name} CI secret")

    def parameter(self, env_name: str, relative_name: str, value: str, description: str) -> SsmParameter:
        """Create a SecureString parameter for the container variable `env_name`."""
        parameter = SsmParameter(
            self, f"{env_name.lower()}_parameter",
            name=f"{self._ssm_path}/{relative_name}",
            type="SecureString",
            key_id=self._kms_key_arn,
            value=value,
            description=description,
        )
        self.parameters[env_name] = parameter
        return parameter
