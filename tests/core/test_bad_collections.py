"""Collections damaged or forged on disk: the store reports one DataError line, or skips and lists the
damaged example; it never crashes and never loses the examples that are fine.

tests/core/test_store.py covers damaged PNGs, bad markers and temp files; these add JSON that breaks
parsers and fuzz the three things read from disk (the marker, example files, the strokes inside them).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from cnn_desktop.core.errors import DataError
from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.example_png import STROKES_KEY
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes

CLASSES = ("tick", "cross")
DEEP = "[" * 100_000  # json.loads raises RecursionError, not ValueError, past ~1000 levels


def bar(vertical: bool) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[6:22, 13:15] = 1
    return image.T.copy() if vertical else image


def png_with_strokes(text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text(STROKES_KEY, text, zip=True)
    buffer = io.BytesIO()
    Image.fromarray((bar(False) * 255).astype(np.uint8)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def one_line(error: pytest.ExceptionInfo, *words: str) -> str:
    message = str(error.value)
    assert "\n" not in message and all(word in message for word in words), message
    return message


def test_a_deeply_nested_marker_is_a_data_error(tmp_path):
    store = DrawingStore(tmp_path / "c", CLASSES)
    store.add("tick", bar(False))
    (store.root / MARKER_NAME).write_text(DEEP)
    with pytest.raises(DataError) as caught:
        DrawingStore(store.root, CLASSES)
    one_line(caught, str(store.root / MARKER_NAME), "unreadable collection marker")


def test_deeply_nested_strokes_are_a_data_error_and_the_raster_still_reads(tmp_path):
    store = DrawingStore(tmp_path / "c", CLASSES)
    example = store.add("tick", bar(False), Strokes.from_points([[(0, 0), (10, 10)]]))
    example.path.write_bytes(png_with_strokes(DEEP))
    with pytest.raises(DataError) as caught:
        store.strokes(example.id)
    one_line(caught, str(example.path), "malformed strokes")
    assert store.raster(example.id).shape == (28, 28)  # the drawing itself is still there
    assert len(store.arrays()[0]) == 1 and store.problems == []


# --- fuzzing ----------------------------------------------------------------------------------------

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
json_text = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=12,
).map(json.dumps)


@FUZZ
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # 1e300 -> inf -> refused
@given(st.one_of(json_text, st.text(max_size=60), st.just(DEEP)))
def test_fuzz_strokes_text_gives_strokes_or_data_error(text):
    try:
        strokes = Strokes.from_json(text, source="fuzz")
    except DataError as error:
        assert str(error).startswith("fuzz: ") and "\n" not in str(error)
        return
    assert all(s.ndim == 2 and s.shape[1] == 2 and np.isfinite(s).all() for s in strokes)


@FUZZ
@given(st.one_of(json_text, st.binary(max_size=80).map(lambda b: b.decode("latin-1")), st.just(DEEP)))
def test_fuzz_marker_opens_or_gives_data_error(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("marker")
    (root / MARKER_NAME).write_text(text, encoding="utf-8")
    try:
        store = DrawingStore(root, CLASSES)
    except DataError as error:
        assert str(error).startswith(str(root)) and "\n" not in str(error)
        return
    assert set(CLASSES) <= set(store.classes) and len(store) == 0


@pytest.fixture(scope="module")
def fuzzed_collection(tmp_path_factory):
    """A collection with two good examples; each fuzz example overwrites a third file."""
    store = DrawingStore(tmp_path_factory.mktemp("fuzz") / "c", CLASSES)
    good = [store.add("tick", bar(False)), store.add("cross", bar(True))]
    victim = store.add("tick", bar(False), Strokes.from_points([[(0, 0), (5, 9)]]))
    return store, good, victim, victim.path.read_bytes()


@st.composite
def damaged(draw, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(0, 5))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@FUZZ
@given(data=st.data())
def test_fuzz_damaged_example_files_are_skipped_and_listed_never_a_crash(fuzzed_collection, data):
    store, good, victim, original = fuzzed_collection
    victim.path.write_bytes(data.draw(st.one_of(st.binary(max_size=200), damaged(original),
                                                st.text().map(lambda t: png_with_strokes(t)))))
    listed = store.examples()
    images, labels = store.arrays()
    assert all(example in listed for example in good)  # the good ones are never lost
    assert len(images) == len(labels) in (2, 3)
    assert len(images) == 3 or any(str(victim.path) in problem for problem in store.problems)
    try:
        store.strokes(victim.id)
    except DataError as error:
        assert "\n" not in str(error)
