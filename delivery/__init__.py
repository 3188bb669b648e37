"""Delivery: the GitHub workflows (rendered), image bumps and the checks that gate them."""
