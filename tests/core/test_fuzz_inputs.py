"""Fuzzing what a drawing can be, beyond tests/core/test_preprocess.py: strokes holding NaN and
infinities, rasters of any dtype and size up to a few hundred pixels with extreme values, and the
engine's live prediction (the app's own path) on arbitrary strokes. Each gives a finite 28x28 input, or
EmptyDrawingError for no ink; the engine answers every request and never reports an error."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnn_desktop.core.app.engine import Engine
from cnn_desktop.core.errors import EmptyDrawingError
from cnn_desktop.core.app.messages import EngineError, Predict, Prediction, UseModel
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.classes import TICK_CROSS_CLASSES
from cnn_desktop.core.network.spec import lenet_spec
from cnn_desktop.core.data.strokes import Strokes

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPECIAL = [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e-30, 3.4e38, -3.4e38, 1e6]
coordinate = st.one_of(st.floats(-3000, 3000, width=32), st.sampled_from(SPECIAL))
strokes = st.lists(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=15), max_size=4)


def valid_or_empty(drawing) -> np.ndarray | None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or invalid-value warning would hide a bug
        try:
            image = preprocess(drawing)
        except EmptyDrawingError:
            return None
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1
    return image


@FUZZ
@given(strokes)
def test_fuzz_strokes_with_non_finite_points(points):
    valid_or_empty(Strokes.from_points(points))


DTYPES = [np.uint8, np.uint16, np.int32, np.int64, np.float16, np.float32, np.float64, np.bool_]


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 400), cols=st.integers(1, 400),
       channels=st.sampled_from([0, 1, 2, 3, 4]), dtype=st.sampled_from(DTYPES), extremes=st.integers(0, 8))
def test_fuzz_rasters_of_any_size_dtype_and_extreme_values(seed, rows, cols, channels, dtype, extremes):
    rng = np.random.default_rng(seed)
    shape = (rows, cols) if channels == 0 else (rows, cols, channels)
    if np.issubdtype(dtype, np.floating):
        raster = rng.normal(0.5, 0.5, shape).astype(dtype)
        for _ in range(extremes):  # NaN, infinities, huge and tiny values at random places
            with np.errstate(over="ignore"):  # 3.4e38 becomes inf in float16: one more extreme
                raster[tuple(rng.integers(0, s) for s in shape)] = rng.choice(SPECIAL).astype(dtype)
    elif dtype is np.bool_:
        raster = rng.random(shape) > rng.random()
    else:
        info = np.iinfo(dtype)
        raster = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        if extremes % 2:  # mostly paper, some ink: the common case of a scan
            raster = np.where(rng.random(shape) < 0.97, info.max, raster).astype(dtype)
    valid_or_empty(raster)


MESSAGES: list = []
ENGINE = Engine(MESSAGES.append)  # one engine for every example: only its answers matter
ENGINE.submit(UseModel(None, lenet_spec(TICK_CROSS_CLASSES), "fresh"))
ENGINE.run_once()


@settings(FUZZ, max_examples=40)  # a forward pass with every layer's maps each: slower
@given(strokes)
def test_fuzz_the_engine_answers_every_drawing_and_never_errs(points):
    MESSAGES.clear()
    request_id = ENGINE.model_version * 1000 + len(points) + 1
    ENGINE.submit(Predict(request_id, Strokes.from_points(points)))
    ENGINE.run_once()
    (answer,) = [m for m in MESSAGES if isinstance(m, Prediction)]
    assert answer.request_id == request_id and not [m for m in MESSAGES if isinstance(m, EngineError)]
    if answer.probabilities is None:
        assert answer.image is None  # no ink: no guess
    else:
        assert np.isfinite(answer.probabilities).all() and abs(answer.probabilities.sum() - 1) < 1e-4
