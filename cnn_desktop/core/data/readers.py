"""Reading data sets from disk: IDX files (MNIST), single images and image folders.

Everything here returns RAW arrays, exactly as stored (uint8 digits 0-255, RGB photos, 16-bit scans...);
turning them into 28x28 network inputs is the preprocessing module's job. Every problem with a file is
raised as a ``DataError`` whose one-line message names the file.
"""

from __future__ import annotations

import errno
import gzip
import math
import os
import re
import stat
import struct
import warnings
import zlib
from pathlib import Path
from typing import BinaryIO, Collection, Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnn_desktop.core.errors import DataError, at, describe_error

# --- IDX -----------------------------------------------------------------------------------------

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
# A gzipped file does not tell its unpacked size, so a forged header could make us inflate forever;
# 4 GiB is ten times the largest real IDX data set (EMNIST) and still fits in memory on a desktop.
MAX_IDX_DATA_BYTES = 4 << 30
_CHUNK = 1 << 20


def read_idx(path: str | os.PathLike[str], kind: Literal["images", "labels"] | None = None) -> np.ndarray:
    """Read an IDX file (raw, or gzipped when it starts with the gzip magic) into a native-endian array.

    ``kind`` ("images" or "labels") additionally requires the exact MNIST magic number (uint8, 3-D or
    1-D). The data length must match the header exactly: truncated files and trailing bytes are errors.
    """
    path = Path(path)
    file = os.fdopen(open_regular_file(path), "rb")
    with file:
        try:
            gzipped = file.read(2) == GZIP_MAGIC
            file.seek(0)
            if gzipped:
                with gzip.GzipFile(fileobj=file) as stream:
                    return _read_idx_stream(stream, path, kind, data_size=None)
            data_size = os.fstat(file.fileno()).st_size
            return _read_idx_stream(file, path, kind, data_size)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise DataError(at(path, f"corrupt gzip data ({describe_error(error)})")) from None
        except OSError as error:
            raise DataError(at(path, f"cannot read ({describe_error(error)})")) from None


def _read_idx_stream(
    stream: BinaryIO, path: Path, kind: str | None, data_size: int | None
) -> np.ndarray:
    """Parse header and data from ``stream``; ``data_size`` is the file size when known (raw files)."""
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
    dims = struct.unpack(f">{ndim}I", dims_bytes)
    dtype = IDX_DTYPES[type_code]
    # Python ints: the product of absurd dims must not overflow before it is compared with reality.
    expected = math.prod(dims) * dtype.itemsize
    shape_text = "x".join(map(str, dims))

    # Check the promised size against what is really there BEFORE allocating anything that large.
    if data_size is not None:
        actual = data_size - 4 - 4 * ndim
        if actual != expected:
            raise DataError(at(path, _length_problem(shape_text, dtype, expected, actual)))
        data = bytearray(expected)
        if stream.readinto(data) != expected:
            raise DataError(at(path, "file changed while being read"))
    else:
        if expected > MAX_IDX_DATA_BYTES:
            raise DataError(at(path, f"header promises {shape_text} values ({expected} bytes), "
                                     f"more than the {MAX_IDX_DATA_BYTES >> 30} GiB limit"))
        # One byte more than promised tells trailing data apart from an exact fit.
        data = _read_up_to(stream, expected + 1)
        if len(data) != expected:
            actual = len(data) if len(data) <= expected else None
            raise DataError(at(path, _length_problem(shape_text, dtype, expected, actual)))

    array = np.frombuffer(data, dtype=dtype).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=dtype.itemsize > 1)


def _length_problem(shape_text: str, dtype: np.dtype, expected: int, actual: int | None) -> str:
    promise = f"header promises {shape_text} {dtype.name} values ({expected} bytes of data)"
    if actual is None:
        return f"trailing data after the {expected} bytes the header promises ({shape_text})"
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


# --- files that are not regular files ------------------------------------------------------------

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


# --- MNIST folders -------------------------------------------------------------------------------

_IMAGES_NAME = re.compile(r"images.*idx3", re.IGNORECASE)
_LABELS_NAME = re.compile(r"labels.*idx1", re.IGNORECASE)
MnistFiles = Literal["train", "test"]
_MNIST_FILE_WORDS = {"train": "train", "test": "t10k"}  # MNIST names its test files t10k-*


def find_mnist_pair(folder: str | os.PathLike[str], prefer: MnistFiles = "train") -> tuple[Path, Path] | None:
    """Find the (images, labels) IDX files in ``folder``; None when it holds neither.

    Files are paired by their name with "images"/"labels", "idx3"/"idx1" and ".gz" removed, so a
    folder holding both "train-*" and "t10k-*" pairs (what ``cnn-desktop download mnist`` fetches)
    works: ``prefer`` says which of the two to take, training for training and test for evaluating.
    A raw file is preferred to its gzipped twin. An images file without labels (or the reverse) is a
    DataError.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(at(folder, "not a folder"))
    images: dict[str, Path] = {}
    labels: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        for pattern, found in ((_IMAGES_NAME, images), (_LABELS_NAME, labels)):
            if pattern.search(path.name):
                key = _pair_key(path.name)
                # sorted() puts "x" before "x.gz": keep the raw one, it is faster to read.
                found.setdefault(key, path)
    if not images and not labels:
        return None
    keys = sorted(images.keys() & labels.keys())
    if not keys:
        lonely = next(iter((images or labels).values()))
        other = "labels (*labels*idx1*)" if images else "images (*images*idx3*)"
        raise DataError(at(folder, f"{lonely.name} has no matching {other} file"))
    wanted = [key for key in keys if _MNIST_FILE_WORDS[prefer] in key.lower()]
    key = (wanted or keys)[0]
    return images[key], labels[key]


def _pair_key(name: str) -> str:
    name = re.sub(r"\.gz$", "", name, flags=re.IGNORECASE)
    name = re.sub(r"images|labels", "*", name, flags=re.IGNORECASE)
    return re.sub(r"idx[13]", "idx", name, flags=re.IGNORECASE)


def read_mnist_folder(folder: str | os.PathLike[str], prefer: MnistFiles = "train") -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 (N, 28, 28) and labels int64 (N,) in 0..9 from a folder of MNIST IDX files."""
    pair = find_mnist_pair(folder, prefer)
    if pair is None:
        raise DataError(at(folder, "no MNIST files (expected *images*idx3* and *labels*idx1*, gz or raw)"))
    images_path, labels_path = pair
    images = read_idx(images_path, kind="images")
    labels = read_idx(labels_path, kind="labels")
    if images.shape[1:] != (28, 28):
        raise DataError(at(images_path, f"images are {images.shape[1]}x{images.shape[2]}, expected 28x28"))
    if len(images) == 0:
        raise DataError(at(images_path, "holds no images"))
    if len(images) != len(labels):
        raise DataError(at(labels_path, f"{len(labels)} labels for {len(images)} images in {images_path.name}"))
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DataError(at(labels_path, f"label {labels[bad]} at index {bad}, expected 0 to 9"))
    return images, labels.astype(np.int64)


# --- single images -------------------------------------------------------------------------------

# Everything Pillow can raise on a malformed file: it reports broken data with several built-in types.
_PILLOW_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error,
                  IndexError, KeyError, TypeError, ZeroDivisionError, OverflowError)


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read any image Pillow opens (first frame) as an array, keeping depth and transparency.

    Returns (H, W) uint8 for grey and black-and-white ("1" becomes 0/255), (H, W) uint16 for 16-bit
    grey, (H, W, 3) uint8 RGB, or (H, W, 4) uint8 RGBA for anything with transparency (grey+alpha,
    palettes or colours with a transparent colour). Other colour spaces (CMYK, YCbCr...) become RGB.
    The EXIF orientation of photos is applied, so the array looks like what a viewer shows.
    """
    path = Path(path)
    file = os.fdopen(open_regular_file(path), "rb")
    with file:
        if os.fstat(file.fileno()).st_size == 0:
            raise DataError(at(path, "empty file"))
        try:
            with warnings.catch_warnings():
                # Pillow warns from 89 Mpx up, but a 10000x10000 scan is legitimate here; its hard
                # limit (DecompressionBombError, twice as large) still applies. (Not thread-safe in
                # Python < 3.14, like any use of catch_warnings; it only hides this one warning.)
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(file)
            with image:
                image.load()
                return _image_to_array(_upright(image), path)
        except Image.DecompressionBombError as error:
            pixels = re.search(r"\((\d+) pixels\)", str(error))
            size = f"{pixels.group(1)} pixels" if pixels else "too many pixels"
            raise DataError(at(path, f"image too large: {size}, beyond Pillow's safety limit")) from None
        except UnidentifiedImageError:
            raise DataError(at(path, "not an image (or a format Pillow cannot read)")) from None
        except DataError:
            raise
        except MemoryError:
            raise DataError(at(path, "not enough memory to decode this image")) from None
        except _PILLOW_ERRORS as error:
            raise DataError(at(path, f"damaged or unreadable image ({describe_error(error)})")) from None


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (phones store photos sideways); untouched images are not copied."""
    if image.getexif().get(_EXIF_ORIENTATION, 1) in (0, 1):
        return image
    return ImageOps.exif_transpose(image)


_EXIF_ORIENTATION = 0x0112


def _image_to_array(image: Image.Image, path: Path) -> np.ndarray:
    mode = image.mode
    transparent = "transparency" in image.info
    if mode == "1":
        image = image.convert("L")  # bool pixels -> 0/255, like any other grey image
    elif mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return np.asarray(image).astype(np.uint16)  # astype also fixes big-endian variants
    elif mode == "I":
        return _int32_to_uint16(np.asarray(image), path)
    elif mode == "F":
        raise DataError(at(path, "32-bit floating-point images are not supported"))
    elif mode == "L" and not transparent:
        pass
    elif mode == "RGB" and not transparent:
        pass
    elif mode == "RGBA":
        pass
    elif transparent or "A" in image.getbands() or mode in ("LA", "La", "PA", "RGBa"):
        image = image.convert("RGBA")
    else:  # P without transparency, CMYK, YCbCr, LAB, HSV, RGBX...
        image = image.convert("RGB")
    return np.array(image)


def _int32_to_uint16(pixels: np.ndarray, path: Path) -> np.ndarray:
    """Pillow opens some 16-bit files as 32-bit "I"; their values must still fit 16 bits."""
    if pixels.size and (pixels.min() < 0 or pixels.max() > 0xFFFF):
        raise DataError(at(path, f"pixel values {pixels.min()}..{pixels.max()} do not fit 16 bits"))
    return pixels.astype(np.uint16)


# --- image folders -------------------------------------------------------------------------------

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")


def list_image_folder(
    root: str | os.PathLike[str], allowed_labels: Collection[str] | None = None, skipped: list[str] | None = None
) -> tuple[list[tuple[Path, str]], list[str]]:
    """List the ``<root>/<label>/<name>.png|jpg|jpeg|bmp`` layout: sorted (path, label) pairs and labels.

    Hidden files and folders (names starting with ".") are ignored, as are files directly in ``root``
    and label folders without images. With ``allowed_labels``, a label folder holding images whose
    name is not allowed is a DataError.

    What cannot be read is skipped, never followed or opened, and, when ``skipped`` is given, one
    "<path>: <reason>" line is appended to it for each: symlink loops, broken links, FIFOs, sockets and
    devices (in ``root`` or named like an image), folders that cannot be listed, and links back to
    ``root`` or a folder above it (``up -> ..``), which would make a label of files outside ``root``.
    """
    root = Path(root)
    notes: list[str] = [] if skipped is None else skipped
    if not root.is_dir():
        raise DataError(at(root, "not a folder"))
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as error:
        raise DataError(at(root, f"cannot list ({describe_error(error)})")) from None
    folders = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        kind = entry_kind(entry)
        path = Path(entry.path)
        if kind == FOLDER:
            if entry.is_symlink() and links_back(path, root):
                notes.append(at(path, f"a link to {os.readlink(path)!r}, back to this folder or above it; ignored"))
            else:
                folders.append(path)
        elif kind != FILE:
            notes.append(at(path, kind))
    if not folders:
        raise DataError(at(root, "no label folders (expected <folder>/<label>/<image>.png)"))
    pairs: list[tuple[Path, str]] = []
    labels: list[str] = []
    for folder in folders:
        images = _images_in(folder, notes)
        if not images:
            continue
        if allowed_labels is not None and folder.name not in allowed_labels:
            expected = ", ".join(repr(label) for label in sorted(allowed_labels))
            raise DataError(at(folder, f"unknown label {folder.name!r}; expected one of {expected}"))
        labels.append(folder.name)
        pairs.extend((image, folder.name) for image in images)
    if not pairs:
        raise DataError(at(root, f"no images ({', '.join(IMAGE_EXTENSIONS)}) in its label folders"))
    return pairs, labels


def _images_in(folder: Path, notes: list[str]) -> list[Path]:
    try:
        entries = list(os.scandir(folder))
    except OSError as error:
        raise DataError(at(folder, f"cannot list ({describe_error(error)})")) from None
    images = []
    for entry in entries:
        if entry.name.startswith(".") or os.path.splitext(entry.name)[1].lower() not in IMAGE_EXTENSIONS:
            continue
        kind = entry_kind(entry)
        if kind == FILE:
            images.append(Path(entry.path))
        elif kind != FOLDER:
            notes.append(at(entry.path, kind))
    return sorted(images)
