"""preprocess: one digit drawn many ways must give nearly the same 28x28 input, MNIST-like.

Test rasters are rendered here with Pillow directly (not with the project's rasteriser), so a mistake
shared by the rasteriser and the strokes path cannot hide itself.
"""

from __future__ import annotations

import gzip
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageDraw

from cnn_desktop.core.errors import DataError, EmptyDrawingError
from cnn_desktop.core.data.preprocess import (
    BOX_SIZE,
    INPUT_SIZE,
    STROKE_WIDTH,
    Preprocessed,
    preprocess,
    preprocess_with_transform,
)
from cnn_desktop.core.data.strokes import Strokes

MNIST_DIR = Path(__file__).resolve().parents[2].parent / "shared/data/mnist"

# A '7' in a unit box (y down): the top bar, the diagonal, and a crossbar as a second stroke.
SEVEN = [
    [(0.0, 0.0), (0.5, -0.02), (1.0, 0.0), (0.8, 0.35), (0.6, 0.7), (0.45, 1.0)],
    [(0.35, 0.5), (0.9, 0.5)],
]


def seven(size: float, left: float, top: float, points_per_piece: int = 8) -> Strokes:
    """The '7' scaled to ``size`` px at (left, top), each piece sampled with that many points."""
    strokes = []
    for corners in SEVEN:
        corners = np.asarray(corners)
        pieces = len(corners) - 1
        t = np.linspace(0, pieces, points_per_piece * pieces + 1)
        index = np.minimum(t.astype(int), pieces - 1)
        frac = (t - index)[:, None]
        strokes.append((corners[index] * (1 - frac) + corners[index + 1] * frac) * size + [left, top])
    return Strokes.from_points(strokes)


def render(strokes: Strokes, size: tuple[int, int], width: float, supersample: int = 4) -> np.ndarray:
    """uint8 (rows, cols) coverage 0..255 of a round pen of ``width`` px, drawn with Pillow."""
    cols, rows = size
    image = Image.new("L", (cols * supersample, rows * supersample), 0)
    draw = ImageDraw.Draw(image)
    radius = width * supersample / 2
    for stroke in strokes:
        points = np.asarray(stroke, np.float64) * supersample - 0.5
        draw.line(points.ravel().tolist(), fill=255, width=max(1, round(width * supersample)))
        for x, y in points:
            draw.ellipse([x - radius + 0.5, y - radius + 0.5, x + radius - 0.5, y + radius - 0.5], fill=255)
    if supersample > 1:
        image = image.resize((cols, rows), Image.Resampling.BOX)
    return np.asarray(image)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def assert_valid_input(image: np.ndarray) -> None:
    assert image.shape == (INPUT_SIZE, INPUT_SIZE)
    assert image.dtype == np.float32
    assert np.isfinite(image).all()
    assert image.min() >= 0.0 and image.max() <= 1.0


def ink_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the non-zero pixels, in continuous coordinates."""
    rows = np.flatnonzero(image.max(axis=1) > 0)
    cols = np.flatnonzero(image.max(axis=0) > 0)
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(x, y) in pixel-index coordinates, the way MNIST's centring is usually measured."""
    rows, cols = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    return float((image * cols).sum() / image.sum()), float((image * rows).sum() / image.sum())


# --- one digit, many drawings ---------------------------------------------------------------------


REFERENCE_STROKES = seven(500, 250, 150)  # mouse strokes on a 1000x800 canvas


def _rgba_transparent() -> np.ndarray:
    """Black ink on a fully transparent background: RGB is 0 everywhere, only alpha draws."""
    rgba = np.zeros((800, 1000, 4), np.uint8)
    rgba[..., 3] = render(REFERENCE_STROKES, (1000, 800), 12)
    return rgba


def _rgba_white_ink() -> np.ndarray:
    """White ink on transparent black: colour and alpha both draw."""
    ink = render(seven(300, 400, 300), (1000, 800), 10)
    return np.dstack([ink, ink, ink, ink])


def _blue_on_white() -> np.ndarray:
    ink = render(REFERENCE_STROKES, (1000, 800), 8).astype(np.float32) / 255
    rgb = np.ones((800, 1000, 3), np.float32)
    rgb[..., 0] -= ink
    rgb[..., 1] -= ink * 0.8
    return (rgb * 255).round().astype(np.uint8)


def _noisy_paper() -> np.ndarray:
    """Dark ink on grey paper with sensor-like noise: no pixel of the paper is exactly the paper."""
    noise = np.random.default_rng(0).normal(0, 3, (800, 1000))
    return np.clip(200 - 0.7 * render(REFERENCE_STROKES, (1000, 800), 6) + noise, 0, 255).astype(np.uint8)


DRAWINGS = {
    "strokes, small, top left": lambda: seven(30, 5, 5),
    "strokes, off-centre, few points": lambda: seven(200, 760, 560, points_per_piece=1),
    "strokes, on a 28x28 canvas": lambda: seven(18, 5, 4),
    "1000x800, 2 px mouse line": lambda: render(REFERENCE_STROKES, (1000, 800), 2),
    "1000x800, 1 px aliased line": lambda: render(REFERENCE_STROKES, (1000, 800), 1, supersample=1),
    "1000x800, 40 px marker": lambda: render(REFERENCE_STROKES, (1000, 800), 40),
    "1000x800, small and off-centre": lambda: render(seven(100, 800, 80), (1000, 800), 6),
    "1000x800, dark ink on white": lambda: 255 - render(REFERENCE_STROKES, (1000, 800), 8),
    "1000x800, blue ink on white RGB": _blue_on_white,
    "1000x800, RGBA on transparent": _rgba_transparent,
    "1000x800, white RGBA on transparent": _rgba_white_ink,
    "1000x800, float in [0, 1]": lambda: render(REFERENCE_STROKES, (1000, 800), 5).astype(np.float64) / 255,
    "1000x800, float in [0, 255]": lambda: render(REFERENCE_STROKES, (1000, 800), 5).astype(np.float32),
    "1000x800, uint16 (H, W, 1)": lambda: (render(REFERENCE_STROKES, (1000, 800), 5).astype(np.uint16) * 257)[..., None],
    "1000x800, bool": lambda: render(REFERENCE_STROKES, (1000, 800), 5) > 127,
    "1000x800, int64 0/1 mask": lambda: (render(REFERENCE_STROKES, (1000, 800), 5) > 127).astype(np.int64),
    "1000x800, grey + alpha (H, W, 2)": lambda: np.dstack(
        [np.full((800, 1000), 255, np.uint8), render(REFERENCE_STROKES, (1000, 800), 7)]
    ),
    "1000x800, noisy grey paper": _noisy_paper,
    "28x28, 2 px anti-aliased": lambda: render(seven(18, 5, 4), (28, 28), 2),
    "28x28, 1 px aliased": lambda: render(seven(18, 5, 4), (28, 28), 1, supersample=1),
    "28x28, 3.5 px, dark on light": lambda: 255 - render(seven(18, 5, 4), (28, 28), 3.5),
}


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return preprocess(REFERENCE_STROKES)


@pytest.mark.parametrize("name", list(DRAWINGS))
def test_the_same_digit_drawn_any_way_gives_nearly_the_same_input(name, reference):
    image = preprocess(DRAWINGS[name]())
    assert_valid_input(image)
    assert correlation(image, reference) > 0.9, name
    assert np.abs(image - reference).mean() < 0.05, name
    # Width normalisation: thin and thick drawings carry about the same amount of ink as the reference.
    assert 0.8 < image.sum() / reference.sum() < 1.25, name


@pytest.mark.parametrize("width", [1, 2, 40])
def test_strokes_come_out_mnist_wide_with_a_bright_core(width):
    image = preprocess(render(REFERENCE_STROKES, (1000, 800), width, supersample=1 if width == 1 else 4))
    assert image.max() > 0.95
    # Ink amount / stroke length ~ width; the reference '7' is about 20 * 2.4 input pixels long.
    length = 20 * 2.4
    assert 0.7 * STROKE_WIDTH < image.sum() / length < 1.3 * STROKE_WIDTH


@pytest.mark.parametrize("name", ["strokes, small, top left", "1000x800, 2 px mouse line", "28x28, 1 px aliased"])
def test_mnist_geometry_box_of_20_and_centre_of_mass_in_the_middle(name):
    image = preprocess(DRAWINGS[name]())
    left, top, right, bottom = ink_box(image)
    # The 20-px box is placed to a quarter pixel, so its edge pixels may be partly covered: 20 or 21.
    assert max(right - left, bottom - top) in (BOX_SIZE, BOX_SIZE + 1)
    x, y = centre_of_mass(image)
    # The '7' is top-heavy; its box is clamped to the field's bottom edge, which lifts the centre of mass.
    assert abs(x - 14) < 0.35
    assert -1.0 < y - 14 < 0.35


def test_a_balanced_drawing_has_its_centre_of_mass_on_pixel_14():
    ring = np.linspace(0, 2 * np.pi, 100)
    for left, top, size in ((0, 0, 50), (700, 500, 200), (3, 4, 2)):
        circle = Strokes.from_points([np.stack([np.cos(ring), np.sin(ring)], 1) * size + [left, top]])
        x, y = centre_of_mass(preprocess(circle))
        assert abs(x - 14) < 0.2 and abs(y - 14) < 0.2


def test_nothing_falls_off_the_field_for_a_lopsided_drawing():
    # Almost all the ink far right, one dot far left: the centre of mass cannot be centred.
    lopsided = Strokes.from_points([[[0, 0]], [[100, 0], [100, 3], [100, 0], [100, 3]] * 20])
    image = preprocess(lopsided)
    assert image[:, 0].max() < 0.5 or image[:, -1].max() < 0.5  # nothing squashed against both sides
    assert image.sum() > 5  # both parts still there: the dot and the bar
    left, _, right, _ = ink_box(image)
    assert left >= 0 and right <= INPUT_SIZE


def test_preprocess_returns_the_image_of_preprocess_with_transform():
    drawing = seven(120, 10, 20)
    result = preprocess_with_transform(drawing)
    assert isinstance(result, Preprocessed)
    np.testing.assert_array_equal(result.image, preprocess(drawing))
    assert result.to_input.shape == (2, 3)


# --- the drawing -> input transform -----------------------------------------------------------------


def _mapped_box(matrix: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0, 1.0], [x1, y1, 1.0]]) @ matrix.T


@pytest.mark.parametrize("pen", [None, 0.005, 0.12], ids=["strokes", "raster thin", "raster thick"])
@pytest.mark.parametrize("size, left, top", [(500, 250, 150), (120, 20, 600), (40, 900, 10)])
def test_to_input_maps_the_strokes_box_onto_where_the_ink_lands(pen, size, left, top):
    strokes = seven(size, left, top)
    # The pen is relative to the digit's size: a 30-px marker on a 40-px digit would be a blob.
    drawing = strokes if pen is None else render(strokes, (1000, 800), max(1.0, pen * size))
    result = preprocess_with_transform(drawing)
    (mx0, my0), (mx1, my1) = _mapped_box(result.to_input, *strokes.bounds())
    left, top, right, bottom = ink_box(result.image)
    radius = STROKE_WIDTH / 2  # the ink extends half a pen beyond the points
    for mapped, edge, sign in ((mx0, left, 1), (my0, top, 1), (mx1, right, -1), (my1, bottom, -1)):
        inset = sign * (mapped - edge)
        assert radius - 0.6 < inset < radius + 1.0, (mapped, edge)


def test_to_drawing_inverts_to_input():
    result = preprocess_with_transform(render(seven(300, 100, 200), (1000, 800), 9))
    points = np.array([[3.0, 4.0], [14.0, 14.0], [27.5, 0.5]])
    there = np.c_[points, np.ones(3)] @ result.to_drawing.T
    back = np.c_[there, np.ones(3)] @ result.to_input.T
    np.testing.assert_allclose(back, points, atol=1e-9)


# --- empty and invalid drawings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "drawing",
    [
        Strokes(),
        Strokes.from_points([]),
        Strokes((np.full((3, 2), np.nan, np.float32),)),
        np.zeros((28, 28), np.uint8),
        np.full((800, 1000), 255, np.uint8),
        np.full((50, 60, 3), 128, np.uint8),
        np.zeros((40, 40, 4), np.uint8),  # fully transparent
        np.ones((10, 10), bool),
        np.full((5, 7), 0.3),
        np.zeros((1, 1)),
        np.zeros((0, 5)),
        np.full((30, 30), 100, np.uint8) + (np.arange(30) % 2).astype(np.uint8),  # 1/255 noise
    ],
    ids=lambda d: type(d).__name__ + (str(getattr(d, "shape", "")) if hasattr(d, "shape") else ""),
)
def test_no_ink_raises_empty_drawing_error(drawing):
    with pytest.raises(EmptyDrawingError):
        preprocess(drawing)


@pytest.mark.parametrize(
    "array",
    [np.zeros((4, 4, 5)), np.zeros(10), np.zeros((2, 3, 4, 5)), np.array([["a", "b"]]), np.zeros((3, 3), complex)],
)
def test_an_array_that_is_not_an_image_raises_data_error(array):
    with pytest.raises(DataError):
        preprocess(array)


def test_a_huge_image_is_cropped_before_it_becomes_float():
    huge = np.zeros((10000, 10000), np.uint8)
    ink = render(seven(180, 10, 30), (200, 220), 3)
    huge[6000:6220, 2000:2200] = ink
    tracemalloc.start()
    try:
        image = preprocess(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One float32 copy of the whole image would be 400 MB; the banded conversion needs a few MB.
    assert peak < 40e6, f"peak {peak / 1e6:.0f} MB"
    assert correlation(image, preprocess(ink)) > 0.95


# --- MNIST: calibration and idempotence ------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_digits() -> np.ndarray:
    path = MNIST_DIR / "t10k-images-idx3-ubyte.gz"
    if not path.exists():
        pytest.skip(f"MNIST not found at {path}")
    with gzip.open(path, "rb") as file:
        header = np.frombuffer(file.read(16), ">u4")
        assert header[0] == 0x803 and tuple(header[2:]) == (28, 28)
        data = np.frombuffer(file.read(), np.uint8)
    # Every 100th digit: short, and from both halves of the set (their writers' pens differ).
    return data.reshape(int(header[1]), 28, 28)[::100]


def test_mnist_digits_change_little(mnist_digits):
    originals = mnist_digits.astype(np.float32) / 255
    processed = np.stack([preprocess(d) for d in mnist_digits])
    correlations = [correlation(a, b) for a, b in zip(processed, originals)]
    assert np.mean(correlations) > 0.88
    # STROKE_WIDTH is calibrated so that a typical MNIST digit keeps its amount of ink.
    ink_ratio = np.median(processed.sum(axis=(1, 2)) / originals.sum(axis=(1, 2)))
    assert 0.93 < ink_ratio < 1.07


def test_preprocessing_is_nearly_idempotent_on_mnist(mnist_digits):
    once = np.stack([preprocess(d) for d in mnist_digits])
    twice = np.stack([preprocess(d) for d in once])
    correlations = np.array([correlation(a, b) for a, b in zip(once, twice)])
    assert np.mean(correlations) > 0.96
    assert np.median(correlations) > 0.97
    assert np.abs(twice - once).mean() < 0.03


# --- fuzzing ---------------------------------------------------------------------------------------


def _check_or_empty(drawing) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow or invalid-value warnings would mean a hidden bug
        try:
            image = preprocess(drawing)
        except EmptyDrawingError:
            return
    assert_valid_input(image)


FLOAT32_MAX = float(np.finfo(np.float32).max)
coordinate = st.floats(-FLOAT32_MAX, FLOAT32_MAX, allow_nan=False, allow_infinity=False, width=32)
point = st.one_of(
    st.tuples(coordinate, coordinate),
    st.tuples(st.floats(-2000, 2000, width=32), st.floats(-2000, 2000, width=32)),
)
stroke = st.lists(point, min_size=1, max_size=12).flatmap(
    # Duplicate points (a press without movement) are common: repeat some of them.
    lambda pts: st.lists(st.sampled_from(pts), min_size=len(pts), max_size=len(pts) + 3)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(stroke, max_size=4))
def test_fuzz_strokes_never_crash(strokes):
    _check_or_empty(Strokes.from_points(strokes))


raster_dtypes = st.sampled_from(
    [np.bool_, np.uint8, np.uint16, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64]
)
raster_shapes = st.tuples(st.integers(1, 12), st.integers(1, 12), st.sampled_from([0, 1, 2, 3, 4])).map(
    lambda s: s[:2] if s[2] == 0 else s
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hnp.arrays(raster_dtypes, raster_shapes, elements=None))
def test_fuzz_small_rasters_never_crash(raster):
    _check_or_empty(raster)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(20, 120), st.integers(20, 120), st.sampled_from([1, 3, 4]))
def test_fuzz_random_scribbles_on_rasters(seed, rows, cols, channels):
    rng = np.random.default_rng(seed)
    paper = rng.integers(0, 256, channels)
    raster = np.broadcast_to(paper, (rows, cols, channels)).astype(np.uint8).copy()
    count = rng.integers(0, 30)
    raster[rng.integers(0, rows, count), rng.integers(0, cols, count)] = rng.integers(0, 256, (count, channels))
    _check_or_empty(raster[..., 0] if channels == 1 else raster)
