"""Atomic file replacement: a reader (or a crash) sees the old file or the new one, never a mix.

Used for everything the app keeps: model files, collection examples, the collection marker.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import time
from pathlib import Path

# Temporary files are hidden siblings of their target: ".<name>.<8 hex>.tmp". Listings skip them, and
# whoever owns a folder may delete stale ones.
TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")
# A temp file older than this is a crashed writer's leftover, not a write in progress (which takes
# milliseconds; another process writing the same folder is spared).
STALE_TEMP_SECONDS = 600


def remove_stale_temp_files(folder: str | os.PathLike[str], target: str | None = None,
                            older_than: float = STALE_TEMP_SECONDS) -> None:
    """Delete the temp files a crashed ``write_atomically`` left in ``folder`` (only those for the file
    named ``target``, when given), once older than ``older_than`` seconds. Never a committed file."""
    folder = Path(folder)
    too_old = time.time() - older_than
    try:
        names = [name for name in os.listdir(folder) if TEMP_NAME.match(name)
                 and (target is None or name.startswith(f".{target}."))]
    except OSError:
        return  # vanished or unreadable: nothing to clean
    for name in names:
        try:
            if os.stat(folder / name).st_mtime < too_old:
                os.unlink(folder / name)
        except OSError:
            pass  # read-only, or gone meanwhile: hidden and harmless either way


def write_atomically(path: str | os.PathLike[str], data: bytes, *, sync_folder: bool = True) -> None:
    """Write ``data`` to ``path`` so that a crash at any instant leaves the old content or the new.

    The bytes go to a temporary file in the same folder (a rename is only atomic within one file
    system), are flushed to the disk, and renamed over the target. With ``sync_folder`` the folder is
    flushed too, so the rename itself survives a power cut; a caller writing many files into one folder
    may pass False and call ``fsync_folder`` once at the end. OSError propagates; the old file is then
    untouched and no temporary file is left behind.
    """
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temp, "xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    if sync_folder:
        fsync_folder(path.parent)


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make renames and deletions in ``folder`` durable (POSIX needs an fsync of the folder itself)."""
    if os.name == "nt":
        return  # folders cannot be opened on Windows; NTFS journals renames itself
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP):  # file systems that cannot sync folders
            raise
    finally:
        os.close(fd)


def write_new_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Like ``write_atomically``, but ``path`` must not exist yet: FileExistsError otherwise, and the
    existing file is untouched. Exports use it, since a file of the same name may be someone's work.

    The temp file is hard-linked to its final name, which fails when the name is taken (a rename would
    silently replace it, even one created after any check). A file system without hard links (FAT, some
    network shares) gets a check then a rename: a tiny race, on file systems that allow no better."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise FileExistsError(errno.EEXIST, "already exists", str(path))
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temp, "xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            raise
        except OSError:
            if path.exists() or path.is_symlink():
                raise FileExistsError(errno.EEXIST, "already exists", str(path)) from None
            os.replace(temp, path)
    finally:
        try:
            os.unlink(temp)
        except OSError:
            pass
    fsync_folder(path.parent)
