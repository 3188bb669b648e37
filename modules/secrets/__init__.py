"""The workspace KMS key and the SSM SecureString parameters the task reads."""
