"""One stored example as a file: an 8-bit grey 28x28 PNG with the drawing's strokes in a text chunk.

The raster is the network's input (white ink on black, as MNIST), so any image tool can read a
collection; the strokes ride along as JSON in a compressed "cnn-desktop-strokes" chunk, so a drawing
can be preprocessed again or shown as drawn. ``DrawingStore`` decides where the bytes go and how they
are made durable; this module only makes and reads them.
"""

from __future__ import annotations

import io
import os
import zlib
from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np
from PIL import Image, PngImagePlugin

from cnn_desktop.core.errors import DataError, at, describe_error
from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.readers import open_regular_file, read_image
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


def read_strokes(path: Path | BinaryIO, where: str | None = None) -> Strokes | None:
    """The strokes stored in an example's file (or an open file: a zip member, named ``where``), or None
    if it was saved without them."""
    where = str(path) if where is None else where
    try:
        with Image.open(path) as image:
            text = image.info.get(STROKES_KEY)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise DataError(at(where, f"damaged example ({describe_error(error)})")) from None
    return None if text is None else Strokes.from_json(text, source=where)


def load_raster(path: Path) -> np.ndarray:
    """An example's raster as float32 (28, 28) in [0, 1] (8-bit precision: steps of 1/255)."""
    return stored_raster(read_image(path), path)


def stored_raster(pixels: np.ndarray, where: str | os.PathLike[str]) -> np.ndarray:
    """``load_raster`` for pixels already decoded (from a zip member, say)."""
    if pixels.shape != (SIZE, SIZE) or pixels.dtype != np.uint8:
        raise DataError(at(where, f"not a {SIZE}x{SIZE} 8-bit grey drawing (array {pixels.shape} {pixels.dtype})"))
    return pixels.astype(np.float32) / 255.0


def png_frame_problem(path: Path) -> str | None:
    """Cheap check of a stored example without decoding it: a regular file of at most
    ``MAX_EXAMPLE_BYTES``, PNG signature, a 28x28 8-bit grey header, and the final IEND chunk (which a
    truncated or partly written file lacks). None when it looks fine. Never blocks (see
    ``open_regular_file``)."""
    frame = _example_frame_problem(path)  # the bytes (a few hundred) when the frame is fine
    return None if isinstance(frame, bytes) else frame


def example_problem(path: Path) -> str | None:
    """What keeps the raster of a stored example from being read (what ``load_raster`` would raise),
    or None. Files laid out as this module writes them are checked here, with their checksums and
    compressed data, at about the cost of ``png_frame_problem``; anything else is decoded by Pillow."""
    return example_problems(path)[1]


def example_problems(path: Path) -> tuple[str | None, str | None]:
    """(what ``png_frame_problem`` says, what ``example_problem`` says), reading the file once."""
    frame, decoded, _ = example_verdict(path)
    return frame, decoded


def example_verdict(path: Path) -> tuple[str | None, str | None, bytes | None]:
    """``example_problems``, and the file's scanlines (inflated, still filtered: 28 rows of a filter
    byte and 28 pixels) when it is laid out as ``encode_example`` writes it, for ``unfilter``: whoever
    checks a file this way has done all of decoding it but the cheapest part, and may keep that."""
    frame = _example_frame_problem(path)
    if isinstance(frame, bytes):
        scanlines = _scanlines(frame)
        if scanlines is not None:
            return None, None, scanlines
        try:
            load_raster(path)
        except DataError as error:
            return None, f"cannot be decoded ({_problem_of(error, path)})", None
        return None, None, None
    return frame, frame, None


def _example_frame_problem(path: Path) -> str | bytes:
    """The file's bytes when its frame is fine, else the problem."""
    try:
        fd = open_regular_file(path)
    except DataError as error:
        return _problem_of(error, path)
    try:
        size = os.fstat(fd).st_size
        problem = _size_problem(size)
        if problem is not None:
            return problem
        data = os.read(fd, size + 1)  # one read: a drawing is a few hundred bytes
        while len(data) < size:  # a short read: read on
            more = os.read(fd, size + 1 - len(data))
            if not more:
                break
            data += more
    except OSError as error:
        return f"cannot read ({describe_error(error)})"
    finally:
        os.close(fd)
    problem = _size_problem(len(data)) or _frame_problem(data[:33], data[-12:] if len(data) >= 45 else b"", len(data))
    return data if problem is None else problem


# A stored drawing has one zTXt chunk of strokes at most: 1 MiB of text (Pillow's limit, which
# encode_example keeps), compressed. Anything far larger is not one, and is not read.
MAX_EXAMPLE_BYTES = 4 << 20
_DEFLATE_MAX_RATIO = 1032
_IHDR = (SIZE.to_bytes(4, "big") * 2) + bytes([8, 0, 0, 0, 0])  # 28x28, 8-bit grey, not interlaced


def _size_problem(size: int) -> str | None:
    if size > MAX_EXAMPLE_BYTES:
        return f"too large for a drawing ({size / (1 << 20):.1f} MiB, at most {MAX_EXAMPLE_BYTES >> 20} MiB)"
    return None


def _frame_problem(head: bytes, tail: bytes, size: int) -> str | None:
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


def _scanlines(data: bytes) -> bytes | None:
    """The inflated pixel rows of ``data`` if it is laid out exactly as ``encode_example`` (Pillow)
    writes it and every part of it checks out: IHDR as expected, zTXt chunks that inflate within
    Pillow's limit, IDAT chunks that inflate to 28 rows of valid filter type and 28 pixels, then IEND,
    every CRC right. Such a file decodes; None means "decode it to know", not "damaged"."""
    position, pixels, after_pixels = len(_PNG_SIGNATURE), [], False
    while position + 12 <= len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        end = position + 8 + length
        if end + 4 > len(data) or zlib.crc32(data[position + 4:end]) != int.from_bytes(data[end:end + 4], "big"):
            return None
        body = data[position + 8:end]
        if kind == b"IHDR":
            if position != len(_PNG_SIGNATURE) or body != _IHDR:
                return None
        elif kind == b"zTXt" and not pixels:
            _, separator, text = body.partition(b"\0")
            if not separator or text[:1] != b"\0" or not _inflates_within(text[1:], PngImagePlugin.MAX_TEXT_CHUNK):
                return None
        elif kind == b"IDAT" and not after_pixels:
            pixels.append(body)
        elif kind == b"IEND":
            return _inflated_rows(b"".join(pixels)) if end + 4 == len(data) and pixels else None
        else:
            return None
        after_pixels = bool(pixels) and kind != b"IDAT"
        position = end + 4
    return None


def _inflates_within(compressed: bytes, limit: int) -> bool:
    """Whether Pillow reads this zTXt text: it must not inflate beyond ``limit`` (Pillow ignores text it
    cannot inflate). Deflate expands at most 1032 times, so short texts need not be inflated."""
    if len(compressed) * _DEFLATE_MAX_RATIO <= limit:
        return True
    try:
        inflater = zlib.decompressobj()
        inflater.decompress(compressed, limit)
    except zlib.error:
        return False
    return not inflater.unconsumed_tail and inflater.eof


def _inflated_rows(compressed: bytes) -> bytes | None:
    """The IDAT data inflated, if it is exactly 28 rows of a known filter type (0-4) and 28 pixels."""
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed, SIZE * (SIZE + 1) + 1)
    except zlib.error:
        return None
    ok = inflater.eof and len(raw) == SIZE * (SIZE + 1) and max(raw[:: SIZE + 1]) <= 4
    return raw if ok else None


def _problem_of(error: DataError, path: Path) -> str:
    """The problem part of a DataError about ``path`` ("<path>: <problem>")."""
    text, prefix = str(error), f"{path}: "
    return text[len(prefix):] if text.startswith(prefix) else text


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


def stored_pixels(path: Path) -> np.ndarray:
    """An example's pixels as uint8 (28, 28), exactly as ``load_raster`` reads them (times 255)."""
    stored = read_stored(path)
    return unfilter([stored])[0] if isinstance(stored, bytes) else stored


def read_stored(path: Path) -> bytes | np.ndarray:
    """What decoding an example needs from its file: its scanlines (for ``unfilter``, which does many
    files at once) when the file is laid out as ``encode_example`` writes it (``_scanlines``), else its
    pixels, uint8 (28, 28), decoded by Pillow (``load_raster``; its DataError when it cannot be).

    The app's own files are decoded with zlib and numpy, faster than through Pillow: the first
    training run of a 60,000-drawing collection decodes every file."""
    data = _example_frame_problem(path)
    scanlines = _scanlines(data) if isinstance(data, bytes) else None
    if scanlines is not None:
        return scanlines
    return np.rint(load_raster(path) * 255).astype(np.uint8)


def unfilter(scanlines: Sequence[bytes]) -> np.ndarray:
    """The pixels, uint8 (N, 28, 28), of N drawings' scanlines (``example_verdict``): each row's PNG
    filter undone (PNG spec, section 9), for all N drawings at once.

    Row by row, every drawing whose row has a given filter type is undone with one numpy operation;
    only Average and Paeth, whose prediction uses the byte just made to the left, go pixel by pixel
    (across all the drawings at once). Done a file at a time in Python, this took 40 us a drawing,
    2.4 s of a first Train at 60,000; this way a batch of 60,000 takes a fraction of that."""
    count = len(scanlines)
    raw = np.frombuffer(b"".join(scanlines), np.uint8).reshape(count, SIZE, SIZE + 1)
    out = np.empty((count, SIZE, SIZE), np.uint8)
    above = np.zeros((count, SIZE), np.uint8)  # the row above the first one is zeros
    for y in range(SIZE):
        kinds, line = raw[:, y, 0], raw[:, y, 1:]
        made = line.copy()  # type 0 (None): most rows of a drawing, the black ones
        sub = kinds == 1  # Sub: each byte adds the one made to its left (a running sum, mod 256)
        made[sub] = np.cumsum(line[sub], axis=1, dtype=np.uint8)
        up = kinds == 2  # Up: adds the byte above
        made[up] = line[up] + above[up]
        for kind in (3, 4):  # Average, Paeth
            rows = np.flatnonzero(kinds == kind)
            if len(rows):
                made[rows] = _sequential(kind, line[rows], above[rows])
        out[:, y] = made
        above = made
    return out


def _sequential(kind: int, line: np.ndarray, above: np.ndarray) -> np.ndarray:
    """Average (3) and Paeth (4) rows, uint8 (n, 28): each byte's prediction uses the byte just made to
    its left, so they are undone one column at a time (for n rows at once), in int16 to keep signs."""
    line, above = line.astype(np.int16), above.astype(np.int16)
    made = np.zeros_like(line)
    left = np.zeros(len(line), np.int16)
    corner = np.zeros(len(line), np.int16)  # the byte above ``left``
    for x in range(SIZE):
        b = above[:, x]
        if kind == 3:
            predicted = (left + b) >> 1
        else:
            estimate = left + b - corner
            pa, pb, pc = np.abs(estimate - left), np.abs(estimate - b), np.abs(estimate - corner)
            predicted = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, b, corner))
        made[:, x] = (line[:, x] + predicted) & 255
        left, corner = made[:, x], b
    return made.astype(np.uint8)
