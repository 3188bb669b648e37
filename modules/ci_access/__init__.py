"""GitHub Actions' access to AWS: the OIDC provider and the plan and deploy roles."""
