"""cnn_desktop/core: Qt-free in every sub-package, and layered so that no import runs upward.

The CLI, the benchmarks and the compute thread import the core without Qt. Its sub-packages form
layers; a module may import its own layer and the ones below, never above:

    base (errors, atomic) < data < network < training < inspection < tasks < projects < app
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "cnn_desktop" / "core"
QT = ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6", "superqt")
LAYERS = ["base", "data", "network", "training", "inspection", "tasks", "projects", "app"]
BASE_MODULES = {"errors", "atomic", "__init__"}


def core_modules(root: Path = CORE) -> list[Path]:
    """Every Python file of the core, in every sub-package (recursively)."""
    return sorted(root.rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "cnn_desktop.core":  # from cnn_desktop.core import data, ...
                names.update(f"cnn_desktop.core.{alias.name}" for alias in node.names)
    return names


def qt_imports(root: Path) -> dict[str, list[str]]:
    found = {}
    for path in core_modules(root):
        qt = sorted(name for name in imported_modules(path) if name.split(".")[0] in QT)
        if qt:
            found[str(path.relative_to(root))] = qt
    return found


def layer_of(module: str) -> str:
    """The layer of a dotted core module name, or of a core file path's parts."""
    parts = module.split(".")
    first = parts[2] if len(parts) > 2 else "__init__"
    if first in BASE_MODULES:
        return "base"
    return first


def test_no_core_module_imports_qt_in_its_source():
    assert len(core_modules()) >= 30 and any(p.parent != CORE for p in core_modules())  # sub-packages seen
    assert qt_imports(CORE) == {}


def test_the_scan_would_catch_a_qt_import_in_a_sub_package(tmp_path):
    nested = tmp_path / "inspection" / "deep"
    nested.mkdir(parents=True)
    (nested / "view.py").write_text("import numpy\nfrom PySide6.QtWidgets import QWidget\n")
    (tmp_path / "plain.py").write_text("import numpy\n")
    assert qt_imports(tmp_path) == {"inspection/deep/view.py": ["PySide6.QtWidgets"]}


def test_importing_every_core_module_loads_no_qt():
    modules = [".".join(("cnn_desktop", "core", *p.relative_to(CORE).with_suffix("").parts))
               for p in core_modules() if p.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {QT!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_core_module_belongs_to_a_layer():
    for path in core_modules():
        parts = path.relative_to(CORE).with_suffix("").parts
        layer = "base" if parts[0] in BASE_MODULES else parts[0]
        assert layer in LAYERS, f"{path} is in no layer of {LAYERS}"


def upward_imports() -> list[str]:
    found = []
    for path in core_modules():
        parts = path.relative_to(CORE).with_suffix("").parts
        own = "base" if parts[0] in BASE_MODULES else parts[0]
        for name in imported_modules(path):
            if name.startswith("cnn_desktop.core.") or name == "cnn_desktop.core":
                other = layer_of(name)
                if other in LAYERS and LAYERS.index(other) > LAYERS.index(own):
                    found.append(f"{path.relative_to(CORE)} ({own}) imports {name} ({other})")
    return found


def test_no_import_runs_upward():
    assert upward_imports() == []


@pytest.mark.parametrize("module, layer", [
    ("cnn_desktop.core.errors", "base"), ("cnn_desktop.core.data.store", "data"),
    ("cnn_desktop.core.app.engine", "app"), ("cnn_desktop.core.tasks", "tasks"),
    ("cnn_desktop.core.projects.project", "projects"),
])
def test_layer_names(module, layer):
    assert layer_of(module) == layer
