"""An S3 bucket with the settings every bucket of the project shares."""

from __future__ import annotations

from collections.abc import Callable

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from modules import policies


class SecureBucket(Construct):
    """Versioned, encrypted, private, TLS-only bucket, owner-enforced (no ACLs).

    kms_key_arn None means SSE-S3: ALB access log delivery cannot write with a KMS key.
    extra_policy receives the bucket ARN and returns further bucket policy statements.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket: str | None = None,
        bucket_prefix: str | None = None,
        kms_key_arn: str | None,
        force_destroy: bool,
        noncurrent_version_days: int,
        current_version_days: int | None = None,
        extra_policy: Callable[[str], list[policies.Statement]] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = S3Bucket(
            self, "bucket", bucket=bucket, bucket_prefix=bucket_prefix, force_destroy=force_destroy
        )
        S3BucketOwnershipControls(
            self, "ownership", bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        S3BucketPublicAccessBlock(
            self, "public_access_block", bucket=self.bucket.id, block_public_acls=True,
            block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
        )
        S3BucketVersioningA(
            self, "versioning", bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        default = (
            S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
            )
            if kms_key_arn
            else S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="AES256"
            )
        )
        S3BucketServerSideEncryptionConfigurationA(
            self, "encryption", bucket=self.bucket.id,
            rule=[S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=default, bucket_key_enabled=bool(kms_key_arn)
            )],
        )
        S3BucketLifecycleConfiguration(
            self, "lifecycle", bucket=self.bucket.id,
            rule=[S3BucketLifecycleConfigurationRule(
                id="expire-old-versions",
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                ],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=noncurrent_version_days
                    )
                ],
                expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=current_version_days)]
                if current_version_days
                else None,
            )],
        )
        self.policy = S3BucketPolicy(
            self, "policy", bucket=self.bucket.id,
            policy=policies.document(
                policies.deny_insecure_transport(self.bucket.arn),
                *(extra_policy(self.bucket.arn) if extra_policy else []),
            ),
        )
