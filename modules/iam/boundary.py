"""Where a workspace's IAM roles live: under the workspace's IAM path, with its permissions
boundary. The workspace's deploy role may create roles only on those terms
(modules/ci_access/policies.py); every construct that creates a role takes a RolePlacement, and
a test checks every synthesized role carries both."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RolePlacement:
    path: str
    permissions_boundary: str

    def arguments(self) -> dict[str, str]:
        """Keyword arguments of IamRole."""
        return {"path": self.path, "permissions_boundary": self.permissions_boundary}
