"""Importing a data set (MNIST IDX folder, image folder) into a collection, off the GUI thread.

Reading and preprocessing ten thousand images takes seconds; it runs in a thread of its own so the
window keeps drawing and the engine keeps training. Results come back as queued Qt signals.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import QObject, Signal

from cnn_desktop.core.data.datasets import load_dataset
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.data.store import DrawingStore


class _Cancelled(Exception):
    pass


class ImportJob(QObject):
    progress = Signal(int, int)  # (done, total) while reading
    finished = Signal(int, object, str)  # (examples added, tuple of "<file>: why" left out, problem or "")

    def __init__(self, source: Path, collection: Path, classes: Sequence[str], parent: QObject | None = None):
        super().__init__(parent)
        self.source, self.collection, self.classes = Path(source), Path(collection), tuple(classes)
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cnn-desktop-import", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        """Stop before writing anything further; what was written stays (each example is atomic)."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            dataset = load_dataset(self.source, self.classes, progress=self._report)
            store = DrawingStore(self.collection, self.classes)
            items = ((dataset.classes[label], image, None) for image, label in zip(dataset.images, dataset.labels))
            added = store.add_many(self._until_cancelled(items))
        except _Cancelled:
            self.finished.emit(0, (), "import cancelled")
        except CnnDesktopError as error:
            self.finished.emit(0, (), str(error))
        except Exception as error:  # noqa: BLE001 - a bug must still reach the person, not vanish
            self.finished.emit(0, (), f"import failed: {type(error).__name__}: {error}")
        else:
            self.finished.emit(len(added), tuple(dataset.skipped), "")

    def _report(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise _Cancelled
        self.progress.emit(done, total)

    def _until_cancelled(self, items):
        for item in items:
            if self._cancel.is_set():
                return
            yield item
