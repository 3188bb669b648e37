"""The AWS provider bindings, without their 2,100 resource modules imported up front.

The generated package `cdktf_cdktf_provider_aws` ends its `__init__` by importing every one of its
resource modules ("to ensure their types are registered with the jsii runtime library"): three quarters
of a synthesis' time and most of its memory. The stacks import the ~80 modules they use, and importing a
module registers its types. A type JavaScript hands back that no imported module registered makes the
jsii runtime fail loudly ("Unknown type: @cdktf/provider-aws..."), never silently: every shipped stack and
example is synthesized by the tests this way.

`install()` puts a finder first on `sys.meta_path` that loads the package's `__init__` only up to that
list of imports. A release of the bindings without the list loads as published.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

PACKAGE = "cdktf_cdktf_provider_aws"
EAGER_IMPORTS = "# Loading modules to ensure their types are registered with the jsii runtime library"


class WithoutEagerImports(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `package` where the path finder does, and runs its `__init__` up to EAGER_IMPORTS."""

    def __init__(self, package: str = PACKAGE) -> None:
        self.package = package

    def find_spec(self, fullname: str, path=None, target=None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.package:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None:
            return None
        with open(spec.origin, encoding="utf-8") as published:
            head, found, _ = published.read().partition(EAGER_IMPORTS)
        if not found:
            return None
        spec.loader, spec.loader_state = self, head
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        exec(compile(module.__spec__.loader_state, module.__spec__.origin, "exec"), module.__dict__)  # noqa: S102


def install() -> None:
    """Once per process, before the first import of the bindings."""
    if not any(isinstance(finder, WithoutEagerImports) for finder in sys.meta_path):
        sys.meta_path.insert(0, WithoutEagerImports())
