"""stacks/bindings.py: the provider package loads without importing its 2,100 resource modules, each of
which loads when a stack imports it; a package without the list of imports loads as published."""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from pathlib import Path

import pytest

from stacks import bindings


def fake_bindings(root: Path, name: str, *, with_eager_imports: bool) -> None:
    package = root / name
    package.mkdir()
    marker = f"{bindings.EAGER_IMPORTS}\n" if with_eager_imports else ""
    (package / "__init__.py").write_text(f"LOADED = True\n{marker}from . import resource\n")
    (package / "resource.py").write_text("VALUE = 42\n")


@pytest.fixture
def importing(tmp_path, monkeypatch):
    """Import a package from tmp_path with the finder of stacks/bindings.py first on sys.meta_path."""
    monkeypatch.syspath_prepend(str(tmp_path))
    imported: list[str] = []

    def load(name: str):
        monkeypatch.setattr(sys, "meta_path", [bindings.WithoutEagerImports(name), *sys.meta_path])
        imported.append(name)
        return importlib.import_module(name)

    yield load
    for name in [name for name in sys.modules if name.split(".")[0] in imported]:
        del sys.modules[name]


def test_the_package_loads_without_its_resource_modules_which_load_when_imported(tmp_path, importing):
    fake_bindings(tmp_path, "bindings_with_eager_imports", with_eager_imports=True)
    package = importing("bindings_with_eager_imports")
    assert package.LOADED is True
    assert "bindings_with_eager_imports.resource" not in sys.modules
    assert importlib.import_module("bindings_with_eager_imports.resource").VALUE == 42


def test_a_package_without_the_list_of_imports_loads_as_published(tmp_path, importing):
    fake_bindings(tmp_path, "bindings_as_published", with_eager_imports=False)
    package = importing("bindings_as_published")
    assert package.LOADED is True and package.resource.VALUE == 42
    assert "bindings_as_published.resource" in sys.modules


def test_the_installed_bindings_end_with_the_list_of_imports_the_finder_leaves_out():
    """Without the list (another release of the bindings), synthesis would be correct but three times
    slower; this says so instead. Reads the file: the test process never imports the bindings."""
    spec = importlib.machinery.PathFinder.find_spec(bindings.PACKAGE)
    head, found, imports = Path(spec.origin).read_text().partition(bindings.EAGER_IMPORTS)
    assert found, f"{spec.origin} no longer imports its resource modules after {bindings.EAGER_IMPORTS!r}"
    assert "from . import" not in head and imports.count("from . import") > 2000
