"""Importing drawings (an image folder, a zip of one, an MNIST IDX folder, a collection) into the mode's
project, off the GUI thread.

The source is opened and checked first (core/data/import_sources.py: every label must be a class of
the project, IDX headers must fit this machine), then read and stored one batch at a time, so memory
stays one batch whatever the source holds. The job runs as a superqt generator worker on Qt's thread
pool, so the window keeps drawing and the engine keeps training; progress comes back as the worker's
``yielded`` signal, queued to the GUI thread: ("checking", 0, 0) while the source is opened, then
("importing", done, total) after each batch is stored, which is also where Cancel stops it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from superqt.utils import GeneratorWorker

from cnn_desktop.core.data.import_sources import open_import_source
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.errors import CnnDesktopError, DataError, at, listed, shown

# Drawings read, then stored (and their label folders synced) between two progress reports, which are
# also the points where a cancelled import stops.
WRITE_BATCH = 100

CANCELLED = "import cancelled"


class ImportJob(GeneratorWorker):
    """When ``finished`` comes, ``outcome`` is (drawings added, tuple of "<file>: why" left out, problem
    or ""). A job cancelled midway keeps what it stored (each drawing is written atomically)."""

    def __init__(self, source: Path, collection: Path, class_names: Sequence[str],
                 class_ids: Sequence[str] | None = None) -> None:
        self.source, self.collection = Path(source), Path(collection)
        self.names = tuple(class_names)
        # The source's labels are class names; a project stores drawings under class ids, which stay
        # when a class is renamed. A built-in mode's ids are its names.
        self.ids = dict(zip(self.names, class_ids or self.names))
        self.added = 0
        self._left_out: list[str] = []
        self._outcome: tuple[int, tuple[str, ...], str] | None = None
        super().__init__(self._steps)

    @property
    def outcome(self) -> tuple[int, tuple[str, ...], str]:
        # None: the worker stopped at a yield on ``cancel`` and never got back into the generator.
        return self._outcome or (self.added, tuple(self._left_out), CANCELLED)

    def cancel(self) -> None:
        """Stop before storing another batch (``quit``)."""
        self.quit()

    def _steps(self):
        # Every failure becomes the one line the person sees: the worker's own error path would drop a
        # RuntimeError without ``finished`` (it takes it for a deleted worker).
        try:
            yield "checking", 0, 0
            with open_import_source(self.source, disk_folder=self.collection) as source:
                self._check_labels(source.labels)
                self._left_out = list(source.skipped)
                store = DrawingStore(self.collection, tuple(self.ids.values()))
                done = 0
                for drawings, left_out in source.batches(WRITE_BATCH):
                    self._left_out += left_out
                    self.added += len(store.add_many([(self.ids[label], raster, strokes)
                                                      for label, raster, strokes in drawings]))
                    done += len(drawings) + len(left_out)
                    yield "importing", done, source.count  # the worker stops here once cancelled
        except CnnDesktopError as error:
            self._outcome = (self.added, tuple(self._left_out), str(error))
        except Exception as error:  # noqa: BLE001 - a bug must still reach the person, not vanish
            self._outcome = (self.added, tuple(self._left_out), f"import failed: {type(error).__name__}: {error}")
        else:
            self._outcome = (self.added, tuple(self._left_out), self._nothing_imported())

    def _check_labels(self, labels: Sequence[str]) -> None:
        if not labels:
            raise DataError(at(self.source, "no label folders (expected <folder>/<label>/*.png)"))
        unknown = sorted(set(labels) - set(self.names))
        if unknown:
            what = f"unknown label {shown(unknown[0])}" if len(unknown) == 1 else f"unknown labels {listed(unknown)}"
            expected = ", ".join(shown(name) for name in sorted(self.names)[:10]) + (", ..." if len(self.names) > 10 else "")
            raise DataError(at(self.source / unknown[0], f"{what}; expected one of {expected}; nothing imported"))

    def _nothing_imported(self) -> str:
        """The problem when every drawing was left out ("" otherwise): one file, its own line."""
        if self.added or not self._left_out:
            return ""
        if len(self._left_out) == 1:
            return self._left_out[0]
        if all("blank" in line.split(": ", 1)[-1] for line in self._left_out):  # the reason, after the file
            return at(self.source, "every image in the folder is blank; nothing imported")
        return at(self.source, f"nothing could be imported; {len(self._left_out)} files left out, the first: "
                               f"{self._left_out[0]}")
