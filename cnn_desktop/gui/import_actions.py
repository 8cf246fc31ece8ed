"""File > Import: drawings from an image folder, a zip of one or an MNIST IDX folder, into the mode's
project, in the background, with its progress and a Cancel button in the status bar."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMainWindow, QProgressBar, QPushButton

from cnn_desktop.core.app.session import Session

if TYPE_CHECKING:  # imported when an import starts: superqt's worker costs ~0.1 s of start-up (RESULTS.md)
    from cnn_desktop.gui.import_job import ImportJob

KINDS = {  # what File > Import offers: its menu text, and whether it picks a folder or a zip file
    "folder": "image folder (<folder>/<label>/*.png)",
    "zip": "zip of an image folder",
    "idx": "MNIST IDX folder",
}


def import_summary(added: int, left_out: Sequence[str]) -> str:
    """"Imported 4 drawings." and, when some files were left out, how many and the first of them."""
    text = f"Imported {added} drawings."
    if left_out:
        more = f" (and {len(left_out) - 1} more)" if len(left_out) > 1 else ""
        text += f" Left out {len(left_out)}: {left_out[0]}{more}."
    return text


class ImportActions(QObject):
    finished = Signal(int, tuple, str)  # (added, left out, problem or ""), as ImportJob.outcome

    def __init__(self, session: Session, window: QMainWindow) -> None:
        super().__init__(window)
        self._session = session
        self._window = window
        self.job: ImportJob | None = None
        self.progress = QProgressBar()
        self.progress.setFixedWidth(160)
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.clicked.connect(self.cancel)
        for widget in (self.progress, self.cancel_button):
            window.statusBar().addPermanentWidget(widget)
            widget.hide()

    def choose(self, kind: str) -> None:
        if self.job is not None or not self._session.writable("importing drawings"):
            return
        title = f"Import an {KINDS[kind]} into this project"
        if kind == "zip":
            path, _ = QFileDialog.getOpenFileName(self._window, title, "", "Zip files (*.zip);;All files (*)")
        else:
            path = QFileDialog.getExistingDirectory(self._window, title)
        if path:
            self.start(Path(path))

    def start(self, source: Path) -> ImportJob:
        """Import ``source`` into the current project in the background."""
        from cnn_desktop.gui.import_job import ImportJob

        task = self._session.task
        job = ImportJob(source, self._session.store.root, task.classes, task.class_ids)
        # Bound methods, not lambdas: a window that is gone is disconnected instead of called.
        job.yielded.connect(self._progress)
        job.finished.connect(self._done)
        self.job = job
        self.progress.setRange(0, 0)  # busy until the source is checked and counted
        self.progress.show()
        self.cancel_button.show()
        job.start()
        return job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)  # it stops after the batch being stored

    def _progress(self, progress: tuple[str, int, int]) -> None:
        phase, done, total = progress
        if phase == "importing":
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)
            self._window.statusBar().showMessage(f"Importing: {done:,} of {total:,} read and stored…")
        else:
            self._window.statusBar().showMessage("Importing: checking the source…")

    def _done(self) -> None:
        if self.job is None:
            return
        added, left_out, problem = self.job.outcome
        self.job = None
        self.progress.hide()
        self.cancel_button.hide()
        self.cancel_button.setEnabled(True)
        self.finished.emit(added, left_out, problem)
