"""The security group chain: ALB -> ECS -> RDS / EFS."""
