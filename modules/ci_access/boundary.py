"""The permissions boundary of every role a workspace's stacks create, as plain data: the most any
of them may ever do, on the workspace's own resources where IAM can say so. The bootstrap stack
creates it; the deploy role must set it on every role it creates (modules/ci_access/policies.py)."""

from __future__ import annotations

from modules.ci_access.policies import WORKSPACE_TAG, Arns, Document, StackGroup, document, statement
from modules.rotation.documents import roll_name

# RDS enhanced monitoring writes into this account-wide group (AmazonRDSEnhancedMonitoringRole).
RDS_METRICS_LOG_GROUP = "RDSOSMetrics"
# The database instance of a workspace is <project>-<workspace>-postgres (environments/workspace.py).
DATABASE_SUFFIX = "postgres"


def boundary_policy(group: StackGroup) -> Document:
    """The most any role of a workspace may ever do: what its task, execution, monitoring,
    flow-log and password-roll roles need, on the workspace's own resources where IAM can say so."""
    arns = Arns(group.project)
    own_keys = {"StringEquals": {f"aws:ResourceTag/{WORKSPACE_TAG}": group.name}}
    own_log_groups = arns.aws.arn("logs", f"log-group:/{group.project.name}/{group.name}/*", region="*")
    # RDS enhanced monitoring writes into this account-wide group (AmazonRDSEnhancedMonitoringRole).
    rds_metrics = arns.aws.arn("logs", f"log-group:{RDS_METRICS_LOG_GROUP}", region="*")
    prefix = group.resource_prefix
    return document(
        statement("Allow", ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                            "ecr:GetDownloadUrlForLayer"], sid="PullImages"),
        statement("Allow", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                            "logs:PutRetentionPolicy", "logs:DescribeLogStreams", "logs:GetLogEvents"],
                  sid="OwnLogs", resources=[own_log_groups, f"{own_log_groups}:log-stream:*"]),
        statement("Allow", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                            "logs:PutRetentionPolicy", "logs:DescribeLogStreams"],
                  sid="DatabaseMetrics", resources=[rds_metrics, f"{rds_metrics}:log-stream:*"]),
        statement("Allow", ["logs:DescribeLogGroups"], sid="FindLogGroups",
                  resources=arns.aws.arn("logs", "log-group:*", region="*")),
        statement("Allow", ["ssm:GetParameters", "ssm:GetParameter"], sid="OwnParameters",
                  resources=arns.parameters(group)),
        # RDS names its managed secrets rds!db-<random>; the tag it sets names the instance.
        statement("Allow", ["secretsmanager:GetSecretValue"], sid="OwnDatabaseSecret",
                  resources=arns.aws.arn("secretsmanager", "secret:rds!*", region="*"),
                  condition={"StringLike": {"aws:ResourceTag/aws:rds:primaryDBInstanceArn": arns.aws.arn(
                      "rds", f"db:{group.resource_prefix}-{DATABASE_SUFFIX}", region="*")}}),
        statement("Allow", ["kms:Decrypt"], sid="OwnKeys", resources=arns.keys(), condition=own_keys),
        statement("Allow", ["s3:GetObject"], sid="OwnConfig",
                  resources=[f"{bucket}/*" for bucket in arns.workspace_buckets(group)]),
        statement("Allow", ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], sid="ModelCache",
                  condition=own_keys),
        statement("Allow", ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], sid="InvokeModels"),
        # The roll after a database password rotation (modules/rotation): start its state machine,
        # which updates the workspace's service (cluster and service are both named after the prefix).
        statement("Allow", ["states:StartExecution"], sid="StartThePasswordRoll",
                  resources=arns.aws.arn("states", f"stateMachine:{roll_name(prefix)}", region="*")),
        statement("Allow", ["ecs:UpdateService"], sid="RollOwnService",
                  resources=arns.aws.arn("ecs", f"service/{prefix}/{prefix}", region="*")),
    )
