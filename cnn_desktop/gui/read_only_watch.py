"""A window that opened its project read-only follows the window that writes it.

Without this, a second window on the same project showed the label counts and the versions list of
the moment it opened, and they went stale as the other window labelled and trained. The folders are
watched (QFileSystemWatcher: inotify, FSEvents or ReadDirectoryChangesW, so nothing is polled) and a
burst of changes (an import, a run's save) becomes one re-read a moment after it settles.
"""

from __future__ import annotations

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from cnn_desktop.core.app.session import Session
from cnn_desktop.core.projects.versions import MODELS

SETTLE_MS = 300  # one re-read per burst: a label key writes a temp file and renames it


class ReadOnlyWatch(QObject):
    refreshed = Signal()  # the counts and versions were read again

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._changed)
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._refresh)
        session.task_changed.connect(self._follow)

    @property
    def watched(self) -> list[str]:
        return self._watcher.directories()

    def _follow(self, _task=None) -> None:
        """Watch the project now open, if this window only reads it; nothing otherwise."""
        if self._watcher.directories():
            self._watcher.removePaths(self._watcher.directories())
        self._settle.stop()
        project = self._session.project
        if project is None or not self._session.read_only:
            return
        drawings = project.folder / "drawings"
        folders = [drawings, project.folder / MODELS]
        if drawings.is_dir():  # the class folders too: a new drawing changes its class's folder only
            folders += [entry for entry in drawings.iterdir() if entry.is_dir() and not entry.is_symlink()]
        existing = [str(folder) for folder in folders if folder.is_dir()]
        if existing:
            self._watcher.addPaths(existing)

    def _changed(self, _path: str) -> None:
        self._settle.start()

    def _refresh(self) -> None:
        if not self._session.read_only:
            return
        self._session.refresh_from_disk()
        self._follow()  # a class folder made since (the first drawing of a class) is watched too
        self.refreshed.emit()
