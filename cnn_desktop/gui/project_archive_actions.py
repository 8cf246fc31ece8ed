"""File > Export project as zip… and File > Import project from zip…, off the window's thread.

A project zip (core/projects/archive.py) carries a mode's drawings and every model version, so a
teacher can hand a symbol set to a class. Export reads the mode's project (it may be open: only read);
import makes a new project folder the person picks, checked before it appears. Each runs in a plain
thread; its one-line result comes back as a queued signal. ``add_project_archive_actions`` puts both
entries into a menu, so the window needs one line to offer them.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from cnn_desktop.gui.background import run_in_thread



class ProjectArchiveActions(QObject):
    finished = Signal(bool, str)  # (succeeded, one line for the person)

    def __init__(self, session, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self._parent = parent
        self.thread: threading.Thread | None = None

    # --- what the menu calls ---

    def export_project(self) -> None:
        project = self.session.project
        suggested = str(self.session.home / f"{project.folder.name if project else 'project'}-project.zip")
        path, _ = QFileDialog.getSaveFileName(self._parent, "Export project as zip", suggested, "Project zips (*.zip)")
        if path:
            self.start_export(Path(path))

    def import_project(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._parent, "Import project from zip", str(self.session.home),
                                              "Project zips (*.zip)")
        if not path:
            return
        dest = QFileDialog.getExistingDirectory(self._parent, "Folder to put the new project in", str(self.session.home))
        if dest:
            self.start_import(Path(path), Path(dest) / Path(path).stem)

    # --- the work, in a thread ---

    def start_export(self, out: Path) -> threading.Thread | None:
        if self.session.project is None:
            self.finished.emit(False, "No project to export: the collection could not be opened.")
            return None
        return self._start(_export, self.session.project.folder, out)

    def start_import(self, archive: Path, dest: Path) -> threading.Thread:
        return self._start(_import, archive, dest)

    def _start(self, work, *args) -> threading.Thread:
        self.thread = run_in_thread(work, args, self.finished, "cnn-desktop-project-zip", "project zip")
        return self.thread


def _export(folder: Path, out: Path) -> str:
    from cnn_desktop.core.projects.archive import export_project

    drawings, versions = export_project(folder, out)
    return f"Exported the project to {out} ({drawings} drawings, {versions} model versions)."


def _import(archive: Path, dest: Path) -> str:
    from cnn_desktop.core.projects.archive import import_project

    drawings, versions = import_project(archive, dest)
    return f"Imported the project into {dest} ({drawings} drawings, {versions} model versions)."


def add_project_archive_actions(menu: QMenu, session, window: QWidget) -> ProjectArchiveActions:
    """Add File > Export project as zip… and Import project from zip… to ``menu``; results go to the
    window's status bar, problems to its ``show_problem`` when it has one."""
    actions = ProjectArchiveActions(session, window)
    for text, slot in (("Export project as &zip…", actions.export_project),
                       ("Import project from zi&p…", actions.import_project)):
        action = QAction(text, window)
        action.triggered.connect(slot)
        menu.addAction(action)
    show_problem = getattr(window, "show_problem", None)
    status = getattr(window, "statusBar", None)

    def report(ok: bool, text: str) -> None:
        if not ok and show_problem is not None:
            show_problem(text)
        elif status is not None:
            status().showMessage(text, 8000)

    actions.finished.connect(report)
    return actions
