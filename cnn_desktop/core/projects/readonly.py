"""The drawings of a project opened read-only: DrawingStore's reading half, and nothing ever written.

Opening a DrawingStore may write: it creates a missing folder, rewrites a marker that lags behind its
folders, and deletes the temp files a crashed write left. A project opened read-only (another window
has it, or it sits on a read-only share) must not change a byte, so the store is only opened once it
is clear that it will write nothing; otherwise the reader is told, in one line, to open the project
for writing once. Every write is refused with one line.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Sequence

from cnn_desktop.core.atomic import STALE_TEMP_SECONDS, TEMP_NAME
from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.errors import at
from cnn_desktop.core.projects.lock import ProjectError


class ReadOnlyStore:
    """Reads like a DrawingStore (examples, counts, raster, strokes, arrays, classes, root, problems)."""

    def __init__(self, project: Path, drawings: Path, class_ids: Sequence[str]) -> None:
        self.root = drawings
        self._project = project
        self._ids = list(class_ids)
        self._store: DrawingStore | None = None

    def _opened(self) -> DrawingStore:
        if self._store is None:
            problem = would_write(self.root, self._ids)
            if problem:
                raise ProjectError(at(self._project, f"{problem}; open it for writing once to tidy it"))
            # read_only: it would write nothing anyway (checked above), and must not keep its listings.
            self._store = DrawingStore(self.root, self._ids, read_only=True)
        return self._store

    # --- reading: the store's own answers ---

    @property
    def classes(self) -> tuple[str, ...]:
        return self._opened().classes

    @property
    def problems(self) -> list[str]:
        return self._opened().problems

    @property
    def skipped(self) -> tuple[str, ...]:
        return self._opened().skipped

    def examples(self, label: str | None = None):
        return self._opened().examples(label)

    def counts(self) -> dict[str, int]:
        return self._opened().counts()

    def newest(self, label: str | None = None, count: int = 300):
        return self._opened().newest(label, count)

    def __len__(self) -> int:
        return len(self._opened().examples())

    def raster(self, example_id: str):
        return self._opened().raster(example_id)

    def strokes(self, example_id: str):
        return self._opened().strokes(example_id)

    def arrays(self):
        return self._opened().arrays()

    # --- writing: refused ---

    def _refuse(self, what: str):
        raise ProjectError(at(self._project, f"opened read-only; cannot {what}"))

    def add(self, *args, **kwargs):
        self._refuse("add a drawing")

    def add_many(self, *args, **kwargs):
        self._refuse("add drawings")

    def remove(self, *args, **kwargs):
        self._refuse("delete a drawing")

    def relabel(self, *args, **kwargs):
        self._refuse("relabel a drawing")


def would_write(drawings: Path, class_ids: Sequence[str]) -> str | None:
    """Why opening a DrawingStore on ``drawings`` with these classes would write, or None if it would not."""
    if not drawings.is_dir():
        return "its drawings folder is missing"
    try:
        marker = json.loads((drawings / MARKER_NAME).read_text(encoding="utf-8")).get("classes")
        folders = sorted(e.name for e in os.scandir(drawings) if e.is_dir() and not e.name.startswith("."))
    except (OSError, ValueError, AttributeError, RecursionError):
        return "its drawings folder has no readable collection marker"
    # Folders that are neither the project's classes nor in the marker are ignored by the store (and
    # reported), never written into the marker, so they do not count here.
    if not isinstance(marker, list) or list(dict.fromkeys([*class_ids, *marker])) != marker:
        return "its drawings folder's marker lags behind its classes"
    too_old = time.time() - STALE_TEMP_SECONDS
    for folder in [drawings, *(drawings / name for name in folders)]:
        try:
            for entry in os.scandir(folder):
                if TEMP_NAME.match(entry.name) and entry.stat(follow_symlinks=False).st_mtime < too_old:
                    return "its drawings folder holds leftovers of an interrupted write"
        except OSError:
            continue  # unreadable: the store will say so when it lists it
    return None
