"""Reusable constructs. Each takes typed, keyword-only inputs taken from the environment model.

`modules.aws` and `modules.policies` are plain Python (no cdktf import) so that their logic is
testable without loading the provider bindings.
"""
