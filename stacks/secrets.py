"""One secrets stack per workspace ("<workspace>-secrets"): the KMS key of its secret parameters
and the parameters themselves, written once through write-only arguments.

It is a stack of its own because reading it back needs what nothing else may have: the AWS
provider refreshes an SSM parameter with GetParameter(WithDecryption=true), write-only or not.
So the workspace stack, which pull requests plan with a read-only role, holds no parameter
whose refresh reveals a secret; this one is planned and applied by the workspace's deploy role
only, from main.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from environments.secret_inputs import generated_secrets, provided_secrets
from environments.workspace import Workspace
from modules.aws import AwsContext
from modules.secrets.construct import SecretParameters, SecretsKey
from stacks.backend import s3_backend
from stacks.base import ProjectStack


class SecretsStack(ProjectStack):
    def __init__(self, scope: Construct, id_: str, *, workspace: Workspace) -> None:
        super().__init__(scope, id_)
        project, settings = workspace.project, workspace.settings
        s3_backend(self, project=project, key=workspace.secrets_state_key, group=workspace.name)
        self.aws_provider(project=project, region=settings.region,
                          tags={"Workspace": workspace.name, "Tier": settings.tier, **settings.tags})
        key = SecretsKey(
            self, "secrets_key", alias=workspace.secrets_key_alias,
            aws=AwsContext(account_id=project.aws_account_id, region=settings.region),
            deletion_window_days=30 if workspace.is_production else 7,
        )
        secrets = SecretParameters(
            self, "secrets", ssm_path=workspace.ssm_path, kms_key_arn=key.arn,
            generated=generated_secrets(settings), provided=provided_secrets(settings),
            protect_salt_key=settings.database.deletion_protection,
        )
        TerraformOutput(
            self, "ssm_parameters", description="SSM parameter name of each container secret",
            value={name: parameter.name for name, parameter in secrets.parameters.items()},
        )
