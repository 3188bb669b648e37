"""State bucket (versioned, KMS, private, TLS-only) and DynamoDB lock table (on-demand, PITR)."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from environments.model import Project
from modules import policies
from modules.aws import AwsContext
from modules.ci_access.policies import StackGroup, lock_key_alias
from modules.storage.construct import SecureBucket


class StateBackend(Construct):
    """The bucket and the lock table, their key, and one key per stack group for its state objects
    (each group's CI roles may use only their own; modules/ci_access/policies.py)."""

    def __init__(self, scope: Construct, id_: str, *, project: Project, aws: AwsContext,
                 groups: list[StackGroup]) -> None:
        super().__init__(scope, id_)
        # Losing the state bucket, its key or the lock table orphans every workspace.
        keep = TerraformResourceLifecycle(prevent_destroy=True)
        self.key = KmsKey(
            self, "state_key", description=f"{project.name}: Terraform state and locks",
            enable_key_rotation=True, deletion_window_in_days=30, lifecycle=keep,
            policy=policies.document(policies.account_administers_key(aws)),
        )
        KmsAlias(self, "state_key_alias", name=lock_key_alias(project), target_key_id=self.key.key_id)
        self.group_keys: dict[str, KmsKey] = {}
        for group in groups:
            group_id = group.name.replace("-", "_")
            group_key = KmsKey(
                self, f"{group_id}_state_key", description=f"{project.name}: Terraform state of {group.name}",
                enable_key_rotation=True, deletion_window_in_days=30, lifecycle=keep,
                # No Workspace tag: the stack's TrustRoot tag; other groups are denied it by alias.
                policy=policies.document(policies.account_administers_key(aws)),
            )
            KmsAlias(self, f"{group_id}_state_key_alias", name=group.state_key_alias, target_key_id=group_key.key_id)
            self.group_keys[group.name] = group_key
        self.bucket = SecureBucket(
            self, "state",
            bucket=project.state.bucket,
            kms_key_arn=self.key.arn,
            force_destroy=False,
            noncurrent_version_days=90,
        )
        self.bucket.bucket.add_override("lifecycle.prevent_destroy", True)
        self.lock_table = DynamodbTable(
            self, "lock_table", name=project.state.lock_table, billing_mode="PAY_PER_REQUEST",
            hash_key="LockID", attribute=[DynamodbTableAttribute(name="LockID", type="S")],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True, kms_key_arn=self.key.arn),
            deletion_protection_enabled=True, lifecycle=keep,
        )
