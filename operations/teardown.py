"""`main.py teardown-check`: whether destroy.yml may tear a workspace down, from its file alone.

destroy.yml offers development and staging workspaces only; this is the step that stops the run
anyway for a production workspace, or while the file keeps `database.deletion_protection = true`
(RDS would refuse half-way through, after the rest is gone). Turning protection off is a reviewed
pull request, deployed like any change, before the teardown.
"""

from __future__ import annotations

from environments.workspace import TEARDOWN_TIERS, Workspace


def refusal(workspace: Workspace) -> str | None:
    """Why the workspace may not be torn down, or None."""
    settings = workspace.settings
    if settings.tier not in TEARDOWN_TIERS:
        return (f"{workspace.source.name}: tier = {settings.tier!r}: destroy.yml tears down "
                f"{' and '.join(TEARDOWN_TIERS)} workspaces only")
    if settings.database.deletion_protection:
        return (f"{workspace.source.name}: database.deletion_protection = true: set it to false in a reviewed pull "
                "request and let deploy.yml apply it first (the database goes, with every key and spend record)")
    return None
