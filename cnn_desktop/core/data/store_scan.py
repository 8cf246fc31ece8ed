"""Reading a collection's class folders: which files are examples, and what is wrong with the others.

``DrawingStore`` decides where files go and how changes are made durable; this module only looks. A
``FolderScanner`` lists class folders and gives each file a verdict (None: an example; else why it is
left out), and remembers each verdict while the file's inode, size and times stay the same, so that
listing the collection again (after every drawing added) costs one stat per file, not one read.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Sequence

from cnn_desktop.core.errors import DataError, at, describe_error
from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.example_png import example_verdict, png_frame_problem
from cnn_desktop.core.data.readers import FILE, FOLDER, entry_kind, links_back, not_regular

_UNCHECKED = object()  # no verdict on decoding yet, only on the header and end
# A file changed within the last seconds may change again without its times moving (they are only as
# fine as the kernel's clock tick): its verdict is not kept until it has settled.
SETTLED_NS = 2_000_000_000


class FolderScanner:
    """Lists the class folders of the collection at ``root``, keeping each file's verdict (see above)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # path -> ((inode, size, mtime, ctime), frame verdict, decode verdict or _UNCHECKED)
        self._checked: dict[str, tuple[tuple[int, int, int, int], str | None, object]] = {}
        # When a dict: path -> scanlines of each file a deep verdict read and found laid out as the app
        # writes it (``example_verdict``). Checking such a file is all of decoding it but undoing the
        # row filters, so a caller that wants the inputs (``DrawingStore.arrays``, a first count) keeps
        # them instead of reading every file a second time.
        self.scanlines: dict[str, bytes] | None = None

    def scan(self, labels: Sequence[str], deep: bool, everything: bool) -> tuple[dict[str, tuple[str, str]], list[str]]:
        """The examples in these class folders, {id: (label, path)}, and one line for each file left
        out. ``deep``: only drawings that decode (``example_verdict``), else only the header and end
        are checked. ``everything``: ``labels`` are all the classes, so verdicts of files not seen are
        forgotten. (Tuples, not Examples: counting after each label key builds no objects.)"""
        skipped: list[str] = []
        found: dict[str, tuple[str, str]] = {}
        seen: set[str] = set()
        now = time.time_ns()
        for label in labels:
            folder = self.root / label
            problem = self.folder_problem(folder)
            if problem is not None:
                skipped.append(at(folder, problem))
                continue
            try:
                entries = list(os.scandir(folder))
            except FileNotFoundError:
                continue  # a class nothing was added to yet has no folder
            except OSError as error:
                skipped.append(at(folder, f"cannot list ({describe_error(error)}); its drawings are left out"))
                continue
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue  # our temp files, .DS_Store...
                if name.endswith(".png"):
                    seen.add(entry.path)
                problem = self.entry_problem(entry, now, deep)
                example_id = id_of(name[: -len(".png")])
                if problem is None and example_id in found:
                    problem = f"same id as {found[example_id][1]}; ignored"
                if problem is not None:
                    skipped.append(at(entry.path, problem))
                    continue
                found[example_id] = (label, entry.path)
        if everything and len(seen) < len(self._checked):  # forget files that are gone
            self._checked = {path: value for path, value in self._checked.items() if path in seen}
        return found, skipped

    def seed(self, decoded: dict[str, tuple[int, int, int, int]]) -> None:
        """Files known to decode while their (inode, size, mtime, ctime) stay these (``store_inputs``):
        a scan then checks them with a stat, without reading them."""
        for path, signature in decoded.items():
            self._checked.setdefault(path, (signature, None, None))

    def signature_of(self, path: str) -> tuple[int, int, int, int] | None:
        """The signature the last scan saw for this file, if its verdict is kept (it had settled)."""
        cached = self._checked.get(path)
        return cached[0] if cached is not None else None

    def entry_problem(self, entry: os.DirEntry, now: int, deep: bool = True) -> str | None:
        """What is wrong with this entry of a class folder as an example (None: nothing)."""
        kind = entry_kind(entry)
        if kind != FILE:
            return "a folder inside a class; ignored" if kind == FOLDER else kind
        if not entry.name.endswith(".png"):
            return "not a drawing (not .png); ignored"
        return self._verdict(entry, deep, now)

    def _verdict(self, entry: os.DirEntry, deep: bool, now: int) -> str | None:
        """What is wrong with this example file (None: nothing), remembered while the file stays the same."""
        try:
            info = entry.stat()
        except OSError as error:
            return f"cannot read ({describe_error(error)})"
        signature = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        cached = self._checked.get(entry.path)
        if cached is not None and cached[0] == signature and (not deep or cached[2] is not _UNCHECKED):
            return cached[2] if deep else cached[1]
        path = Path(entry.path)
        if deep:
            frame, decoded, scanlines = example_verdict(path)
            if scanlines is not None and self.scanlines is not None:
                self.scanlines[entry.path] = scanlines
        else:
            frame = png_frame_problem(path)
            decoded = _UNCHECKED if frame is None else frame
        if now - info.st_ctime_ns > SETTLED_NS:
            self._checked[entry.path] = (signature, frame, decoded)
        return decoded if deep else frame

    def folder_problem(self, folder: Path) -> str | None:
        """Why a class folder is not read: a link back to the collection or above it, a loop, a file."""
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            return None  # no drawings yet
        except OSError as error:
            return f"cannot read ({describe_error(error)}); its drawings are left out"
        if stat.S_ISDIR(info.st_mode):
            return None
        if not stat.S_ISLNK(info.st_mode):
            return f"{not_regular(info.st_mode).replace('regular file', 'folder')}; ignored" \
                if not stat.S_ISREG(info.st_mode) else "a file, not a class folder; ignored"
        try:
            target = os.stat(folder).st_mode
        except FileNotFoundError:
            return "a broken link; ignored"
        except OSError as error:
            return f"cannot read ({describe_error(error)}); ignored"
        if not stat.S_ISDIR(target):
            return "a link to something that is not a folder; ignored"
        if links_back(folder, self.root):
            return f"a link to {' '.join(os.readlink(folder).split())}, back to the collection or above it; ignored"
        return None


def strays(root: Path, classes: Sequence[str]) -> list[str]:
    """One line for each entry of the collection folder ``root`` that is not a class folder, the marker or
    hidden: a stray folder is not a class ("not a class: junk/ (3 files), ignored"), and a link,
    a special file or a loop is never followed."""
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as error:
        raise DataError(at(root, f"cannot list ({describe_error(error)})")) from None
    names = set(classes)
    lines = []
    for entry in entries:
        name = entry.name
        if name.startswith(".") or name in names or name == MARKER_NAME:
            continue
        kind = entry_kind(entry)
        if kind == FOLDER and entry.is_symlink():
            target = " ".join(os.readlink(entry.path).split())
            lines.append(at(entry.path, f"not a class: {name}/ (a link to {target}), ignored"))
        elif kind == FOLDER:
            try:
                files = sum(1 for inner in os.scandir(entry.path) if not inner.name.startswith("."))
                what = f"{files} file{'' if files == 1 else 's'}"
            except OSError as error:
                what = f"cannot list: {describe_error(error)}"
            lines.append(at(entry.path, f"not a class: {name}/ ({what}), ignored"))
        elif kind == FILE:
            lines.append(at(entry.path, "not in a class folder; ignored"))
        else:
            lines.append(at(entry.path, kind))
    return lines


def id_of(stem: str) -> str:
    """An example's id: its file name without ".png" when that is text (it always is for the ids the
    store makes, and for "a:b" or a 150-character name); a name that is not valid UTF-8 (surrogate
    escapes) would make an id that cannot be printed or passed through Qt, so it becomes "/" and its
    bytes in hex: "/" is never in a file name, so no real name can be taken for it."""
    try:
        stem.encode("utf-8")
        return stem
    except UnicodeEncodeError:
        return "/" + os.fsencode(stem).hex()


def stem_of(example_id: object) -> str | None:
    """The file name (without ".png") of the example with this id, or None when no file can have it."""
    if not isinstance(example_id, str):
        return None
    if example_id.startswith("/"):
        try:
            stem = os.fsdecode(bytes.fromhex(example_id[1:]))
        except ValueError:
            return None
        return stem if id_of(stem) == example_id and "/" not in stem and "\0" not in stem and stem else None
    try:
        example_id.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if not example_id or "/" in example_id or "\0" in example_id or example_id.startswith("."):
        return None
    return example_id
