"""The Terraform state bucket and lock table (bootstrap stack)."""
