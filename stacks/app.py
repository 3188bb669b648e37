"""Build the cdktf App: every stack of the project, in one process."""

from __future__ import annotations

from cdktf import App

from environments.loader import Environments
from stacks.bootstrap import STACK_ID as BOOTSTRAP
from stacks.bootstrap import BootstrapStack
from stacks.secrets import SecretsStack
from stacks.shared import STACK_ID as SHARED
from stacks.shared import SharedStack
from stacks.workspace import WorkspaceStack


def build_app(environments: Environments, *, outdir: str) -> App:
    # Construct stack traces only serve cdktf's own error messages and cost ~10 % of synthesis.
    app = App(outdir=outdir, stack_traces=False)
    BootstrapStack(app, BOOTSTRAP, environments=environments.everything())
    SharedStack(app, SHARED, project=environments.project)
    for workspace in environments.workspaces:
        secrets = SecretsStack(app, workspace.secrets_stack_id, workspace=workspace)
        # The workspace reads what its secrets stack writes (parameters, keys) by name, not by
        # reference: declared here, so `cdktf deploy` applies the secrets stack first (and
        # destroys it last). Only the manifest records it; no stack's JSON changes.
        WorkspaceStack(app, workspace.name, workspace=workspace).add_dependency(secrets)
    return app
