"""Fetching MNIST from its public mirrors into a folder the readers understand (``download mnist``).

Each file is streamed into a hidden ``.<name>.part`` beside its target, checked against the published
MD5, and only then renamed into place: readers (which skip hidden names) see a complete file or none,
and an interrupted download is resumed with an HTTP Range request next time. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from cnn_desktop import __version__
from cnn_desktop.core.atomic import fsync_folder
from cnn_desktop.core.errors import DataError, DownloadError, at, describe_error
from cnn_desktop.core.data.home import data_home
from cnn_desktop.core.data.readers import find_mnist_pair

# Tried in this order for every file. The first two are the HTTPS copies torchvision uses; LeCun's own
# page comes last because it is plain HTTP and often refuses automated downloads.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)


@dataclass(frozen=True)
class RemoteFile:
    name: str
    md5: str  # hex digest as published
    size: int | None = None  # bytes, when known for certain: lets a wrong or endless file fail early


# MD5 is what MNIST publishes, so it is what can be checked. It guards against truncated or corrupted
# transfers and wrong files on a mirror; protection against tampering comes from HTTPS, not from it.
MNIST_FILES = (
    RemoteFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422),
    RemoteFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28881),
    RemoteFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1648877),
    RemoteFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4542),
)

# Names us to mirror operators; some sites block the default "Python-urllib" agent outright.
USER_AGENT = f"cnn-desktop/{__version__} (urllib)"
TIMEOUT = 30.0  # seconds, for connecting and for each read: a silent server fails over to the next mirror
MAX_BYTES = 100 << 20  # read limit for a file of unknown size, so a server streaming forever is refused
CHUNK = 64 << 10
PROGRESS_INTERVAL = 0.05  # at most 20 progress calls a second: enough for a smooth bar, cheap for a GUI

Progress = Callable[[str, int, int | None], None]  # (file name, bytes done, total bytes or None)


class Opener(Protocol):
    def open(self, request: urllib.request.Request, *, timeout: float): ...


@dataclass
class DownloadReport:
    folder: Path
    fetched: list[str] = field(default_factory=list)  # names downloaded now
    skipped: list[str] = field(default_factory=list)  # names already present and verified
    sources: dict[str, str] = field(default_factory=dict)  # name -> URL it came from
    # "<name>: <mirror>: <reason>" for mirrors that failed before another one worked (worth a warning)
    failures: list[str] = field(default_factory=list)


def default_mnist_folder() -> Path:
    return data_home() / "mnist"


def part_path(target: Path) -> Path:
    """The hidden partial download beside ``target``: find_mnist_pair and listings skip dot names."""
    return target.with_name(f".{target.name}.part")


def mnist_available(folder: str | os.PathLike[str] | None = None, *,
                    files: Sequence[RemoteFile] = MNIST_FILES) -> bool:
    """True when ``folder`` (default: the download folder) holds an MNIST images/labels pair that
    find_mnist_pair picks, and each of its files listed in ``files`` has the published checksum.
    Files under other names (unpacked by hand, say) are left to the readers to judge."""
    folder = Path(folder) if folder is not None else default_mnist_folder()
    try:
        pair = find_mnist_pair(folder) if folder.is_dir() else None
    except DataError:
        return False
    if pair is None:
        return False
    known = {remote.name: remote for remote in files}
    try:
        return all(_verify(path, known[path.name]) is None for path in pair if path.name in known)
    except DownloadError:
        return False  # unreadable: reading it for training would fail too


def download_mnist(folder: str | os.PathLike[str] | None = None, *, mirrors: Sequence[str] = MIRRORS,
                   files: Sequence[RemoteFile] = MNIST_FILES, progress: Progress | None = None, on_skip: Callable[[str], None] | None = None,
                   opener: Opener | None = None, timeout: float = TIMEOUT) -> DownloadReport:
    """Make sure every file of ``files`` is in ``folder`` (default: ``<data home>/mnist``) with its checksum.

    Verified files already there are kept (``on_skip(name)`` is told); others are fetched from
    ``mirrors`` in turn. ``progress(name, done_bytes, total_bytes_or_None)`` is called when a transfer
    starts, every PROGRESS_INTERVAL seconds, and when it ends; ``done`` drops back when a transfer
    restarts from zero or on another mirror. Raises DownloadError (one line) when no mirror delivers a
    file, or the folder cannot be created or written; files that verified are kept either way.
    """
    folder = Path(folder) if folder is not None else default_mnist_folder()
    opener = opener or urllib.request.build_opener()
    _prepare(folder)
    report = DownloadReport(folder)
    for remote in files:
        target = folder / remote.name
        if target.is_file() and _verify(target, remote) is None:
            report.skipped.append(remote.name)
            if on_skip:
                on_skip(remote.name)
            continue
        report.sources[remote.name] = _fetch(remote, target, mirrors, opener, timeout,
                                             _Throttle(progress), report.failures)
        report.fetched.append(remote.name)
    return report


class _Failed(Exception):
    """One mirror failed for one file. ``discard``: the .part is useless (wrong bytes or offsets)."""

    def __init__(self, reason: str, discard: bool = False):
        super().__init__(reason)
        self.discard = discard


def _fetch(remote, target, mirrors, opener, timeout, progress, failures) -> str:
    part = part_path(target)
    reasons = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + remote.name
        for attempt in range(2):
            resumed = part.exists()
            try:
                _transfer(url, part, remote, opener, timeout, progress)
                problem = _verify(part, remote)
                discard = problem is not None
            except (_Failed, HTTPError, URLError, HTTPException, OSError) as error:
                problem, discard = _describe(error), getattr(error, "discard", False)
            if problem is None:
                _promote(part, target)
                return url
            if discard:
                _remove(part)
            # A resumed file that turns out wrong may just have a bad start: one more go from zero.
            if not (discard and resumed) or attempt:
                break
        reasons.append(f"{urlsplit(mirror).netloc or mirror}: {problem}")
        failures.append(f"{remote.name}: {reasons[-1]}")
    raise DownloadError(f"{remote.name}: no mirror worked ({'; '.join(reasons)})")


def _transfer(url: str, part: Path, remote: RemoteFile, opener, timeout: float, progress) -> None:
    """Stream ``url`` into ``part``, resuming from its current length. Network trouble raises (and the
    .part stays resumable); local trouble raises DownloadError, as no other mirror would help."""
    offset = part.stat().st_size if part.exists() else 0
    if remote.size is not None and offset >= remote.size:
        if offset == remote.size:
            return  # complete already (interrupted before the rename): the checksum decides
        _remove(part)
        offset = 0
    headers = {"User-Agent": USER_AGENT, **({"Range": f"bytes={offset}-"} if offset else {})}
    with opener.open(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        length = int(length) if length and length.isdigit() else None
        if response.status == 206:
            content_range = response.headers.get("Content-Range", "").strip()
            match = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", content_range)
            if not offset or not match or int(match[1]) != offset:
                raise _Failed("unusable partial response (Content-Range)", discard=True)
        else:
            offset = 0  # a server ignoring Range sends the whole file (200): start again
        end = offset + length if length is not None else None
        if remote.size is not None and end is not None and end != remote.size:
            raise _Failed(f"size {end} bytes, expected {remote.size}", discard=True)
        limit = remote.size if remote.size is not None else MAX_BYTES
        done = offset
        progress(remote.name, done, remote.size or end, force=True)
        try:
            out = open(part, "ab" if offset else "wb")
        except OSError as error:
            raise DownloadError(at(part.parent, f"cannot write ({describe_error(error)})")) from None
        with out:
            while chunk := response.read(CHUNK):
                done += len(chunk)
                if done > limit:
                    raise _Failed(f"more than {limit} bytes", discard=True)
                try:
                    out.write(chunk)
                except OSError as error:
                    raise DownloadError(at(part.parent, f"cannot write ({describe_error(error)})")) from None
                progress(remote.name, done, remote.size or end)
            out.flush()
            os.fsync(out.fileno())
        progress(remote.name, done, remote.size or end, force=True)
        if end is not None and done < end:
            raise _Failed(f"connection closed after {done} of {end} bytes")


def _verify(path: Path, remote: RemoteFile) -> str | None:
    """None when ``path`` has the expected size and MD5, else what is wrong."""
    try:
        if remote.size is not None and (size := path.stat().st_size) != remote.size:
            return f"size {size} bytes, expected {remote.size}"
        digest = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK):
                digest.update(chunk)
    except OSError as error:
        raise DownloadError(at(path, f"cannot read ({describe_error(error)})")) from None
    return None if digest.hexdigest() == remote.md5.lower() else "checksum mismatch"


def _promote(part: Path, target: Path) -> None:
    try:
        os.replace(part, target)  # atomic: the old file (possibly wrong) or the verified new one
        fsync_folder(target.parent)
    except OSError as error:
        raise DownloadError(at(target, f"cannot save ({describe_error(error)})")) from None


def _prepare(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise DownloadError(at(folder, "not a folder (a file of that name is in the way)")) from None
    except OSError as error:
        raise DownloadError(at(folder, f"cannot create the folder ({describe_error(error)})")) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DownloadError(at(folder, "folder is not writable"))


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # hidden and retried from zero next time: harmless


def _describe(error: BaseException) -> str:
    if isinstance(error, HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, URLError):  # could not connect: DNS, refused, TLS, timeout
        error = error.reason if isinstance(error.reason, BaseException) else error
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, HTTPException):  # malformed or abruptly ended response
        return f"broken response ({type(error).__name__})"
    return describe_error(error)


class _Throttle:
    """Passes progress on at most every PROGRESS_INTERVAL seconds (forced calls always pass)."""

    def __init__(self, callback: Progress | None):
        self.callback, self.last = callback, float("-inf")

    def __call__(self, name: str, done: int, total: int | None, force: bool = False) -> None:
        now = time.monotonic()
        if self.callback and (force or now - self.last >= PROGRESS_INTERVAL):
            self.last = now
            self.callback(name, done, total)
