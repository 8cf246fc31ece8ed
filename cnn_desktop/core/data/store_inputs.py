"""The decoded 28x28 inputs of a collection, kept between training runs so Train does not decode every PNG.

Each Train reads the whole collection (``DrawingStore.arrays()``): at 60,000 drawings, decoding them all
again took seconds before the first training step. This cache keeps, per drawing file, its pixels
(uint8, as stored) with the file's (inode, size, mtime, ctime) when it was decoded. A file whose
signature is unchanged is taken from here without being opened; any other file is decoded (and checked)
as before, and the cache is rewritten when something changed.

Where: ``<home>/cache/inputs/<hash of the collection's path>.npz`` (``data_home()``: the same folder as
the projects, or ``CNN_DESKTOP_HOME``), not beside the drawings: training reads a collection through a
read-only store, and a read-only project (another window's, a read-only share) must never be written.
It is a cache and never the truth: written atomically (``write_atomically``), ignored when missing,
unreadable, of another version or another collection, and failing to write it changes nothing else.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import zipfile
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from cnn_desktop.core.atomic import write_atomically
from cnn_desktop.core.data.example_png import read_stored, unfilter
from cnn_desktop.core.data.home import data_home
from cnn_desktop.core.errors import DataError

_VERSION = 1
_saves: list[threading.Thread] = []  # caches being written after a read (``save_later``)
Signature = tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns


def wait_for_saves(timeout: float | None = None) -> None:
    """Until the caches being written (``InputCache.save_later``) are on disk: for tests and tools that
    read a cache file right after a Train."""
    for thread in list(_saves):
        thread.join(timeout)


def cache_path(root: Path) -> Path:
    key = hashlib.sha256(os.fsencode(os.path.abspath(root))).hexdigest()[:24]
    return data_home() / "cache" / "inputs" / f"{key}.npz"


class InputCache:
    """The cached inputs of the collection at ``root``: ``get`` one, ``put`` what was decoded, ``save``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = cache_path(root)
        self._prefix = f"{root}{os.sep}"  # a file's key is its path without it: "label/name"
        self._index: dict[str, tuple[Signature, int]] = {}  # "label/name" -> (signature, row)
        self._pixels = np.zeros((0, 28, 28), np.uint8)
        self._new: dict[str, tuple[Signature, np.ndarray]] = {}
        self._used: set[str] = set()
        self._load()

    def seeds(self) -> dict[str, Signature]:
        """Every cached file (its path) with the signature it had when decoded (``FolderScanner.seed``)."""
        return {self._prefix + key: signature for key, (signature, _) in self._index.items()}

    def read(self, found: dict[str, tuple[str, str]], classes: Sequence[str],
             signature_of: Callable[[str], Signature | None],
             scanlines: Mapping[str, bytes] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The pixels (uint8 (N, 28, 28)) and class indices of the examples ``found`` ({id: (label,
        path)}, as a scan gives them), oldest first, and one line for each that failed to decode. What
        is cached with the signature ``signature_of`` gives is taken from here; the rest is decoded and
        kept for next time: from ``scanlines`` (path -> what a scan that checked the file kept of it),
        else read (``read_stored``), and all their row filters undone at once; then the cache is saved
        if it changed."""
        index = {label: i for i, label in enumerate(classes)}
        scanlines = scanlines or {}
        # This loop runs once per drawing before a Train's first step (60,000 times in a large
        # project), hence the plain lists and the cache's index read inline rather than through row().
        cached_positions: list[int] = []
        cached_rows: list[int] = []
        used: list[str] = []
        filtered: dict[int, bytes] = {}  # position -> scanlines, undone together below
        decoded: dict[int, np.ndarray] = {}  # position -> pixels Pillow decoded (files not the app's)
        keys: dict[int, tuple[str, Signature | None]] = {}
        targets, problems = [], []
        start, cache_index = len(self._prefix), self._index
        for example_id in sorted(found):
            label, path = found[example_id]
            key, signature = path[start:], signature_of(path)
            hit = cache_index.get(key)
            position = len(targets)
            if hit is not None and signature is not None and hit[0] == signature:
                cached_positions.append(position)
                cached_rows.append(hit[1])
                used.append(key)
            else:
                stored = scanlines.get(path)
                if stored is None:
                    try:
                        stored = read_stored(Path(path))
                    except DataError as error:
                        problems.append(str(error))
                        continue
                (filtered if isinstance(stored, bytes) else decoded)[position] = stored
                keys[position] = (key, signature)
            targets.append(index[label])
        self._used.update(used)
        pixels = np.empty((len(targets), 28, 28), np.uint8)
        if cached_positions:  # one copy for all the cached rows
            pixels[np.asarray(cached_positions, np.int64)] = self._pixels[np.asarray(cached_rows, np.int64)]
        if filtered:
            pixels[np.fromiter(filtered.keys(), np.int64, len(filtered))] = unfilter(list(filtered.values()))
        for position, grey in decoded.items():
            pixels[position] = grey
        for position, (key, signature) in keys.items():
            if signature is not None:  # a file still changing is decoded again next time
                self.put(key, signature, pixels[position])
        self.save_later()
        return pixels, np.asarray(targets, dtype=np.int64), problems

    def keep(self, scanlines: Mapping[str, bytes], signature_of: Callable[[str], Signature | None]) -> None:
        """Keep, and save, the inputs of files a count has just read and checked (path -> scanlines),
        for the first Train (``DrawingStore.first_count``). What else the cache held is dropped: a
        first count means no listing was kept, so neither is this cache likely to fit."""
        items = [(path[len(self._prefix):], signature, lines) for path, lines in scanlines.items()
                 if path.startswith(self._prefix) and (signature := signature_of(path)) is not None]
        if not items:
            return
        for (key, signature, _), grey in zip(items, unfilter([lines for _, _, lines in items])):
            self.put(key, signature, grey)
        self.save()

    @property
    def pixels(self) -> np.ndarray:
        """The cached uint8 (N, 28, 28) pixels; ``row`` says which row is whose."""
        return self._pixels

    def row(self, key: str, signature: Signature | None) -> int | None:
        """The row of this file's pixels if it is cached with this very signature, else None."""
        found = self._index.get(key)
        if found is None or signature is None or found[0] != signature:
            return None
        self._used.add(key)
        return found[1]

    def put(self, key: str, signature: Signature, pixels: np.ndarray) -> None:
        self._new[key] = (signature, pixels)

    def save_later(self) -> None:
        """``save`` in a thread of its own, so that a Train does not wait for it: at 60,000 drawings the
        cache is 47 MB, and writing it (flushed to disk) took 0.5 s of the 2.2 s between a first Train
        and its first step. Nothing here changes once ``read`` has returned; a Train that starts before
        the write ends reads the cache as it was and decodes the new drawings once more. The thread is
        not a daemon, so a process that ends meanwhile finishes the write first."""
        if not self._changed():
            return
        thread = threading.Thread(target=self.save, name="cnn-desktop-inputs-cache")
        _saves[:] = [*(t for t in _saves if t.is_alive()), thread]
        thread.start()

    def _changed(self) -> bool:
        return bool(self._new) or self._used != self._index.keys()

    def save(self) -> None:
        """Rewrite the cache with what was used and decoded this time, if that differs from it."""
        if not self._changed():
            return
        keys = sorted(self._used | self._new.keys())
        signatures = np.zeros((len(keys), 4), np.int64)
        pixels = np.zeros((len(keys), 28, 28), np.uint8)
        for row, key in enumerate(keys):
            if key in self._new:
                signatures[row], pixels[row] = self._new[key]
            else:
                signature, old_row = self._index[key]
                signatures[row], pixels[row] = signature, self._pixels[old_row]
        buffer = io.BytesIO()
        np.savez(buffer, version=np.array(_VERSION), root=np.array(os.fsencode(os.path.abspath(self.root))),
                 keys=np.array([os.fsencode(key) for key in keys], dtype=np.bytes_),
                 signatures=signatures, pixels=pixels)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, buffer.getvalue())
        except OSError:
            pass  # a cache: the next run decodes again

    def _load(self) -> None:
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if int(data["version"]) != _VERSION or data["root"].item() != os.fsencode(os.path.abspath(self.root)):
                    return
                keys, signatures, pixels = data["keys"], data["signatures"], data["pixels"]
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
            return  # none yet, or damaged: decode everything
        if pixels.shape[1:] != (28, 28) or pixels.dtype != np.uint8 or not len(keys) == len(signatures) == len(pixels):
            return
        self._pixels = pixels
        names = [os.fsdecode(key) for key in keys.tolist()]
        self._index = dict(zip(names, zip(map(tuple, signatures.tolist()), range(len(names)))))
