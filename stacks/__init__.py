"""Terraform stacks: one per workspace, plus the shared bootstrap (state) and shared (ECR) stacks."""

from stacks import bindings

bindings.install()  # before any module here imports the provider bindings
