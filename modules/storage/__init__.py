"""Hardened S3 buckets (state, configuration, access logs)."""
