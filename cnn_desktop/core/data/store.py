"""The user's drawing collection on disk: labelled 28x28 drawings with their strokes.

Layout (an ordinary image folder, so other tools can read it)::

    <root>/cnn-desktop-collection.json   marker: {"format": "cnn-desktop-collection", "version": 1,
                                                  "classes": [...]} - tells a collection from any folder
    <root>/<label>/<id>.png              one example: the raster as an 8-bit grey PNG (white ink on
                                         black, as MNIST) with its strokes as JSON in a compressed
                                         "cnn-desktop-strokes" text chunk

One file holds a whole example, so committing it is one atomic rename and no index is the truth: the
hidden ``<root>/.cnn-desktop-listing.json`` (``store_index``) only remembers listings, and is ignored
wherever a folder changed since. The label is the folder and nothing else; ids sort by creation time.

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
are made and read in ``example_png``, the marker in ``collection_marker``; the class folders are
listed (each file's verdict kept) in ``store_scan``, counted in ``store_tally``, and the decoded inputs
kept between training runs in ``store_inputs``.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from cnn_desktop.core.atomic import STALE_TEMP_SECONDS, fsync_folder, remove_stale_temp_files, write_atomically
from cnn_desktop.core.errors import DataError, at, describe_error, shown
from cnn_desktop.core.data.collection_marker import MARKER_NAME, is_safe_name, read_marker, write_marker
from cnn_desktop.core.data.example_png import encode_example, load_raster, read_strokes
from cnn_desktop.core.data.store_inputs import InputCache
from cnn_desktop.core.data.store_scan import FolderScanner, id_of, stem_of, strays
from cnn_desktop.core.data.store_tally import FolderTally
from cnn_desktop.core.data.strokes import Strokes


@dataclass(frozen=True)
class Example:
    """One stored drawing: its id (also the file name stem), its label (the folder) and its file."""

    id: str
    label: str
    path: Path


class DrawingStore:
    """A collection of labelled drawings in ``root``; see the module docstring for layout and safety.

    The classes are those given, then those the marker lists: a folder that is neither is not a class
    (it is reported in ``skipped``, never added). ``read_only=True`` opens the collection to read it and
    changes no byte on disk: nothing is created, tidied or rewritten, and writes are refused. Otherwise
    opening creates a missing collection, deletes old temp files of crashed writes and lists the given
    classes in the marker; ``add``, ``relabel`` and ``remove`` are the only other writes.

    ``skipped`` lists, one "<file>: <reason>" line each, what the last scan (``examples()``,
    ``counts()``, ``arrays()``...) left out, and what opening found in the collection folder that is not
    part of it: damaged or undecodable files, duplicate ids, stray folders, symlink loops, FIFOs,
    sockets, devices, broken links, folders that cannot be listed. ``problems`` is the same list with,
    first, what went wrong at opening (a marker that could not be updated).
    """

    def __init__(self, root: str | os.PathLike[str], classes: Sequence[str], *, read_only: bool = False) -> None:
        self.root = Path(root)
        self.read_only = read_only
        self._at_open: list[str] = []  # what went wrong opening it (a marker that cannot be updated)
        self._strays: list[str] = []  # entries of the collection folder that are not classes
        self._skipped: list[str] = []  # what the last scan left out
        self._scanner = FolderScanner(self.root)  # lists class folders, keeps each file's verdict
        # Counts kept up to date from folder times, and saved for the next opening unless read-only.
        self._tally = FolderTally(self._scanner, keep_on_disk=not read_only)
        self._newest: dict[tuple[str, str], Example] = {}  # the last answer of newest()
        self._last_ns = 0  # last time stamp used in an id: keeps ids strictly increasing
        given = [self._checked_label(label) for label in classes]
        if read_only:
            if not self.root.is_dir():
                raise DataError(at(self.root, "no such collection folder"))
        else:
            self._make_root()
        marker_classes = read_marker(self.root)
        if marker_classes is None:
            self._refuse_foreign_folder()
        self._classes = _merge(given, marker_classes or [])
        self._strays = strays(self.root, self._classes)
        if not read_only:
            for folder in [self.root, *(self.root / label for label in self._classes)]:
                if self._scanner.folder_problem(folder) is None:  # never tidy a folder a link leads to
                    remove_stale_temp_files(folder, older_than=STALE_TEMP_SECONDS)  # read now: tests change it
            if marker_classes != self._classes:
                self._update_marker(at_open=True)

    @property
    def classes(self) -> tuple[str, ...]:
        """The class names, in the order used by ``arrays()``: those given, then those the marker lists."""
        return tuple(self._classes)

    @property
    def skipped(self) -> tuple[str, ...]:
        """What was left out and why, one "<file>: <reason>" line each (see the class docstring)."""
        return (*self._strays, *self._skipped)

    @property
    def problems(self) -> list[str]:
        """What went wrong at opening, then ``skipped``."""
        return [*self._at_open, *self.skipped]

    # --- writing ---

    def add(self, label: str, raster: np.ndarray, strokes: Strokes | None = None) -> Example:
        """Store one drawing. When this returns, the example is on disk durably (file and folder synced).

        On a write error (read-only folder, full disk) DataError is raised and nothing is added, except
        when only the final folder sync fails: the file is then in place but might not survive a power cut.
        """
        self._refuse_if_read_only("add a drawing")
        folder = self._label_folder(label)
        before = self._tally.signature(label)
        example = self._write_example(folder, label, raster, strokes)
        self._sync_folder(folder, example.path)
        self._tally.added(label, example.path, before)
        return example

    def add_many(self, items: Iterable[tuple[str, np.ndarray, Strokes | None]]) -> list[Example]:
        """Store many drawings, syncing each label folder once at the end instead of after every file.

        Each file is still fsynced and atomically renamed, so a crash never exposes a half-written
        example. When this returns, every example is durable. During the call, examples already
        renamed are visible but a power loss may drop them. If an item is bad (or the disk fills up),
        the examples before it are kept and synced, the rest are not written, and DataError is raised.
        """
        self._refuse_if_read_only("add drawings")
        added: list[Example] = []
        touched: dict[Path, Path] = {}  # label folder -> one file in it, to name in errors
        try:
            for label, raster, strokes in items:
                folder = self._label_folder(label)
                before = self._tally.signature(label)
                example = self._write_example(folder, label, raster, strokes)
                self._tally.added(label, example.path, before)
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
        self._refuse_if_read_only("delete a drawing")
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
        self._refuse_if_read_only("relabel a drawing")
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
        in ``skipped``; this checks each file's PNG header and end, ``arrays()`` decodes them fully."""
        labels = self._classes if label is None else [self._checked_label(label)]
        found = self._scan(labels, deep=False)
        return sorted((Example(i, name, Path(path)) for i, (name, path) in found.items()), key=lambda e: e.id)

    def counts(self, check: bool = False) -> dict[str, int]:
        """Number of examples of every class, zeros included, in class order. Only drawings that can be
        read count: a file that fails to decode is left out (and listed in ``skipped``), as in ``arrays()``.

        Kept up to date from the class folders' times (``store_tally.FolderTally``): while no folder
        changed, this costs one stat per class, and after ``add`` none, however large the collection.
        A file rewritten in place (no tool of ours does) is seen by the next ``arrays()`` or by
        ``check=True``, which reads every file's verdict again (one stat per file, kept verdicts)."""
        if check:
            counts = dict.fromkeys(self._classes, 0)
            for label, _ in self._scan(self._classes, deep=True).values():
                counts[label] += 1
            self._tally.check(counts)
            return counts
        counts, self._skipped = self._tally.counts(self._classes)
        return counts

    def newest(self, label: str | None = None, count: int = 300) -> tuple[list[Example], int]:
        """The newest ``count`` examples (of one label, or all), newest first, and how many there are:
        what a view of the collection shows. Costs what ``counts()`` costs, plus O(classes + count)."""
        counts = self.counts()
        labels = self._classes if label is None else [self._checked_label(label)]
        # The Examples of the last answer are used again: a view asks after each label key, and
        # building 300 Paths each time cost more than the rest of the key.
        last, self._newest = self._newest, {}
        for name_label, name in self._tally.newest(labels, count):
            self._newest[name_label, name] = last.get((name_label, name)) or Example(
                id_of(name[: -len(".png")]), name_label, self.root / name_label / name)
        return list(self._newest.values()), sum(counts.get(name, 0) for name in labels)

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

        Oldest first. Files that fail to decode are skipped and listed in ``skipped``. Files decoded by
        an earlier call (of any store on this collection) and unchanged since are taken from the inputs
        cache (``store_inputs``) without being opened.
        """
        cache = InputCache(self.root)
        self._scanner.seed(cache.seeds())  # files decoded before and unchanged: checked with a stat
        # The others are read once: the check keeps what it decoded (as examples(), without 60,000 Paths).
        found, scanlines = self._scan_keeping_inputs()
        pixels, labels, problems = cache.read(found, self._classes, self._scanner.signature_of, scanlines)
        self._skipped = [*self._skipped, *problems]
        read = np.bincount(labels, minlength=len(self._classes)).tolist()
        self._tally.check(dict(zip(self._classes, read)))  # a file changed in place since counted: count again
        x = np.divide(pixels, np.float32(255), dtype=np.float32)  # as load_raster makes it, in one pass
        return x, labels

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
        stem = stem_of(example_id)
        if stem is not None:
            for label in self._classes:
                path = self.root / label / f"{stem}.png"
                if self._scanner.folder_problem(path.parent) is None and _is_regular(path):
                    return Example(example_id, label, path)
        raise DataError(at(self.root, f"no example with id {shown(example_id)}"))

    def first_count(self) -> dict[str, int]:
        """``counts()``, keeping the input of every drawing it checks in the inputs cache
        (``store_inputs``). A first count reads and checks every file, which is all of decoding it but
        undoing its row filters; kept, the first Train of a large collection reads no file
        (``core/app/first_count.py``)."""
        self._scanner.scanlines = {}
        try:
            counts = self.counts()
            kept = self._scanner.scanlines
        finally:
            self._scanner.scanlines = None
        InputCache(self.root).keep(kept, self._scanner.signature_of)
        return counts

    def _scan_keeping_inputs(self) -> tuple[dict[str, tuple[str, str]], dict[str, bytes]]:
        """A full scan, and the scanlines of the files it read to check them (``FolderScanner.scanlines``)."""
        self._scanner.scanlines = {}
        try:
            return self._scan(self._classes, deep=True), self._scanner.scanlines
        finally:
            self._scanner.scanlines = None

    def _scan(self, labels: Sequence[str], deep: bool) -> dict[str, tuple[str, str]]:
        """The examples in these class folders, {id: (label, path)}; what is left out goes to ``_skipped``."""
        found, self._skipped = self._scanner.scan(labels, deep, everything=len(labels) == len(self._classes))
        return found

    def _refuse_if_read_only(self, what: str) -> None:
        if self.read_only:
            raise DataError(at(self.root, f"opened for reading; cannot {what}"))

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
        problem = self._scanner.folder_problem(folder)
        if problem is not None:  # never write where a link back to the collection or above leads
            raise DataError(at(folder, f"cannot store drawings here: {problem}"))
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

    def _update_marker(self, at_open: bool) -> None:
        """Rewrite the marker with the current classes. At open, failing (read-only folder) is not fatal
        when a marker exists: the collection stays readable and the problem is reported."""
        path = self.root / MARKER_NAME
        try:
            write_marker(self.root, self._classes)
        except OSError as error:
            message = at(path, f"cannot write the collection marker ({describe_error(error)})")
            if at_open and path.exists():
                self._at_open.append(message)
                return
            raise DataError(message) from None

    @staticmethod
    def _sync_folder(folder: Path, path_for_errors: Path) -> None:
        try:
            fsync_folder(folder)
        except OSError as error:
            raise DataError(at(path_for_errors, f"cannot make the change durable ({describe_error(error)})")) from None


# --- module helpers ------------------------------------------------------------------------------


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _merge(*lists: Sequence[str]) -> list[str]:
    """Concatenate, keeping the first occurrence of each name."""
    return list(dict.fromkeys(name for names in lists for name in names))
