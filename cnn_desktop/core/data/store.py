"""The user's drawing collection on disk: labelled 28x28 drawings with their strokes.

Layout (an ordinary image folder, so other tools can read it)::

    <root>/cnn-desktop-collection.json   marker: {"format": "cnn-desktop-collection", "version": 1,
                                                  "classes": [...]} - tells a collection from any folder
    <root>/<label>/<id>.png              one example: the raster as an 8-bit grey PNG (white ink on
                                         black, as MNIST) with its strokes as JSON in a compressed
                                         "cnn-desktop-strokes" text chunk

One file holds a whole example, so committing it is one atomic rename and there is no index that could
disagree with the files. The label is the folder and nothing else; ids sort by creation time.

Every write goes to a hidden temp file in the target folder, is flushed and fsynced, renamed onto its
final name with ``os.replace``, and the folder is fsynced. A crash at any instant therefore leaves each
example either complete or absent (never half-written under its final name), and loses nothing whose
``add`` had returned. Leftover temp files (".<name>.<8 hex>.tmp") are invisible to listings and are
deleted when a store is opened, once they are older than ``STALE_TEMP_SECONDS``: several stores may be
open on one collection at once (the app's import and training threads open their own), and a younger
temp file may belong to one of them in the middle of a write.

A store holds no global state and is meant for one thread; threads (or processes) that need the same
collection each open their own store on it.

This module is the store: where files go and how changes are made durable. The bytes of one example
are made and read in ``example_png``, the marker in ``collection_marker``.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from cnn_desktop.core.atomic import STALE_TEMP_SECONDS, fsync_folder, remove_stale_temp_files, write_atomically
from cnn_desktop.core.errors import DataError, at, describe_error
from cnn_desktop.core.data.collection_marker import MARKER_NAME, is_safe_name, read_marker, write_marker
from cnn_desktop.core.data.example_png import SIZE, encode_example, load_raster, png_frame_problem, read_strokes
from cnn_desktop.core.data.strokes import Strokes


@dataclass(frozen=True)
class Example:
    """One stored drawing: its id (also the file name stem), its label (the folder) and its file."""

    id: str
    label: str
    path: Path


class DrawingStore:
    """A collection of labelled drawings in ``root``; see the module docstring for layout and safety.

    ``problems`` lists, one line each, what the last scan (opening, ``examples()``, ``arrays()``...)
    found wrong and skipped: damaged files, duplicate ids, a marker that could not be updated.
    """

    def __init__(self, root: str | os.PathLike[str], classes: Sequence[str]) -> None:
        self.root = Path(root)
        self.problems: list[str] = []
        self._last_ns = 0  # last time stamp used in an id: keeps ids strictly increasing
        given = [self._checked_label(label) for label in classes]
        self._make_root()
        marker_classes = read_marker(self.root)
        if marker_classes is None:
            self._refuse_foreign_folder()
        on_disk = self._label_folders()
        self._classes = _merge(given, marker_classes or [], sorted(on_disk))
        for folder in [self.root, *(self.root / label for label in on_disk)]:
            remove_stale_temp_files(folder, older_than=STALE_TEMP_SECONDS)  # read now: tests change it
        if marker_classes != self._classes:
            self._update_marker(at_open=True)

    @property
    def classes(self) -> tuple[str, ...]:
        """The class names, in the order used by ``arrays()``: those given, then others found on disk."""
        return tuple(self._classes)

    # --- writing ---

    def add(self, label: str, raster: np.ndarray, strokes: Strokes | None = None) -> Example:
        """Store one drawing. When this returns, the example is on disk durably (file and folder synced).

        On a write error (read-only folder, full disk) DataError is raised and nothing is added, except
        when only the final folder sync fails: the file is then in place but might not survive a power cut.
        """
        folder = self._label_folder(label)
        example = self._write_example(folder, label, raster, strokes)
        self._sync_folder(folder, example.path)
        return example

    def add_many(self, items: Iterable[tuple[str, np.ndarray, Strokes | None]]) -> list[Example]:
        """Store many drawings, syncing each label folder once at the end instead of after every file.

        Each file is still fsynced and atomically renamed, so a crash never exposes a half-written
        example. When this returns, every example is durable. During the call, examples already
        renamed are visible but a power loss may drop them. If an item is bad (or the disk fills up),
        the examples before it are kept and synced, the rest are not written, and DataError is raised.
        """
        added: list[Example] = []
        touched: dict[Path, Path] = {}  # label folder -> one file in it, to name in errors
        try:
            for label, raster, strokes in items:
                folder = self._label_folder(label)
                example = self._write_example(folder, label, raster, strokes)
                touched.setdefault(folder, example.path)
                added.append(example)
        except BaseException:
            for folder, path in touched.items():  # make what was written durable, then report
                try:
                    self._sync_folder(folder, path)
                except DataError:
                    pass
            raise
        for folder, path in touched.items():
            self._sync_folder(folder, path)
        return added

    def remove(self, example_id: str) -> None:
        """Delete an example. When this returns, the deletion is durable."""
        example = self._find(example_id)
        try:
            os.unlink(example.path)
        except OSError as error:
            raise DataError(at(example.path, f"cannot delete ({describe_error(error)})")) from None
        self._sync_folder(example.path.parent, example.path)

    def relabel(self, example_id: str, new_label: str) -> Example:
        """Move an example to another label with one atomic rename; durable when this returns.

        A crash during the call leaves the example under exactly one of the two labels.
        """
        example = self._find(example_id)
        folder = self._label_folder(new_label)
        if folder == example.path.parent:
            return example
        target = folder / example.path.name
        if target.exists():
            raise DataError(at(target, f"already exists; cannot move {example.path} there"))
        try:
            os.replace(example.path, target)
        except OSError as error:
            raise DataError(at(example.path, f"cannot move to {folder.name!r} ({describe_error(error)})")) from None
        self._sync_folder(folder, target)  # the new entry first: the example must never be lost
        self._sync_folder(example.path.parent, example.path)
        return Example(example.id, new_label, target)

    # --- reading ---

    def examples(self, label: str | None = None) -> list[Example]:
        """Stored examples (of one label, or all), oldest first. Damaged files are skipped and listed
        in ``problems``; this checks each file's PNG header and end, ``arrays()`` decodes them fully."""
        labels = self._classes if label is None else [self._checked_label(label)]
        problems: list[str] = []
        found: dict[str, Example] = {}
        for name in labels:
            for path in self._png_files(self.root / name):
                problem = png_frame_problem(path)
                example_id = path.name[: -len(".png")]
                if problem is None and example_id in found:
                    problem = f"same id as {found[example_id].path}; ignored"
                if problem is not None:
                    problems.append(at(path, problem))
                    continue
                found[example_id] = Example(example_id, name, path)
        self.problems = problems
        return sorted(found.values(), key=lambda example: example.id)

    def counts(self) -> dict[str, int]:
        """Number of examples of every class, zeros included, in class order."""
        counts = dict.fromkeys(self._classes, 0)
        for example in self.examples():
            counts[example.label] += 1
        return counts

    def __len__(self) -> int:
        return len(self.examples())

    def raster(self, example_id: str) -> np.ndarray:
        """The drawing as float32 (28, 28) in [0, 1] (8-bit precision: steps of 1/255)."""
        return load_raster(self._find(example_id).path)

    def strokes(self, example_id: str) -> Strokes | None:
        """The strokes stored with the drawing, or None if it was saved without them."""
        return read_strokes(self._find(example_id).path)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Every readable example: X float32 (N, 28, 28) in [0, 1], y int64 indices into ``classes``.

        Oldest first. Files that fail to decode are skipped and listed in ``problems``.
        """
        index = {label: i for i, label in enumerate(self._classes)}
        examples = self.examples()
        problems = list(self.problems)
        rasters, targets = [], []
        for example in examples:
            try:
                rasters.append(load_raster(example.path))
            except DataError as error:
                problems.append(str(error))
                continue
            targets.append(index[example.label])
        self.problems = problems
        x = np.stack(rasters) if rasters else np.zeros((0, SIZE, SIZE), np.float32)
        return x, np.asarray(targets, dtype=np.int64)

    # --- helpers: examples ---

    def _write_example(self, folder: Path, label: str, raster: np.ndarray, strokes: Strokes | None) -> Example:
        data = encode_example(raster, strokes, self.root)
        example_id = self._new_id()
        path = folder / f"{example_id}.png"
        try:
            write_atomically(path, data, sync_folder=False)
        except OSError as error:
            raise DataError(at(path, f"cannot save ({describe_error(error)})")) from None
        return Example(example_id, label, path)

    def _new_id(self) -> str:
        """Creation time in hex nanoseconds (sortable), strictly increasing here, plus a random tag
        so that two processes adding in the same nanosecond still get different ids."""
        now = max(time.time_ns(), self._last_ns + 1)
        self._last_ns = now
        return f"{now:016x}-{secrets.token_hex(3)}"

    def _find(self, example_id: str) -> Example:
        if isinstance(example_id, str) and is_safe_name(example_id):
            for label in self._classes:
                path = self.root / label / f"{example_id}.png"
                if path.is_file():
                    return Example(example_id, label, path)
        raise DataError(at(self.root, f"no example with id {example_id!r}"))

    @staticmethod
    def _png_files(folder: Path) -> list[Path]:
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return []  # a class nothing was added to yet has no folder
        except OSError as error:
            raise DataError(at(folder, f"cannot list ({describe_error(error)})")) from None
        return [
            Path(entry.path) for entry in entries
            if entry.name.endswith(".png") and not entry.name.startswith(".") and entry.is_file()
        ]

    # --- helpers: folders, labels and the marker ---

    def _checked_label(self, label: str) -> str:
        if not isinstance(label, str) or not is_safe_name(label) or label == MARKER_NAME:
            raise DataError(at(self.root, f"bad label {label!r}: it must be a plain folder name "
                                          f"(not empty, no path separators, not starting with '.')"))
        return label

    def _label_folder(self, label: str) -> Path:
        """The folder of ``label``, created (and the class added) if it is new."""
        label = self._checked_label(label)
        folder = self.root / label
        if not folder.is_dir():
            try:
                folder.mkdir()
            except FileExistsError:
                if not folder.is_dir():
                    raise DataError(at(folder, "exists but is not a folder")) from None
            except OSError as error:
                raise DataError(at(folder, f"cannot create ({describe_error(error)})")) from None
            self._sync_folder(self.root, folder)
        if label not in self._classes:
            self._classes.append(label)
            self._update_marker(at_open=False)
        return folder

    def _make_root(self) -> None:
        """Create the collection folder (and missing parents), their new entries synced: otherwise a
        power cut could lose the whole folder along with examples whose add() had returned."""
        missing = [folder for folder in (self.root, *self.root.parents) if not folder.exists()]
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for folder in reversed(missing):
                fsync_folder(folder.parent)
        except FileExistsError:
            raise DataError(at(self.root, "exists but is not a folder")) from None
        except OSError as error:
            raise DataError(at(self.root, f"cannot create the collection folder ({describe_error(error)})")) from None

    def _refuse_foreign_folder(self) -> None:
        """Without a marker, only an empty folder may become a collection: never adopt a user's folder."""
        try:
            visible = [name for name in os.listdir(self.root) if not name.startswith(".")]
        except OSError as error:
            raise DataError(at(self.root, f"cannot list ({describe_error(error)})")) from None
        if visible:
            raise DataError(at(self.root, f"not a cnn-desktop collection (no {MARKER_NAME}) and not empty"))

    def _label_folders(self) -> list[str]:
        found = []
        try:
            entries = list(os.scandir(self.root))
        except OSError as error:
            raise DataError(at(self.root, f"cannot list ({describe_error(error)})")) from None
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            if is_safe_name(entry.name):
                found.append(entry.name)
            else:
                self.problems.append(at(entry.path, "folder name is not a valid label; ignored"))
        return found

    def _update_marker(self, at_open: bool) -> None:
        """Rewrite the marker with the current classes. At open, failing (read-only folder) is not fatal
        when a marker exists: the collection stays readable and the problem is reported."""
        path = self.root / MARKER_NAME
        try:
            write_marker(self.root, self._classes)
        except OSError as error:
            message = at(path, f"cannot write the collection marker ({describe_error(error)})")
            if at_open and path.exists():
                self.problems.append(message)
                return
            raise DataError(message) from None

    @staticmethod
    def _sync_folder(folder: Path, path_for_errors: Path) -> None:
        try:
            fsync_folder(folder)
        except OSError as error:
            raise DataError(at(path_for_errors, f"cannot make the change durable ({describe_error(error)})")) from None


# --- module helpers ------------------------------------------------------------------------------


def _merge(*lists: Sequence[str]) -> list[str]:
    """Concatenate, keeping the first occurrence of each name."""
    return list(dict.fromkeys(name for names in lists for name in names))
