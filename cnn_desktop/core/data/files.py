"""Opening files safely: only regular files are read, never blocking on a FIFO, and folder entries
that are links, special files or loops are told apart before anything is opened.

Split out of readers.py so that the IDX reader (idx.py) and the image readers share it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from cnn_desktop.core.errors import DataError, at, describe_error

# Opened without blocking: a FIFO would otherwise wait forever for a writer (O_NONBLOCK changes nothing
# for a regular file, the only kind read), and without leaking the descriptor into child processes.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_KINDS = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]


def not_regular(mode: int) -> str:
    """Why a file of this st_mode is not read: "not a regular file (a FIFO)"."""
    kind = next((name for test, name in _KINDS if test(mode)), "not a file")
    return f"not a regular file ({kind})"


def open_regular_file(path: Path) -> int:
    """A descriptor open for reading on ``path``, which must be a regular file (links followed); else a
    one-line DataError. Never blocks: a FIFO is opened non-blocking, then refused after fstat."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:  # a socket cannot be opened at all (ENXIO): say what it is
        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = stat.S_IFREG
        problem = not_regular(mode) if not stat.S_ISREG(mode) else f"cannot open ({describe_error(error)})"
        raise DataError(at(path, problem)) from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as error:
        os.close(fd)
        raise DataError(at(path, f"cannot open ({describe_error(error)})")) from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        problem = f"cannot open ({os.strerror(errno.EISDIR)})" if stat.S_ISDIR(mode) else not_regular(mode)
        raise DataError(at(path, problem))
    return fd


FILE, FOLDER = "file", "folder"


def entry_kind(entry: os.DirEntry) -> str:
    """FILE (a regular file, links followed), FOLDER, or, for anything else, why it is skipped: a
    special file, a broken link, a symlink loop, an entry that cannot be read. Never opens it."""
    try:
        if entry.is_file():
            return FILE
        if entry.is_dir():
            return FOLDER
        if entry.is_symlink() and not os.path.exists(entry.path):
            return "a broken link; ignored"
        return not_regular(entry.stat().st_mode) + "; ignored"
    except OSError as error:  # ELOOP: a symlink loop; EACCES...
        return f"cannot read ({describe_error(error)}); ignored"


def links_back(path: Path, root: Path) -> bool:
    """Whether ``path`` (a symlink) leads to ``root`` itself or a folder above it: following it would
    walk in circles (or out of ``root``)."""
    target = Path(os.path.realpath(path))
    real_root = Path(os.path.realpath(root))
    return target == real_root or target in real_root.parents
