"""The AWS API calls hashicorp/aws 5.100.0 makes to read each resource, data source and ephemeral
resource type this project synthesizes, as botocore "service:Operation" names: what `terraform plan`
calls for them. tests/test_refresh_reads.py holds them against the synthesized stacks (no type
unaccounted), botocore's service models, and each plan role (every read allowed, none of it data).

Where each comes from: the type's read function (file and function named above it, under
internal/service/ of hashicorp/terraform-provider-aws v5.100.0), the finders it calls, and, where the
read sets no tags itself ("tags: listTags"), the transparent tagging: after a read that set none the
provider lists them with the service package's listTags (tags_gen.go; the sdkv2 and framework tags
interceptors). Taken from the 5.100.0 provider binary of the Terraform mirror (every AWS SDK call
reachable from the read function, its closures and finders, by disassembly; the file and function
from the binary's own line table), and spot-checked against the provider's source. A call the read
makes only for some configurations is listed as well. A provider upgrade means deriving them again.
"""

from __future__ import annotations

PROVIDER_VERSION = "5.100.0"

# botocore service name -> IAM action prefix, where they differ.
IAM_PREFIXES = {"elbv2": "elasticloadbalancing", "efs": "elasticfilesystem", "stepfunctions": "states"}
# botocore operation -> the IAM action that authorizes it, where the names differ (S3's only, here).
IAM_ACTIONS = {
    "s3:GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "s3:GetBucketCors": "s3:GetBucketCORS",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:GetBucketReplication": "s3:GetReplicationConfiguration",
    "s3:GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
}


def iam_action(call: str) -> str:
    """The IAM action that authorizes a botocore "service:Operation" call."""
    if call in IAM_ACTIONS:
        return IAM_ACTIONS[call]
    service, operation = call.split(":")
    return f"{IAM_PREFIXES.get(service, service)}:{operation}"


RESOURCES: dict[str, tuple[str, ...]] = {
    # acm/certificate.go resourceCertificateRead; tags: listTags
    "aws_acm_certificate": ("acm:DescribeCertificate", "acm:ListTagsForCertificate"),
    # acm/certificate_validation.go resourceCertificateValidationRead
    "aws_acm_certificate_validation": ("acm:DescribeCertificate",),
    # appautoscaling/policy.go resourcePolicyRead
    "aws_appautoscaling_policy": ("application-autoscaling:DescribeScalingPolicies",),
    # appautoscaling/target.go resourceTargetRead; tags: listTags
    "aws_appautoscaling_target": ("application-autoscaling:DescribeScalableTargets",
                                  "application-autoscaling:ListTagsForResource"),
    # cloudfront/distribution.go resourceDistributionRead; tags: listTags
    "aws_cloudfront_distribution": ("cloudfront:GetDistribution", "cloudfront:ListTagsForResource"),
    # cloudfront/vpc_origin.go vpcOriginResource.Read; tags: listTags
    "aws_cloudfront_vpc_origin": ("cloudfront:GetVpcOrigin", "cloudfront:ListTagsForResource"),
    # cloudwatch/dashboard.go resourceDashboardRead
    "aws_cloudwatch_dashboard": ("cloudwatch:GetDashboard",),
    # events/rule.go resourceRuleRead; tags: listTags
    "aws_cloudwatch_event_rule": ("events:DescribeRule", "events:ListTagsForResource"),
    # events/target.go resourceTargetRead
    "aws_cloudwatch_event_target": ("events:ListTargetsByRule",),
    # logs/group.go resourceGroupRead; tags: listTags
    "aws_cloudwatch_log_group": ("logs:DescribeLogGroups", "logs:ListTagsForResource"),
    # logs/resource_policy.go resourceResourcePolicyRead
    "aws_cloudwatch_log_resource_policy": ("logs:DescribeResourcePolicies",),
    # cloudwatch/metric_alarm.go resourceMetricAlarmRead; tags: listTags
    "aws_cloudwatch_metric_alarm": ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
    # rds/instance.go resourceInstanceRead (tags from DescribeDBInstances)
    "aws_db_instance": ("rds:DescribeDBInstances",),
    # rds/parameter_group.go resourceParameterGroupRead; tags: listTags
    "aws_db_parameter_group": ("rds:DescribeDBParameterGroups", "rds:DescribeDBParameters",
                               "rds:ListTagsForResource"),
    # rds/subnet_group.go resourceSubnetGroupRead; tags: listTags
    "aws_db_subnet_group": ("rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"),
    # ec2/vpc_security_group.go resourceSecurityGroupRead (the default group's too)
    "aws_default_security_group": ("ec2:DescribeSecurityGroups",),
    # dynamodb/table.go resourceTableRead; tags: listTags
    "aws_dynamodb_table": ("dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable",
                           "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"),
    # ecr/lifecycle_policy.go resourceLifecyclePolicyRead
    "aws_ecr_lifecycle_policy": ("ecr:GetLifecyclePolicy",),
    # ecr/repository.go resourceRepositoryRead; tags: listTags
    "aws_ecr_repository": ("ecr:DescribeRepositories", "ecr:ListTagsForResource"),
    # ecs/cluster.go resourceClusterRead
    "aws_ecs_cluster": ("ecs:DescribeClusters",),
    # ecs/cluster_capacity_providers.go resourceClusterCapacityProvidersRead
    "aws_ecs_cluster_capacity_providers": ("ecs:DescribeClusters",),
    # ecs/service.go resourceServiceRead
    "aws_ecs_service": ("ecs:DescribeServices",),
    # ecs/task_definition.go resourceTaskDefinitionRead
    "aws_ecs_task_definition": ("ecs:DescribeTaskDefinition",),
    # efs/access_point.go resourceAccessPointRead
    "aws_efs_access_point": ("efs:DescribeAccessPoints",),
    # efs/backup_policy.go resourceBackupPolicyRead
    "aws_efs_backup_policy": ("efs:DescribeBackupPolicy",),
    # efs/file_system.go resourceFileSystemRead
    "aws_efs_file_system": ("efs:DescribeFileSystems", "efs:DescribeLifecycleConfiguration"),
    # efs/file_system_policy.go resourceFileSystemPolicyRead
    "aws_efs_file_system_policy": ("efs:DescribeFileSystemPolicy",),
    # efs/mount_target.go resourceMountTargetRead
    "aws_efs_mount_target": ("efs:DescribeMountTargetSecurityGroups", "efs:DescribeMountTargets"),
    # ec2/ec2_eip.go resourceEIPRead
    "aws_eip": ("ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute"),
    # elasticache/replication_group.go resourceReplicationGroupRead; tags: listTags
    "aws_elasticache_replication_group": ("elasticache:DescribeCacheClusters", "elasticache:DescribeReplicationGroups",
                                          "elasticache:ListTagsForResource"),
    # elasticache/subnet_group.go resourceSubnetGroupRead; tags: listTags
    "aws_elasticache_subnet_group": ("elasticache:DescribeCacheSubnetGroups", "elasticache:ListTagsForResource"),
    # ec2/vpc_flow_log.go resourceLogFlowRead
    "aws_flow_log": ("ec2:DescribeFlowLogs",),
    # iam/openid_connect_provider.go resourceOpenIDConnectProviderRead
    "aws_iam_openid_connect_provider": ("iam:GetOpenIDConnectProvider",),
    # iam/policy.go resourcePolicyRead
    "aws_iam_policy": ("iam:GetPolicy", "iam:GetPolicyVersion"),
    # iam/role.go resourceRoleRead
    "aws_iam_role": ("iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"),
    # iam/role_policy.go resourceRolePolicyRead
    "aws_iam_role_policy": ("iam:GetRolePolicy",),
    # iam/role_policy_attachment.go resourceRolePolicyAttachmentRead
    "aws_iam_role_policy_attachment": ("iam:ListAttachedRolePolicies",),
    # ec2/vpc_internet_gateway.go resourceInternetGatewayRead
    "aws_internet_gateway": ("ec2:DescribeInternetGateways",),
    # kms/alias.go resourceAliasRead
    "aws_kms_alias": ("kms:ListAliases",),
    # kms/key.go resourceKeyRead (lists the key's tags itself)
    "aws_kms_key": ("kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"),
    # elbv2/load_balancer.go resourceLoadBalancerRead; tags: listTags
    "aws_lb": ("elbv2:DescribeCapacityReservation", "elbv2:DescribeLoadBalancerAttributes",
               "elbv2:DescribeLoadBalancers", "elbv2:DescribeTags"),
    # elbv2/listener.go resourceListenerRead; tags: listTags
    "aws_lb_listener": ("elbv2:DescribeListenerAttributes", "elbv2:DescribeListeners", "elbv2:DescribeTags"),
    # elbv2/listener_rule.go resourceListenerRuleRead; tags: listTags
    "aws_lb_listener_rule": ("elbv2:DescribeRules", "elbv2:DescribeTags"),
    # elbv2/target_group.go resourceTargetGroupRead; tags: listTags
    "aws_lb_target_group": ("elbv2:DescribeTags", "elbv2:DescribeTargetGroupAttributes",
                            "elbv2:DescribeTargetGroups"),
    # ec2/vpc_nat_gateway.go resourceNATGatewayRead
    "aws_nat_gateway": ("ec2:DescribeNatGateways",),
    # ec2/vpc_route.go resourceRouteRead
    "aws_route": ("ec2:DescribeRouteTables",),
    # route53/record.go resourceRecordRead
    "aws_route53_record": ("route53:GetHostedZone", "route53:ListResourceRecordSets"),
    # ec2/vpc_route_table.go resourceRouteTableRead
    "aws_route_table": ("ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables"),
    # ec2/vpc_route_table_association.go resourceRouteTableAssociationRead
    "aws_route_table_association": ("ec2:DescribeRouteTables",),
    # s3/bucket.go resourceBucketRead; tags: listTags (GetBucketTagging)
    "aws_s3_bucket": ("s3:GetBucketAccelerateConfiguration", "s3:GetBucketAcl", "s3:GetBucketCors",
                      "s3:GetBucketEncryption", "s3:GetBucketLifecycleConfiguration", "s3:GetBucketLogging",
                      "s3:GetBucketPolicy", "s3:GetBucketReplication", "s3:GetBucketRequestPayment",
                      "s3:GetBucketTagging", "s3:GetBucketVersioning", "s3:GetBucketWebsite",
                      "s3:GetObjectLockConfiguration", "s3:HeadBucket"),
    # s3/bucket_lifecycle_configuration.go resourceBucketLifecycleConfiguration.Read
    "aws_s3_bucket_lifecycle_configuration": ("s3:GetBucketLifecycleConfiguration",),
    # s3/bucket_ownership_controls.go resourceBucketOwnershipControlsRead
    "aws_s3_bucket_ownership_controls": ("s3:GetBucketOwnershipControls",),
    # s3/bucket_policy.go resourceBucketPolicyRead
    "aws_s3_bucket_policy": ("s3:GetBucketPolicy",),
    # s3/bucket_public_access_block.go resourceBucketPublicAccessBlockRead
    "aws_s3_bucket_public_access_block": ("s3:GetPublicAccessBlock",),
    # s3/bucket_server_side_encryption_configuration.go resourceBucketServerSideEncryptionConfigurationRead
    "aws_s3_bucket_server_side_encryption_configuration": ("s3:GetBucketEncryption",),
    # s3/bucket_versioning.go resourceBucketVersioningRead
    "aws_s3_bucket_versioning": ("s3:GetBucketVersioning",),
    # s3/object.go resourceObjectRead; tags: listTags (GetObjectTagging)
    "aws_s3_object": ("s3:GetObjectTagging", "s3:HeadObject"),
    # secretsmanager/secret_rotation.go resourceSecretRotationRead
    "aws_secretsmanager_secret_rotation": ("secretsmanager:DescribeSecret",),
    # ec2/vpc_security_group.go resourceSecurityGroupRead
    "aws_security_group": ("ec2:DescribeSecurityGroups",),
    # sfn/state_machine.go resourceStateMachineRead; tags: listTags
    "aws_sfn_state_machine": ("stepfunctions:DescribeStateMachine", "stepfunctions:ListStateMachineVersions",
                              "stepfunctions:ListTagsForResource"),
    # sns/topic.go resourceTopicRead; tags: listTags
    "aws_sns_topic": ("sns:GetTopicAttributes", "sns:ListTagsForResource"),
    # sns/topic_policy.go resourceTopicPolicyRead
    "aws_sns_topic_policy": ("sns:GetTopicAttributes",),
    # sns/topic_subscription.go resourceTopicSubscriptionRead
    "aws_sns_topic_subscription": ("sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic"),
    # ssm/parameter.go resourceParameterRead (GetParameter with decryption: the value); tags: listTags
    "aws_ssm_parameter": ("ssm:DescribeParameters", "ssm:GetParameter", "ssm:ListTagsForResource"),
    # ec2/vpc_subnet.go resourceSubnetRead
    "aws_subnet": ("ec2:DescribeSubnets",),
    # ec2/vpc_.go resourceVPCRead (its main route table, default network ACL and security group too)
    "aws_vpc": ("ec2:DescribeNetworkAcls", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups",
                "ec2:DescribeVpcAttribute", "ec2:DescribeVpcs"),
    # ec2/vpc_endpoint.go resourceVPCEndpointRead
    "aws_vpc_endpoint": ("ec2:DescribeNetworkInterfaces", "ec2:DescribePrefixLists", "ec2:DescribeVpcEndpoints"),
    # ec2/vpc_security_group_egress_rule.go and _ingress_rule.go: securityGroupRuleResource.Read, findByID
    "aws_vpc_security_group_egress_rule": ("ec2:DescribeSecurityGroupRules",),
    "aws_vpc_security_group_ingress_rule": ("ec2:DescribeSecurityGroupRules",),
    # wafv2/ip_set.go resourceIPSetRead; tags: listTags
    "aws_wafv2_ip_set": ("wafv2:GetIPSet", "wafv2:ListTagsForResource"),
    # wafv2/web_acl.go resourceWebACLRead; tags: listTags
    "aws_wafv2_web_acl": ("wafv2:GetWebACL", "wafv2:ListTagsForResource"),
    # wafv2/web_acl_association.go resourceWebACLAssociationRead
    "aws_wafv2_web_acl_association": ("wafv2:GetWebACLForResource",),
    # wafv2/web_acl_logging_configuration.go resourceWebACLLoggingConfigurationRead
    "aws_wafv2_web_acl_logging_configuration": ("wafv2:GetLoggingConfiguration",),
}

DATA_SOURCES: dict[str, tuple[str, ...]] = {
    # cloudfront/cache_policy_data_source.go dataSourceCachePolicyRead (by name: list, then get)
    "aws_cloudfront_cache_policy": ("cloudfront:GetCachePolicy", "cloudfront:ListCachePolicies"),
    # cloudfront/origin_request_policy_data_source.go dataSourceOriginRequestPolicyRead
    "aws_cloudfront_origin_request_policy": ("cloudfront:GetOriginRequestPolicy",
                                             "cloudfront:ListOriginRequestPolicies"),
    # cloudfront/response_headers_policy_data_source.go dataSourceResponseHeadersPolicyRead
    "aws_cloudfront_response_headers_policy": ("cloudfront:GetResponseHeadersPolicy",
                                               "cloudfront:ListResponseHeadersPolicies"),
    # ec2/vpc_managed_prefix_list_data_source.go dataSourceManagedPrefixListRead
    "aws_ec2_managed_prefix_list": ("ec2:DescribeManagedPrefixLists", "ec2:GetManagedPrefixListEntries"),
    # elb/service_account_data_source.go dataSourceServiceAccountRead: a table of accounts by region, no call
    "aws_elb_service_account": (),
}

# Opened by every plan and apply of the stack that declares it.
EPHEMERAL_RESOURCES: dict[str, tuple[str, ...]] = {
    # secretsmanager/random_password_ephemeral.go ephemeralRandomPassword.Open
    "aws_secretsmanager_random_password": ("secretsmanager:GetRandomPassword",),
}

# Calls a plan makes for a type besides its read, while computing the diff (CustomizeDiff / ModifyPlan):
# among the types above only this one makes any.
PLAN_CALLS: dict[str, tuple[str, ...]] = {
    # sfn/state_machine.go stateMachineDefinitionValidate, when the definition changes
    "aws_sfn_state_machine": ("stepfunctions:ValidateStateMachineDefinition",),
}

BLOCKS = {"resource": RESOURCES, "data": DATA_SOURCES, "ephemeral": EPHEMERAL_RESOURCES}


def calls_of(block: str, type_name: str) -> tuple[str, ...]:
    """Every call a plan makes for one type: its read, and for a resource the calls of its diff."""
    found = BLOCKS[block][type_name]
    return (*found, *PLAN_CALLS.get(type_name, ())) if block == "resource" else found
