"""Importing a data set (MNIST IDX folder, image folder) into a collection, off the GUI thread.

Reading and preprocessing ten thousand images takes seconds; the job runs as a superqt generator
worker on Qt's thread pool, so the window keeps drawing and the engine keeps training. Progress comes
back as the worker's ``yielded`` signal, queued to the GUI thread: ("reading", done, total) while the
files are read, then ("writing", done, total) while the examples are stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from superqt.utils import GeneratorWorker

from cnn_desktop.core.data.datasets import load_dataset
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.errors import CnnDesktopError

# Examples stored (and their label folders synced) between two progress reports, which are also the
# points where a cancelled import stops writing.
WRITE_BATCH = 100

CANCELLED = "import cancelled"


class _Cancelled(Exception):
    pass


class ImportJob(GeneratorWorker):
    """When ``finished`` comes, ``outcome`` is (examples added, tuple of "<file>: why" left out,
    problem or ""). A job cancelled while writing keeps what it wrote (each example is atomic)."""

    def __init__(self, source: Path, collection: Path, classes: Sequence[str]) -> None:
        self.source, self.collection, self.classes = Path(source), Path(collection), tuple(classes)
        self.added = 0
        self._outcome: tuple[int, tuple[str, ...], str] | None = None
        super().__init__(self._steps)

    @property
    def outcome(self) -> tuple[int, tuple[str, ...], str]:
        # None: the worker stopped at a yield on ``cancel`` and never got back into the generator.
        return self._outcome or (self.added, (), CANCELLED)

    def cancel(self) -> None:
        """Stop before writing anything further (``quit``)."""
        self.quit()

    def _steps(self):
        # Every failure becomes the one line the person sees: the worker's own error path would drop a
        # RuntimeError without ``finished`` (it takes it for a deleted worker).
        try:
            dataset = load_dataset(self.source, self.classes, progress=self._reading)
            store = DrawingStore(self.collection, self.classes)
            items = [(dataset.classes[label], image, None) for image, label in zip(dataset.images, dataset.labels)]
            for start in range(0, len(items), WRITE_BATCH):
                self.added += len(store.add_many(items[start:start + WRITE_BATCH]))
                yield "writing", self.added, len(items)  # the worker stops here once cancelled
        except _Cancelled:
            self._outcome = (self.added, (), CANCELLED)
        except CnnDesktopError as error:
            self._outcome = (0, (), str(error))
        except Exception as error:  # noqa: BLE001 - a bug must still reach the person, not vanish
            self._outcome = (0, (), f"import failed: {type(error).__name__}: {error}")
        else:
            self._outcome = (self.added, tuple(dataset.skipped), "")

    def _reading(self, done: int, total: int) -> None:
        # Reading is one call into the core with a progress callback, so there is no yield to stop at:
        # the callback reports through the same signal a yield would, and stops the call when asked.
        if self.abort_requested:
            raise _Cancelled
        self.yielded.emit(("reading", done, total))
