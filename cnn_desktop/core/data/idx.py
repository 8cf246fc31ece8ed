"""IDX files (MNIST's format): the header, then the data, read in bounded chunks.

An IDX header says how many values follow, and a gzipped file does not say how large it unpacks, so
a 16 MB file can truthfully promise 5,000,000 images (3.7 GiB of pixels, 14.6 GiB once made into
network inputs). Everything that depends on that promise is decided from the header alone, before
any data is read or any array made: ``IdxFile`` opens a file and parses its header,
``refuse_too_many`` applies a stated cap and compares the memory or disk a use needs with what the
machine has, and ``IdxFile.chunks`` reads the data a few thousand items at a time, so an import never
holds more than one chunk. Every problem is a one-line ``DataError`` naming the file.
"""

from __future__ import annotations

import gzip
import math
import os
import shutil
import struct
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Literal

import numpy as np

from cnn_desktop.core.data.files import open_regular_file
from cnn_desktop.core.errors import DataError, at, describe_error

GZIP_MAGIC = b"\x1f\x8b"

# IDX type byte -> big-endian numpy dtype (the format stores every multi-byte value big-endian).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IDX_MAGIC = {"labels": 0x00000801, "images": 0x00000803}  # what MNIST uses: uint8, 1-D and 3-D
MAX_IDX_NDIM = 32  # numpy's historical limit; real IDX files have 1 to 4
# Whatever the header says, one file's data is read whole only up to this size: 4 GiB is ten times the
# largest real IDX data set (EMNIST) and still fits in memory on a desktop.
MAX_IDX_DATA_BYTES = 4 << 30
# Items (images or labels) per file: EMNIST ByClass, the largest IDX set in use, has 814,255.
MAX_IDX_ITEMS = 1_000_000
_CHUNK = 1 << 20


@dataclass(frozen=True)
class IdxHeader:
    path: Path
    dtype: np.dtype  # big-endian, as stored
    dims: tuple[int, ...]

    @property
    def count(self) -> int:
        return self.dims[0]

    @property
    def data_bytes(self) -> int:
        # Python ints: the product of absurd dims must not overflow before it is compared with reality.
        return math.prod(self.dims) * self.dtype.itemsize

    @property
    def shape_text(self) -> str:
        return "x".join(map(str, self.dims))


class IdxFile:
    """An open IDX file whose header has been read and checked; the data is read on demand.

    ``kind`` ("images" or "labels") additionally requires MNIST's exact magic number (uint8, 3-D or
    1-D). A raw file's length is checked against its header when it is opened; a gzipped file's only
    as its data is read (``chunks``, ``read_all``, ``check_length``)."""

    def __init__(self, path: str | os.PathLike[str], kind: Literal["images", "labels"] | None = None) -> None:
        self.path = Path(path)
        self._file = os.fdopen(open_regular_file(self.path), "rb")
        try:
            with self._errors():
                self.gzipped = gzipped = self._file.read(2) == GZIP_MAGIC
                self._file.seek(0)
                self._stream: BinaryIO = gzip.GzipFile(fileobj=self._file) if gzipped else self._file
                self.header = _read_header(self._stream, self.path, kind)
                if not gzipped:
                    actual = os.fstat(self._file.fileno()).st_size - 4 - 4 * len(self.header.dims)
                    if actual != self.header.data_bytes:
                        raise DataError(at(self.path, _length_problem(self.header, actual)))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "IdxFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_all(self, max_bytes: int = MAX_IDX_DATA_BYTES) -> np.ndarray:
        """The whole data as one native-endian array (refused from the header beyond ``max_bytes``)."""
        header = self.header
        if header.data_bytes > max_bytes:
            raise DataError(at(self.path, f"header promises {header.shape_text} values ({header.data_bytes:,} "
                                          f"bytes), more than the {max_bytes / (1 << 30):g} GiB limit"))
        # Filled chunk by chunk: the peak is the array itself, never the array plus a copy of it.
        out = np.empty(header.dims, header.dtype.newbyteorder("="))
        done = 0
        for chunk in self.chunks(self._items_per_chunk()):
            out[done:done + len(chunk)] = chunk
            done += len(chunk)
        return out

    def chunks(self, items: int) -> Iterator[np.ndarray]:
        """The data, ``items`` items (rows of the first dimension) at a time, native-endian. Memory is
        one chunk, whatever the header promises; truncated data or trailing bytes raise DataError when
        they are reached."""
        header = self.header
        row = header.data_bytes // header.count if header.count else 0
        done = 0
        with self._errors():
            while done < header.count:
                take = min(items, header.count - done)
                data = _read_up_to(self._stream, take * row)
                if len(data) < take * row:
                    raise DataError(at(self.path, _length_problem(header, done * row + len(data))))
                array = np.frombuffer(data, dtype=header.dtype).reshape((take, *header.dims[1:]))
                yield array.astype(header.dtype.newbyteorder("="), copy=header.dtype.itemsize > 1)
                done += take
            if self._stream.read(1):  # one byte more than promised tells trailing data from an exact fit
                raise DataError(at(self.path, _length_problem(header, None)))

    def check_length(self) -> None:
        """Read through the data without keeping it: a gzipped file cut short (or too long) is caught
        before anything is made of it. Leaves nothing to read; open the file again to read the data."""
        for _ in self.chunks(self._items_per_chunk()):
            pass

    def _items_per_chunk(self) -> int:
        row = self.header.data_bytes // self.header.count if self.header.count else 1
        return max(1, _CHUNK // max(1, row))

    @contextmanager
    def _errors(self):
        try:
            yield
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise DataError(at(self.path, f"corrupt gzip data ({describe_error(error)})")) from None
        except OSError as error:
            raise DataError(at(self.path, f"cannot read ({describe_error(error)})")) from None


def read_idx(path: str | os.PathLike[str], kind: Literal["images", "labels"] | None = None) -> np.ndarray:
    """Read an IDX file (raw, or gzipped when it starts with the gzip magic) into a native-endian array.

    ``kind`` ("images" or "labels") additionally requires the exact MNIST magic number (uint8, 3-D or
    1-D). The data length must match the header exactly: truncated files and trailing bytes are errors.
    """
    with IdxFile(path, kind) as file:
        return file.read_all()


# --- how many items a header may promise --------------------------------------------------------


def refuse_too_many(header: IdxHeader, what: str, cap: int = MAX_IDX_ITEMS, *, memory: int = 0,
                    disk: int = 0, disk_folder: Path | None = None) -> None:
    """Refuse, from the header alone, a file promising more ``what`` (e.g. "images") than ``cap``, or
    more than the ``memory`` bytes per item (what the caller will hold for each) or ``disk`` bytes per
    item (what it will write into ``disk_folder``) that this machine has free. One line names the file,
    the count and why."""
    count = header.count
    promise = f"header promises {count:,} {what}"
    if count > cap:
        raise DataError(at(header.path, f"{promise}, more than the {cap:,} read from one file; refused before reading"))
    needed = count * memory
    free = available_memory()
    if memory and free is not None and needed > free:
        raise DataError(at(header.path, f"{promise}, which need {_gib(needed)} of memory; only {_gib(free)} is "
                                        "available, refused before reading"))
    if disk and disk_folder is not None:
        try:
            free_disk = shutil.disk_usage(disk_folder).free
        except OSError:
            return  # cannot tell: the writes themselves will say if the disk fills
        if count * disk > free_disk:
            raise DataError(at(header.path, f"{promise}, which need about {_gib(count * disk)} of disk as drawings; "
                                            f"only {_gib(free_disk)} is free in {disk_folder}, refused before reading"))


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation without swapping, or None when unknown."""
    try:  # Linux: what the kernel itself estimates can be allocated (free plus reclaimable cache)
        with open("/proc/meminfo", "rb") as file:
            for line in file:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:  # other POSIX systems: free pages only (an underestimate, so a refusal errs on the safe side)
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _gib(size: int) -> str:
    return f"{size / (1 << 30):.1f} GiB"


# --- parsing -------------------------------------------------------------------------------------


def _read_header(stream: BinaryIO, path: Path, kind: str | None) -> IdxHeader:
    header = _read_up_to(stream, 4)
    if len(header) < 4:
        raise DataError(at(path, f"too short for an IDX file ({len(header)} bytes)"))
    magic = int.from_bytes(header, "big")
    if header[:2] != b"\0\0":
        raise DataError(at(path, f"not an IDX file (magic number 0x{magic:08x})"))
    type_code, ndim = header[2], header[3]
    if type_code not in IDX_DTYPES:
        raise DataError(at(path, f"unknown IDX data type 0x{type_code:02x} (magic number 0x{magic:08x})"))
    if not 1 <= ndim <= MAX_IDX_NDIM:
        raise DataError(at(path, f"IDX header gives {ndim} dimensions, expected 1 to {MAX_IDX_NDIM}"))
    if kind is not None and magic != IDX_MAGIC[kind]:
        raise DataError(at(path, f"wrong magic number 0x{magic:08x}, expected 0x{IDX_MAGIC[kind]:08x} ({kind})"))
    dims_bytes = _read_up_to(stream, 4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise DataError(at(path, f"truncated IDX header ({4 + len(dims_bytes)} of {4 + 4 * ndim} bytes)"))
    return IdxHeader(path, IDX_DTYPES[type_code], struct.unpack(f">{ndim}I", dims_bytes))


def _length_problem(header: IdxHeader, actual: int | None) -> str:
    expected = header.data_bytes
    promise = f"header promises {header.shape_text} {header.dtype.name} values ({expected} bytes of data)"
    if actual is None:
        return f"trailing data after the {expected} bytes the header promises ({header.shape_text})"
    if actual < expected:
        return f"truncated: {promise}, found {max(actual, 0)}"
    return f"{actual - expected} bytes of trailing data: {promise}, found {actual}"


def _read_up_to(stream: BinaryIO, size: int) -> bytearray:
    """Read ``size`` bytes or until the end, in chunks, so memory only grows with data really present."""
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(min(_CHUNK, size - len(data)))
        if not chunk:
            break
        data += chunk
    return data
