"""One stored example as a file: an 8-bit grey 28x28 PNG with the drawing's strokes in a text chunk.

The raster is the network's input (white ink on black, as MNIST), so any image tool can read a
collection; the strokes ride along as JSON in a compressed "cnn-desktop-strokes" chunk, so a drawing
can be preprocessed again or shown as drawn. ``DrawingStore`` decides where the bytes go and how they
are made durable; this module only makes and reads them.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from cnn_desktop.core.errors import DataError, at, describe_error
from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.readers import read_image
from cnn_desktop.core.data.strokes import Strokes

STROKES_KEY = "cnn-desktop-strokes"  # PNG text chunk holding Strokes.to_json()
SIZE = 28  # side of a stored raster, in pixels

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = bytes.fromhex("0000000049454e44ae426082")  # the (empty, fixed-CRC) chunk every PNG ends with


def encode_example(raster: np.ndarray, strokes: Strokes | None, root: Path) -> bytes:
    """The PNG bytes of one example; bad rasters and strokes raise DataError naming the collection ``root``."""
    try:
        pixels = np.asarray(raster, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise DataError(at(root, f"cannot add: raster is not numeric ({describe_error(error)})")) from None
    if pixels.shape != (SIZE, SIZE):
        raise DataError(at(root, f"cannot add: raster must be {SIZE}x{SIZE}, got shape {pixels.shape}"))
    if not np.isfinite(pixels).all():
        raise DataError(at(root, "cannot add: raster holds non-finite values"))
    low, high = float(pixels.min()), float(pixels.max())
    if low < -1e-6 or high > 1 + 1e-6:  # e.g. 0-255 values passed by mistake
        raise DataError(at(root, f"cannot add: raster values must be in [0, 1], got {low:g}..{high:g}"))
    grey = np.rint(np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8)

    info = PngImagePlugin.PngInfo()
    if strokes is not None:
        if not isinstance(strokes, Strokes):
            raise TypeError(f"strokes must be a Strokes or None, not {type(strokes).__name__}")
        text = strokes.to_json()
        # Pillow refuses to unpack text chunks beyond this size: never write what cannot be read.
        limit = PngImagePlugin.MAX_TEXT_CHUNK
        if len(text) > limit:
            raise DataError(at(root, f"cannot add: strokes too long to store ({len(text)} characters, limit {limit})"))
        info.add_text(STROKES_KEY, text, zip=True)
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def read_strokes(path: Path) -> Strokes | None:
    """The strokes stored in an example's file, or None if it was saved without them."""
    try:
        with Image.open(path) as image:
            text = image.info.get(STROKES_KEY)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise DataError(at(path, f"damaged example ({describe_error(error)})")) from None
    return None if text is None else Strokes.from_json(text, source=str(path))


def load_raster(path: Path) -> np.ndarray:
    """An example's raster as float32 (28, 28) in [0, 1] (8-bit precision: steps of 1/255)."""
    pixels = read_image(path)
    if pixels.shape != (SIZE, SIZE) or pixels.dtype != np.uint8:
        raise DataError(at(path, f"not a {SIZE}x{SIZE} 8-bit grey drawing (array {pixels.shape} {pixels.dtype})"))
    return pixels.astype(np.float32) / 255.0


def png_frame_problem(path: Path) -> str | None:
    """Cheap check of a stored example without decoding it: PNG signature, a 28x28 8-bit grey header,
    and the final IEND chunk (which a truncated or partly written file lacks). None when it looks fine."""
    try:
        with open(path, "rb") as file:
            head = file.read(33)
            size = os.fstat(file.fileno()).st_size
            tail = b""
            if size >= 45:
                file.seek(-12, os.SEEK_END)
                tail = file.read(12)
    except OSError as error:
        return f"cannot read ({describe_error(error)})"
    if size == 0:
        return "empty file"
    if len(head) < 33 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        return "not a PNG file"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    bit_depth, colour_type = head[24], head[25]
    if (width, height, bit_depth, colour_type) != (SIZE, SIZE, 8, 0):
        return f"not a {SIZE}x{SIZE} 8-bit grey PNG ({width}x{height}, depth {bit_depth}, colour type {colour_type})"
    if tail != _PNG_IEND:
        return "truncated PNG (no end chunk)"
    return None


def stored_input(path: str | os.PathLike[str]) -> np.ndarray | None:
    """The network input a collection keeps in ``path``, or None when the file is not such a drawing.

    A stored drawing already is the 28x28 input (preprocessed when it was labelled): preprocessing it
    again would centre and scale it a second time and change the answer. It is recognised by the
    strokes chunk the app writes, or, for drawings saved without strokes, by the collection marker two
    folders up (``<collection>/<label>/<id>.png``)."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        return None
    in_collection = (path.parent.parent / MARKER_NAME).is_file()
    if not in_collection:
        try:
            with Image.open(path) as image:
                if STROKES_KEY not in image.info or image.size != (SIZE, SIZE):
                    return None
        except (OSError, SyntaxError, ValueError, EOFError):
            return None  # not readable as a PNG: the general reader says why
    return load_raster(path)
