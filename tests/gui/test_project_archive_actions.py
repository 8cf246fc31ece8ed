"""File > Export project as zip… and File > Import project from zip…, in a minimal window: the menu
entries appear, each job runs in a thread, and its one line reaches the status bar or the problem box."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from PySide6.QtWidgets import QFileDialog, QMainWindow

from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.synth import generate_ticks_crosses
from cnn_desktop.core.projects.project import Project
from cnn_desktop.gui.project_archive_actions import add_project_archive_actions


class Window(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def show_problem(self, text: str) -> None:
        self.problems.append(text)


def _project(tmp_path: Path) -> Path:
    folder = tmp_path / "home" / "marks"
    drawings, labels = generate_ticks_crosses(2, seed=1)
    with Project.create(folder, "marks", ["tick", "cross"]) as project:
        project.store.add_many([(("tick", "cross")[l], preprocess(s), None) for s, l in zip(drawings, labels)])
    return folder


def test_the_menu_exports_and_imports_a_project_zip(qtbot, tmp_path, monkeypatch):
    folder = _project(tmp_path)
    window = Window()
    qtbot.addWidget(window)
    menu = window.menuBar().addMenu("&File")
    session = SimpleNamespace(project=SimpleNamespace(folder=folder), home=tmp_path / "home")
    actions = add_project_archive_actions(menu, session, window)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Export project as &zip…", "Import project from zi&p…"]

    out = tmp_path / "marks.zip"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    with qtbot.waitSignal(actions.finished, timeout=30000) as done:
        menu.actions()[0].trigger()
    assert done.args == [True, f"Exported the project to {out} (4 drawings, 0 model versions)."]
    assert window.statusBar().currentMessage() == done.args[1]

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(out), ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    with qtbot.waitSignal(actions.finished, timeout=30000) as done:
        menu.actions()[1].trigger()
    assert done.args == [True, f"Imported the project into {tmp_path / 'marks'} (4 drawings, 0 model versions)."]
    with Project.open(tmp_path / "marks", read_only=True) as copy:
        assert copy.counts() == {"tick": 2, "cross": 2}

    # Again into the same place: refused in one line, shown as a problem, nothing touched.
    qtbot.waitUntil(lambda: not actions.thread.is_alive(), timeout=5000)
    with qtbot.waitSignal(actions.finished, timeout=30000) as done:
        menu.actions()[1].trigger()
    assert done.args == [False, f"{tmp_path / 'marks'}: already exists; a project is imported into a new folder"]
    qtbot.waitUntil(lambda: window.problems == [done.args[1]], timeout=5000)
