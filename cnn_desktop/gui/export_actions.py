"""File > Export model (ONNX) and File > Export drawings, off the window's thread.

The model exported is the one the app keeps for the mode (the project's current version, else the
bundled model), read from its file: torch's ONNX exporter takes seconds, and the compute thread's
live network may be mid-training. The drawings are the mode's project's, read without writing.
Each export runs in a plain thread; its one-line result comes back as a queued signal.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from cnn_desktop.core.app.session import Session
from cnn_desktop.gui.background import run_in_thread

# Save-dialog filters -> the export format of core/data/export.py
DRAWING_FORMATS = {
    "Images in a zip (*.zip)": "images",
    "Strokes as JSON lines (*.jsonl)": "jsonl",
    "MNIST IDX pair in a zip (*.zip)": "idx",
}


class ExportActions(QObject):
    finished = Signal(bool, str)  # (succeeded, one line for the person)

    def __init__(self, session: Session, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self._parent = parent
        self.thread: threading.Thread | None = None

    # --- what the menu calls ---

    def export_model(self) -> None:
        task = self.session.task
        path, _ = QFileDialog.getSaveFileName(self._parent, "Export model as ONNX",
                                              str(self.session.home / f"{task.name}.onnx"), "ONNX models (*.onnx)")
        if path:
            self.start_model_export(Path(path))

    def export_drawings(self) -> None:
        task = self.session.task
        path, chosen = QFileDialog.getSaveFileName(self._parent, "Export your drawings",
                                                   str(self.session.home / f"{task.name}-drawings.zip"),
                                                   ";;".join(DRAWING_FORMATS))
        if path:
            self.start_drawings_export(Path(path), DRAWING_FORMATS.get(chosen, "images"))

    # --- the work, in a thread ---

    def start_model_export(self, out: Path) -> threading.Thread | None:
        source = self.session.model_file()
        if source is None:
            self.finished.emit(False, "No model file to export yet: train the network, or open a model.")
            return None
        return self._start(_export_model, source, out)

    def start_drawings_export(self, out: Path, fmt: str) -> threading.Thread | None:
        if self.session.project is None:
            self.finished.emit(False, "No drawings to export: the collection could not be opened.")
            return None
        return self._start(_export_drawings, self.session.project.folder, out, fmt)

    def _start(self, work, *args) -> threading.Thread:
        self.thread = run_in_thread(work, args, self.finished, "cnn-desktop-export", "export")
        return self.thread


def _export_model(source: Path, out: Path) -> str:
    from cnn_desktop.core.network.checkpoint import load_model
    from cnn_desktop.core.network.onnx_export import export_onnx, refuse_existing, require_export_extra

    require_export_extra()
    refuse_existing(out)
    saved = load_model(source)
    export_onnx(saved.model, out, source=source.name)
    return f"Exported the model to {out} (ONNX, {len(saved.spec.classes)} classes, probabilities out)."


def _export_drawings(project_folder: Path, out: Path, fmt: str) -> str:
    from cnn_desktop.core.data.export import export_drawings, labelled_drawings, refuse_existing
    from cnn_desktop.core.projects.project import Project

    refuse_existing(out)
    with Project.open(project_folder, read_only=True) as project:
        names = {c.id: c.name for c in project.classes}
        drawings, classes, _ = labelled_drawings(project.folder / "drawings", names)
    export_drawings(drawings, classes, fmt, out)
    return f"Exported {len(drawings)} drawings to {out} ({fmt})."
