"""Shared ECR repositories."""
