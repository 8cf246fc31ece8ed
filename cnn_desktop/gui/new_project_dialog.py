"""File > New project…: a name, the classes, where the project goes and what its network starts from.

Everything typed is checked as the core checks it (``new_manifest``: 2 to 50 classes, names and keys
valid and distinct ignoring case) while it is typed: the problem shows in one line under the fields and
OK stays off until there is none. The dialog only asks; making the project (which loads torch) is
``ProjectCreation``'s, on a worker thread, so the window never waits for it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QPlainTextEdit, QPushButton, QRadioButton, QVBoxLayout, QWidget,
)

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.projects.manifest import MAX_CLASSES, MIN_CLASSES, new_manifest
from cnn_desktop.core.projects.starting import FROM_DIGITS, START_ADVICE, START_POINTS, StartPoint, folder_for

ERROR_STYLE = "color: #b00020;"


class NewProjectDialog(QDialog):
    def __init__(self, projects_parent: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project")
        self._parent_folder = Path(projects_parent)
        self.name = QLineEdit()
        self.name.setPlaceholderText("My shapes")
        self.classes = QPlainTextEdit()
        self.classes.setPlaceholderText("circle\nsquare\ntriangle\nstar")
        self.classes.setToolTip(f"One class per line, {MIN_CLASSES} to {MAX_CLASSES}; each gets a key (its first "
                                "free letter) that labels a drawing as that class")
        self.classes.setFixedHeight(self.fontMetrics().lineSpacing() * 8)
        self.folder = QLabel()
        self.folder.setWordWrap(True)
        self.choose_folder = QPushButton("Elsewhere…")
        self.choose_folder.setToolTip("Put the project in another folder (a USB stick, a shared drive)")
        self.choose_folder.clicked.connect(self._pick_parent)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose_folder)

        self.starts = QButtonGroup(self)
        start_box = QVBoxLayout()
        for start in START_POINTS:
            button = QRadioButton(start.label)
            button.setChecked(start is FROM_DIGITS)
            self.starts.addButton(button)
            button.setProperty("start_key", start.key)
            start_box.addWidget(button)
        advice = QLabel(START_ADVICE)
        advice.setWordWrap(True)
        advice.setStyleSheet("color: palette(mid);")
        start_box.addWidget(advice)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Classes\n(one a line)", self.classes)
        form.addRow("Folder", folder_row)
        form.addRow("Start from", start_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        self.name.textChanged.connect(self.check)
        self.classes.textChanged.connect(self.check)
        self.check()

    # --- what was asked ---

    def class_names(self) -> list[str]:
        return [line.strip() for line in self.classes.toPlainText().splitlines() if line.strip()]

    def project_folder(self) -> Path:
        return folder_for(self.name.text(), self._parent_folder)

    def start(self) -> StartPoint:
        key = self.starts.checkedButton().property("start_key")
        return next(s for s in START_POINTS if s.key == key)

    def check(self) -> str:
        """The one line saying what is wrong ("" when nothing); OK is on only when nothing is."""
        folder = self.project_folder()
        self.folder.setText(str(folder))
        problem = ""
        if not self.name.text().strip():
            problem = "Give the project a name."
        else:
            try:
                new_manifest(folder, self.name.text().strip(), self.class_names())
            except CnnDesktopError as error:
                problem = str(error).removeprefix(f"{folder}: ")  # the folder is shown just above
        self.error.setText(problem)
        self.ok_button.setEnabled(not problem)
        return problem

    def _pick_parent(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Make the project inside this folder", str(self._parent_folder))
        if chosen:
            self._parent_folder = Path(chosen)
            self.check()


class ProjectCreation(QObject):
    """Makes a project (``create_project``) on a worker thread: ``done(folder)`` or ``failed(line)``."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, folder: Path, name: str, classes: list[str], start: StartPoint,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder, self.name, self.class_list, self.start_point = folder, name, classes, start
        self.worker = None

    def start(self) -> None:
        from superqt.utils import create_worker  # imported when needed: superqt costs start-up time

        self.worker = create_worker(self._create, _start_thread=False)
        self.worker.returned.connect(self._finished)
        self.worker.start()

    def _create(self) -> tuple[Path | None, str]:
        # Every failure becomes a line here: the worker's own error path would drop some without a signal.
        from cnn_desktop.core.projects.starting import create_project

        try:
            return create_project(self.folder, self.name, self.class_list, start=self.start_point), ""
        except CnnDesktopError as error:
            return None, str(error)
        except Exception as error:  # noqa: BLE001 - a bug must still reach the person, not vanish
            return None, f"{self.folder}: cannot create the project ({type(error).__name__}: {error})"

    def _finished(self, outcome: tuple[Path | None, str]) -> None:
        folder, problem = outcome
        if problem:
            self.failed.emit(problem)
        else:
            self.done.emit(folder)
