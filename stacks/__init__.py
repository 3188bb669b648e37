"""Terraform stacks: one per workspace, plus the shared bootstrap (state) and shared (ECR) stacks."""
