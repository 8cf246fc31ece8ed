"""A person's projects in the window: File > New project… and Open project…, Project > Classes… and
Network…, and the mode selector listing the built-in modes and the person's projects.

The mode selector's entries are keyed by ``mode_key`` (a built-in task's name, a project's folder);
choosing one calls ``Session.switch_task``, which keeps a run in progress as a version, takes the
project's lock, or opens it read-only when another window holds it. The list is read again whenever
the mode changes, so a project made or opened just now is in it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QFileDialog, QMainWindow, QMenu

from cnn_desktop.core.app.project_modes import known_projects
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.projects.starting import user_projects_dir
from cnn_desktop.gui.class_editor import ClassEditor
from cnn_desktop.gui.network_editor import NetworkEditor
from cnn_desktop.gui.new_project_dialog import NewProjectDialog, ProjectCreation

SEPARATOR_TEXT = "──────────"


class ProjectActions(QObject):
    problem = Signal(str)
    created = Signal(object)  # Path of a project just made (and switched to)

    def __init__(self, session: Session, window: QMainWindow, mode_box: QComboBox) -> None:
        super().__init__(window)
        self.session, self.window, self.mode_box = session, window, mode_box
        self.new_dialog: NewProjectDialog | None = None
        self.class_editor: ClassEditor | None = None
        self.network_editor: NetworkEditor | None = None
        self.creation: ProjectCreation | None = None
        self.fill_mode_box()
        mode_box.currentIndexChanged.connect(self._mode_chosen)  # filling it blocks this
        session.task_changed.connect(self._mode_changed)

    def add_menus(self, file_menu: QMenu, menu_bar) -> None:
        first = file_menu.actions()[0] if file_menu.actions() else None
        for text, slot in [("&New project…", self.new_project), ("Open &project…", self.open_project)]:
            action = QAction(text, self.window)
            action.triggered.connect(slot)
            file_menu.insertAction(first, action)
        file_menu.insertSeparator(first)
        classes = QAction("&Classes…", self.window)
        classes.setToolTip("Add, rename, merge or delete classes, change their keys, restore deleted ones")
        classes.triggered.connect(self.edit_classes)
        network = QAction("&Network…", self.window)
        network.setToolTip("Change the layers of the network: a new version of the model, with fresh weights")
        network.triggered.connect(self.edit_network)
        project_menu = menu_bar.addMenu("&Project")
        project_menu.addAction(classes)
        project_menu.addAction(network)

    # --- the mode selector ---

    def fill_mode_box(self) -> None:
        with QSignalBlocker(self.mode_box):
            self.mode_box.clear()
            for task in self.session.tasks.values():
                self.mode_box.addItem(task.title, task.mode_key)
            projects = known_projects(self.session.home)
            if projects:
                self.mode_box.insertSeparator(self.mode_box.count())
            for project in projects:
                self.mode_box.addItem(project.title, str(project.folder))
                self.mode_box.setItemData(self.mode_box.count() - 1, str(project.folder),
                                          Qt.ItemDataRole.ToolTipRole)  # where it is
            task = self.session.task
            if task is not None:
                if self.mode_box.findData(task.mode_key) < 0:  # read-only, or listed nowhere yet
                    self.mode_box.addItem(task.title, task.mode_key)
                self.mode_box.setCurrentIndex(self.mode_box.findData(task.mode_key))
        self.mode_box.setMinimumContentsLength(min(24, max(len(self.mode_box.itemText(i))
                                                           for i in range(self.mode_box.count()))))

    def _mode_chosen(self, index: int) -> None:
        key = self.mode_box.itemData(index)
        if key is not None and (self.session.task is None or key != self.session.task.mode_key):
            if not self.session.switch_task(key):
                self.fill_mode_box()  # back to the mode still in use

    def _mode_changed(self, _task) -> None:
        self.fill_mode_box()

    # --- File > New project…, Open project… ---

    def new_project(self) -> NewProjectDialog:
        """Opens the dialog (non-blocking); its Create starts the project's making on a worker."""
        if self.new_dialog is None:
            self.new_dialog = NewProjectDialog(user_projects_dir(self.session.home), self.window)
            self.new_dialog.accepted.connect(self._create)
        self.new_dialog.open()
        return self.new_dialog

    def _create(self) -> None:
        dialog = self.new_dialog
        self.new_dialog = None  # the next New project starts empty
        self.creation = ProjectCreation(dialog.project_folder(), dialog.name.text().strip(), dialog.class_names(),
                                        dialog.start(), self)
        self.creation.done.connect(self._created)
        self.creation.failed.connect(self.problem)
        self.window.statusBar().showMessage(f"Making project {dialog.name.text().strip()}…")
        dialog.deleteLater()
        self.creation.start()

    def _created(self, folder: Path) -> None:
        self.creation = None
        if self.session.switch_task(Path(folder)):
            self.window.activateWindow()  # the label keys are the window's: they work at once
            self.window.statusBar().showMessage(f"Project made in {folder}. Draw, then press a class's key.", 8000)
        self.created.emit(Path(folder))

    def open_project(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open a project folder",
                                                  str(user_projects_dir(self.session.home)))
        if folder:
            self.session.open_project(Path(folder))

    # --- Project > Classes… ---

    def edit_classes(self) -> ClassEditor:
        if self.class_editor is None:
            self.class_editor = ClassEditor(self.session, self.window)
        self.class_editor.refresh()
        self.class_editor.show()
        self.class_editor.raise_()
        return self.class_editor

    # --- Project > Network… ---

    def edit_network(self) -> NetworkEditor:
        if self.network_editor is None:
            self.network_editor = NetworkEditor(self.session, self.window)
        else:
            self.network_editor.load_from_session()
        self.network_editor.show()
        self.network_editor.raise_()
        return self.network_editor
