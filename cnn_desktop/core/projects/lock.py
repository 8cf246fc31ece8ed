"""One writer per project: an OS lock on ``<project>/.lock``.

The lock is the operating system's (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows), so it
dies with its holder: a crashed or killed app never leaves a project locked, and there is no stale
lock file to judge by age or pid. The file itself stays; it only carries the holder's pid, for the
message the next opener shows.

flock locks belong to an open file description, not to a process, so a second open of the same
project in the same process is refused as well (two windows of one app must not both write).
"""

from __future__ import annotations

import os
from pathlib import Path

from cnn_desktop.core.errors import CnnDesktopError, at

LOCK_NAME = ".lock"
# On Windows a locked byte cannot even be read by others, so the lock sits on a byte far past the pid
# (locking beyond the end of a file is allowed), and the pid stays readable for the message.
_WINDOWS_LOCK_OFFSET = 1 << 30
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class ProjectError(CnnDesktopError):
    """A project folder that cannot be created, opened, read or changed; one line naming the folder."""


class ProjectLock:
    """The write lock of one project folder, held from ``acquire`` until ``release`` (or the process ends)."""

    def __init__(self, folder: Path, fd: int) -> None:
        self.folder = folder
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, folder: str | os.PathLike[str]) -> "ProjectLock":
        """Take the lock without waiting, or raise ProjectError saying who holds it."""
        folder = Path(folder)
        path = folder / LOCK_NAME
        try:
            fd = os.open(path, _OPEN_FLAGS, 0o644)
        except OSError as error:
            raise ProjectError(at(folder, f"cannot open its lock file ({error.strerror or error})")) from None
        try:
            _lock(fd)
        except OSError as error:
            os.close(fd)
            if not _is_contention(error):  # e.g. a file system without locks
                raise ProjectError(at(folder, f"cannot lock it for writing ({error.strerror or error}); "
                                              "open it read-only")) from None
            pid = _holder(path)
            holder = f" (pid {pid})" if pid else ""
            raise ProjectError(at(folder, f"open in another window or command{holder}; open it read-only")) from None
        try:  # the pid is only for the message above: failing to write it changes nothing else
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError:
            pass
        return cls(folder, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let go of the lock (closing the file releases it; the file stays for the next holder)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        except OSError:
            pass  # closing below releases it anyway
        os.close(fd)


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import errno
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    def _is_contention(error: OSError) -> bool:
        return error.errno in (errno.EACCES, errno.EDEADLK) or isinstance(error, PermissionError)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def _is_contention(error: OSError) -> bool:
        return isinstance(error, BlockingIOError)


def _holder(path: Path) -> int | None:
    """The pid the holder wrote into the lock file, if it is readable and plausible."""
    try:
        text = path.read_bytes()[:32].decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and 0 < int(text) < 1 << 32 else None
