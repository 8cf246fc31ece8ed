"""Atomic file replacement: a reader (or a crash) sees the old file or the new one, never a mix."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash at any instant leaves the old content or the new.

    The bytes go to a temporary file in the same folder (a rename is only atomic within one file
    system), are flushed to the disk, renamed over the target, and the folder entry is flushed too,
    so the rename itself survives a power cut. OSError propagates; the old file is then untouched.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
    fsync_directory(path.parent)


def fsync_directory(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (new names, renames) to the disk, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open folders; its renames are durable on their own terms
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
