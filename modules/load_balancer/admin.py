"""Which paths are LiteLLM's admin surface, and how they are grouped into listener rules.

Plain data (no cdktf): the construct and the tests share it.
"""

from __future__ import annotations

# LiteLLM's admin surface: the UI, key/user/team/model management and the API docs.
ADMIN_PATHS = ("/ui", "/ui/*", "/key/*", "/user/*", "/team/*", "/model/*", "/docs", "/redoc", "/openapi.json")
# An ALB rule holds at most 5 condition values (paths and source blocks together).
RULE_CONDITION_VALUES = 5
ADMIN_RULES_FIRST_PRIORITY = 10


def admin_rule_paths(admin_cidrs: list[str]) -> list[list[str]]:
    """ADMIN_PATHS in groups small enough that each group plus the admin blocks fits one rule."""
    size = RULE_CONDITION_VALUES - len(admin_cidrs)
    return [list(ADMIN_PATHS[start:start + size]) for start in range(0, len(ADMIN_PATHS), size)]
