"""What the CI roles may read, as data: the data reads no CI role makes, and the reads a plan role
needs to refresh this project's resources (modules/ci_access/policies.py builds the documents)."""

# Reads that return data rather than describe a resource: denied to plan roles (whatever a managed
# policy may grant one day), and to deploy roles but for the parameters their secrets stacks refresh.
DATA_READS = (
    "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
    "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
    "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults", "logs:GetLogRecord",
    "logs:StartLiveTail",
    "lambda:GetFunction", "lambda:InvokeFunction", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
    "rds:DownloadDBLogFilePortion", "rds:DownloadCompleteDBLogFile", "ec2:GetConsoleOutput",
    "ec2:GetConsoleScreenshot", "ec2:GetPasswordData",
)
# The AWS managed policy of every plan role: lists and descriptions, no content.
PLAN_MANAGED_POLICY = "job-function/ViewOnlyAccess"
# Item reads: only the lock table's own items (OwnStateLocks) are ever read.
TABLE_DATA_READS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
                    "dynamodb:GetRecords", "dynamodb:ExportTableToPointInTime", "dynamodb:PartiQLSelect")
# Plan roles hold AWS's ViewOnlyAccess (lists and descriptions, no content) plus the reads hashicorp/aws
# 5.100.0 makes to refresh this project's resources that ViewOnlyAccess lacks. Measured: every read of
# dev-ci's apply on moto (tests/test_moto_deploy.py proves each is allowed to the plan role).
REFRESH_READS_MEASURED = (
    "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:ListTagsForResource", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
    "elasticfilesystem:DescribeAccessPoints", "elasticfilesystem:DescribeBackupPolicy",
    "elasticfilesystem:DescribeFileSystemPolicy", "elasticfilesystem:DescribeFileSystems",
    "elasticfilesystem:DescribeLifecycleConfiguration", "elasticfilesystem:DescribeMountTargetSecurityGroups",
    "elasticfilesystem:DescribeMountTargets", "elasticfilesystem:ListTagsForResource",
    "elasticloadbalancing:DescribeCapacityReservation", "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTargetGroupAttributes",
    "events:DescribeRule", "events:ListTagsForResource", "events:ListTargetsByRule",
    "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags",
    "rds:ListTagsForResource",
    "s3:GetAccelerateConfiguration", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketLogging",
    "s3:GetBucketObjectLockConfiguration", "s3:GetBucketOwnershipControls", "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock", "s3:GetBucketRequestPayment", "s3:GetBucketTagging", "s3:GetBucketVersioning",
    "s3:GetBucketWebsite", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
    "s3:GetObjectTagging", "s3:GetReplicationConfiguration", "sns:GetTopicAttributes",
    "states:DescribeStateMachine", "states:ListTagsForResource", "states:ValidateStateMachineDefinition",
)
# Types no stack applied on moto here (CDN and its managed-policy data sources, DNS, WAF, Redis, ECR, the
# rotation schedule, the listener rules of the admin routes, which dev-ci does not have): their read calls,
# from the provider's read functions (modules/ci_access/provider_reads.py, which tests/test_refresh_reads.py
# holds against every synthesized type), where ViewOnlyAccess lacks them.
REFRESH_READS_NOT_MEASURED = (
    "acm:DescribeCertificate", "acm:ListTagsForCertificate", "cloudfront:GetDistribution", "cloudfront:GetVpcOrigin",
    "cloudfront:GetCachePolicy", "cloudfront:GetOriginRequestPolicy", "cloudfront:GetResponseHeadersPolicy",
    "ecr:GetLifecyclePolicy", "ecr:ListTagsForResource", "elasticache:ListTagsForResource",
    "elasticloadbalancing:DescribeRules", "secretsmanager:DescribeSecret", "wafv2:GetIPSet",
    "wafv2:GetLoggingConfiguration", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
)
