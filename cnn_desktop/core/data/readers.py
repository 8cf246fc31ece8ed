"""Reading data sets from disk: MNIST folders (IDX pairs), single images and image folders.

The IDX format itself is idx.py's, opening files safely files.py's; their names are re-exported here.

Everything here returns RAW arrays, exactly as stored (uint8 digits 0-255, RGB photos, 16-bit scans...);
turning them into 28x28 network inputs is the preprocessing module's job. Every problem with a file is
raised as a ``DataError`` whose one-line message names the file.
"""

from __future__ import annotations

import os
import re
import struct
import warnings
import zlib
from pathlib import Path
from typing import BinaryIO, Collection, Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnn_desktop.core.data.files import (  # noqa: F401 - re-exported: store.py and others import them from here
    FILE, FOLDER, entry_kind, links_back, not_regular, open_regular_file,
)
from cnn_desktop.core.data.idx import (  # noqa: F401 - re-exported
    IDX_DTYPES, IDX_MAGIC, MAX_IDX_DATA_BYTES, MAX_IDX_ITEMS, IdxFile, IdxHeader, read_idx, refuse_too_many,
)
from cnn_desktop.core.errors import DataError, at, describe_error

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


MNIST_SIDE = 28
# What reading a pair holds per image: its 784 pixels, its label as one byte then as an int64.
PAIR_BYTES_PER_IMAGE = MNIST_SIDE * MNIST_SIDE + 9


def open_mnist_pair(folder: str | os.PathLike[str], prefer: MnistFiles = "train", *, memory_per_image: int = 0,
                    disk_per_image: int = 0, disk_folder: Path | None = None) -> tuple[IdxFile, IdxFile]:
    """The (images, labels) IDX files of an MNIST folder, open, their headers checked against each other
    (28x28 images, as many labels as images, not empty) and against what this machine can hold
    (``refuse_too_many``), before a byte of their data is read. The caller closes both."""
    pair = find_mnist_pair(folder, prefer)
    if pair is None:
        raise DataError(at(folder, "no MNIST files (expected *images*idx3* and *labels*idx1*, gz or raw)"))
    images = IdxFile(pair[0], kind="images")
    try:
        labels = IdxFile(pair[1], kind="labels")
    except BaseException:
        images.close()
        raise
    try:
        dims, count = images.header.dims, images.header.count
        if dims[1:] != (MNIST_SIDE, MNIST_SIDE):
            raise DataError(at(images.path, f"images are {dims[1]}x{dims[2]}, expected 28x28"))
        if count == 0:
            raise DataError(at(images.path, "holds no images"))
        if labels.header.count != count:
            raise DataError(at(labels.path, f"{labels.header.count} labels for {count} images in {images.path.name}"))
        refuse_too_many(images.header, "images", memory=memory_per_image, disk=disk_per_image, disk_folder=disk_folder)
    except BaseException:
        images.close()
        labels.close()
        raise
    return images, labels


def checked_labels(labels: np.ndarray, path: Path, offset: int = 0) -> np.ndarray:
    """MNIST labels as int64, each 0 to 9 (else one line naming the first bad one and its index)."""
    if labels.size and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DataError(at(path, f"label {labels[bad]} at index {offset + bad}, expected 0 to 9"))
    return labels.astype(np.int64)


def read_mnist_folder(folder: str | os.PathLike[str], prefer: MnistFiles = "train",
                      memory_per_image: int = PAIR_BYTES_PER_IMAGE) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 (N, 28, 28) and labels int64 (N,) in 0..9 from a folder of MNIST IDX files.

    ``memory_per_image`` is what the caller will hold per image (more, when it makes network inputs
    of them): a pair promising more than this machine's available memory is refused from its headers."""
    images_file, labels_file = open_mnist_pair(folder, prefer, memory_per_image=memory_per_image)
    with images_file, labels_file:
        labels = checked_labels(labels_file.read_all(), labels_file.path)
        images = images_file.read_all()
    return images, labels


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
        return decode_image(file, path)


def decode_image(file: BinaryIO, where: str | os.PathLike[str]) -> np.ndarray:
    """``read_image`` for an image already open (a zip member, bytes in memory); ``where`` names it in
    messages."""
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 Mpx up, but a 10000x10000 scan is legitimate here; its hard
            # limit (DecompressionBombError, twice as large) still applies. (Not thread-safe in
            # Python < 3.14, like any use of catch_warnings; it only hides this one warning.)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(file)
        with image:
            image.load()
            return _image_to_array(_upright(image), where)
    except Image.DecompressionBombError as error:
        pixels = re.search(r"\((\d+) pixels\)", str(error))
        size = f"{pixels.group(1)} pixels" if pixels else "too many pixels"
        raise DataError(at(where, f"image too large: {size}, beyond Pillow's safety limit")) from None
    except UnidentifiedImageError:
        raise DataError(at(where, "not an image (or a format Pillow cannot read)")) from None
    except DataError:
        raise
    except MemoryError:
        raise DataError(at(where, "not enough memory to decode this image")) from None
    except _PILLOW_ERRORS as error:
        raise DataError(at(where, f"damaged or unreadable image ({describe_error(error)})")) from None


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
