"""example_png.stored_pixels decodes the app's own PNGs without Pillow: it must give exactly what
Pillow (load_raster) gives, for every PNG row filter, and fall back to Pillow for anything else."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cnn_desktop.core.data.example_png import encode_example, load_raster, stored_pixels
from cnn_desktop.core.data.synth import digit_drawings
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.errors import DataError


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_filters(rows: np.ndarray, filters: list[int]) -> bytes:
    """A 28x28 grey PNG whose rows are stored with the given filter types (0-4), encoded by hand."""
    raw, above = bytearray(), np.zeros(28, np.int64)
    for row, kind in zip(rows.astype(np.int64), filters):
        left = np.concatenate([[0], row[:-1]])
        up_left = np.concatenate([[0], above[:-1]])
        if kind == 0:
            predicted = np.zeros(28, np.int64)
        elif kind == 1:
            predicted = left
        elif kind == 2:
            predicted = above
        elif kind == 3:
            predicted = (left + above) // 2
        else:
            estimate = left + above - up_left
            pa, pb, pc = abs(estimate - left), abs(estimate - above), abs(estimate - up_left)
            predicted = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, above, up_left))
        raw += bytes([kind]) + bytes(((row - predicted) % 256).astype(np.uint8))
        above = row
    header = struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw)))
            + chunk(b"IEND", b""))


def test_every_row_filter_decodes_as_pillow_decodes_it(tmp_path, monkeypatch):
    from cnn_desktop.core.data import example_png

    monkeypatch.setattr(example_png, "load_raster", None)  # the own decoder, never Pillow, is tested
    rng = np.random.default_rng(3)
    for index in range(20):
        rows = rng.integers(0, 256, (28, 28)) if index % 2 else (rng.random((28, 28)) > 0.7) * 255
        path = tmp_path / f"{index}.png"
        path.write_bytes(png_with_filters(rows, [int(k) for k in rng.integers(0, 5, 28)]))
        with Image.open(path) as image:
            expected = np.asarray(image)
        assert np.array_equal(expected, rows) and np.array_equal(stored_pixels(path), expected)


def test_the_apps_own_drawings_decode_as_load_raster_reads_them(tmp_path):
    strokes, _ = digit_drawings(8, seed=5)
    for index, drawing in enumerate(strokes):
        path = tmp_path / f"{index}.png"
        path.write_bytes(encode_example(preprocess(drawing), drawing, tmp_path))
        assert np.array_equal(stored_pixels(path), np.rint(load_raster(path) * 255).astype(np.uint8))


def test_anything_else_goes_through_pillow_and_its_errors(tmp_path):
    other = tmp_path / "other.png"
    Image.fromarray(np.full((28, 28), 200, np.uint8)).save(other, optimize=True)  # not laid out as ours
    assert stored_pixels(other).tolist() == np.full((28, 28), 200).tolist()
    broken = tmp_path / "broken.png"
    broken.write_bytes(other.read_bytes()[:40])
    with pytest.raises(DataError):
        stored_pixels(broken)


def test_many_drawings_undone_at_once_give_what_each_gives_alone(tmp_path):
    """``unfilter`` undoes the filters of a batch row by row across drawings: a drawing's rows must
    never mix with another's, whatever filter types its neighbours in the batch use."""
    from cnn_desktop.core.data.example_png import example_verdict, unfilter

    rng = np.random.default_rng(8)
    expected, scanlines = [], []
    for index in range(40):
        rows = rng.integers(0, 256, (28, 28)) if index % 3 else (rng.random((28, 28)) > 0.6) * 255
        path = tmp_path / f"{index}.png"
        path.write_bytes(png_with_filters(rows, [int(k) for k in rng.integers(0, 5, 28)]))
        frame, decoded, lines = example_verdict(path)
        assert frame is None and decoded is None and lines is not None
        expected.append(rows)
        scanlines.append(lines)
    together = unfilter(scanlines)
    assert together.shape == (40, 28, 28) and together.dtype == np.uint8
    assert np.array_equal(together, np.array(expected, np.uint8))
    assert all(np.array_equal(unfilter([lines])[0], rows) for lines, rows in zip(scanlines, expected))
