"""The typed environment model, its validation, and the shipped environment files.

Nothing in this package imports cdktf or the provider bindings.
"""
