"""Procedural ticks and crosses: deterministic, varied, mouse-like, and telling the two classes apart."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_desktop.core.data import classes
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.data.synth import (
    TICK_CROSS_CLASSES,
    generate_ticks_crosses,
    ticks_crosses_dataset,
)
from cnn_desktop.core.data.ticks_crosses import draw_cross, draw_tick

TICK, CROSS = TICK_CROSS_CLASSES.index("tick"), TICK_CROSS_CLASSES.index("cross")


def same_drawings(a: list[Strokes], b: list[Strokes]) -> bool:
    return len(a) == len(b) and all(
        len(x) == len(y) and all(np.array_equal(s, t) for s, t in zip(x, y)) for x, y in zip(a, b)
    )


def test_classes_are_the_specs():
    assert TICK_CROSS_CLASSES == classes.TICK_CROSS_CLASSES == ("tick", "cross")


def test_generation_is_deterministic_per_seed():
    a, labels_a = generate_ticks_crosses(20, seed=7)
    b, labels_b = generate_ticks_crosses(20, seed=7)
    c, labels_c = generate_ticks_crosses(20, seed=8)
    assert same_drawings(a, b)
    np.testing.assert_array_equal(labels_a, labels_b)
    assert not same_drawings(a, c)


def test_labels_are_balanced_int64_and_shuffled():
    drawings, labels = generate_ticks_crosses(50, seed=1)
    assert labels.dtype == np.int64 and labels.shape == (100,) and len(drawings) == 100
    assert (labels == TICK).sum() == 50 and (labels == CROSS).sum() == 50
    # Interleaved: not all of one class first (a sorted order has exactly one change of label).
    assert np.count_nonzero(np.diff(labels)) > 20


def test_labels_match_the_drawings():
    drawings, labels = generate_ticks_crosses(30, seed=4)
    for drawing, label in zip(drawings, labels):
        if label == TICK:
            assert len(drawing) == 1  # a tick is always one stroke
        else:
            assert len(drawing) in (1, 2)


def test_the_first_drawings_do_not_depend_on_how_many_are_asked_for():
    few, few_labels = generate_ticks_crosses(5, seed=3)
    many, many_labels = generate_ticks_crosses(40, seed=3)
    ticks_few = [d for d, y in zip(few, few_labels) if y == TICK]
    ticks_many = [d for d, y in zip(many, many_labels) if y == TICK]
    for drawing in ticks_few:
        assert any(same_drawings([drawing], [other]) for other in ticks_many)


def test_crosses_come_in_one_and_two_strokes_and_either_order():
    rng = np.random.default_rng(0)
    crosses = [draw_cross(rng) for _ in range(200)]
    counts = np.bincount([len(c) for c in crosses], minlength=3)
    assert counts[2] > 140 and counts[1] > 5
    # Either order: the first stroke drawn is sometimes the '\' and sometimes the '/'.
    first_slopes = []
    for cross in crosses:
        if len(cross) == 2:
            (x0, y0), (x1, y1) = cross.strokes[0][0], cross.strokes[0][-1]
            first_slopes.append(np.sign((x1 - x0) * (y1 - y0)))
    assert 0.2 < np.mean(np.array(first_slopes) > 0) < 0.8


def test_drawings_look_like_mouse_input_on_a_large_canvas():
    rng = np.random.default_rng(11)
    spreads, end_vs_middle = [], []
    for draw in (draw_tick, draw_cross) * 40:
        drawing = draw(rng)
        assert np.isfinite(drawing.points()).all()
        x0, y0, x1, y1 = drawing.bounds()
        assert x0 > -50 and y0 > -50 and x1 < 1050 and y1 < 850  # on a canvas up to 1000x800
        assert max(x1 - x0, y1 - y0) > 40  # not a speck
        for stroke in drawing:
            assert len(stroke) >= 4
            steps = np.hypot(*np.diff(stroke.astype(np.float64), axis=0).T)
            steps = steps[steps > 0]  # repeated positions (press, release) aside
            if len(steps) >= 10:
                spreads.append(steps.max() / np.median(steps))
                tenth = len(steps) // 10
                ends = np.r_[steps[:tenth], steps[-tenth:]].mean()
                end_vs_middle.append(ends / steps[tenth:-tenth].mean())
    # Varied hand speed: events spread out along fast runs and bunch up where the hand is slow...
    assert np.median(spreads) > 1.4
    # ...which is at the start and the end of a stroke.
    assert np.median(end_vs_middle) < 0.75


def test_ticks_vary_in_proportion():
    rng = np.random.default_rng(5)
    ratios = []
    for _ in range(200):
        stroke = draw_tick(rng).strokes[0].astype(np.float64)
        lowest = int(np.argmax(stroke[:, 1]))  # the vertex is the lowest point (y down)
        left = np.linalg.norm(stroke[lowest] - stroke[0])
        right = np.linalg.norm(stroke[-1] - stroke[lowest])
        ratios.append(right / max(left, 1e-6))
    ratios = np.array(ratios)
    assert np.median(ratios) > 1.5  # usually a long right arm
    assert np.mean(ratios < 1.3) > 0.05  # sometimes a long left arm
    assert np.percentile(ratios, 90) > 2.5


def test_dataset_shapes_types_and_determinism():
    x, y = ticks_crosses_dataset(15, seed=2)
    assert x.shape == (30, 28, 28) and x.dtype == np.float32
    assert y.shape == (30,) and y.dtype == np.int64
    assert np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1
    x2, y2 = ticks_crosses_dataset(15, seed=2)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


def test_dataset_of_nothing_is_empty():
    x, y = ticks_crosses_dataset(0, seed=0)
    assert x.shape == (0, 28, 28) and y.shape == (0,)


@pytest.fixture(scope="module")
def train_and_test():
    return ticks_crosses_dataset(250, seed=100), ticks_crosses_dataset(150, seed=200)


def test_ticks_and_crosses_are_told_apart_by_a_nearest_centroid_classifier(train_and_test):
    (x_train, y_train), (x_test, y_test) = train_and_test
    centroids = np.stack([x_train[y_train == k].mean(axis=0) for k in (TICK, CROSS)])
    distances = ((x_test[:, None] - centroids[None]) ** 2).sum(axis=(2, 3))
    accuracy = (distances.argmin(axis=1) == y_test).mean()
    assert accuracy > 0.85, accuracy


def test_examples_within_a_class_are_varied(train_and_test):
    (x_train, y_train), _ = train_and_test
    for k in (TICK, CROSS):
        images = x_train[y_train == k].reshape(-1, 28 * 28)
        # Not one template repeated: the average pixel spread is well above zero, and no two equal.
        assert images.std(axis=0).mean() > 0.1
        assert len(np.unique(images.round(3), axis=0)) == len(images)


# --- digits drawn with a mouse ---------------------------------------------------------------------

from cnn_desktop.core.data.digit_render import render_digit  # noqa: E402
from cnn_desktop.core.data.digit_styles import DIGIT_STYLES, draw_digit, draw_digit_detailed  # noqa: E402
from cnn_desktop.core.data.synth import digit_drawings, drawn_digits_dataset, generate_digit_drawings  # noqa: E402


def test_digit_drawings_are_deterministic_balanced_and_shuffled():
    a, labels_a = digit_drawings(6, seed=3)
    b, labels_b = digit_drawings(6, seed=3)
    c, _ = digit_drawings(6, seed=4)
    assert same_drawings(a, b) and not same_drawings(a, c)
    np.testing.assert_array_equal(labels_a, labels_b)
    assert labels_a.dtype == np.int64 and np.bincount(labels_a, minlength=10).tolist() == [6] * 10
    assert np.count_nonzero(np.diff(labels_a)) > 30


def test_the_first_digit_drawings_do_not_depend_on_how_many_are_asked_for():
    few = generate_digit_drawings(3, seed=2)
    many = generate_digit_drawings(20, seed=2)
    for drawing in few:
        assert any(same_drawings([drawing.strokes], [other.strokes]) for other in many)


def test_every_style_of_every_digit_is_drawn():
    drawings = generate_digit_drawings(40, seed=0)
    seen = {(d.label, d.style) for d in drawings}
    assert seen == {(digit, style) for digit, styles in DIGIT_STYLES.items() for style in styles}


@pytest.mark.parametrize(
    "digit, style, strokes",
    [(1, "plain", 1), (1, "flag", 1), (1, "flag and base", 2), (4, "open", 2), (4, "closed", 2),
     (4, "closed one stroke", 1), (5, "two strokes", 2), (5, "one stroke", 1), (7, "plain", 1),
     (7, "bar", 2), (8, "one stroke", 1), (8, "two loops", 2), (0, "oval", 1), (9, "curved tail", 1)],
)
def test_styles_have_the_strokes_people_use(digit, style, strokes):
    for index in range(5):
        drawing = draw_digit_detailed(digit, np.random.default_rng(index), style)
        assert (drawing.label, drawing.style, len(drawing.strokes)) == (digit, style, strokes)


def test_digits_sit_on_canvases_of_many_sizes_anywhere_and_at_any_size():
    drawings = generate_digit_drawings(30, seed=5)
    widths, relative, centres = [], [], []
    for d in drawings:
        width, height = d.canvas
        x0, y0, x1, y1 = d.strokes.bounds()
        assert 28 <= width <= 1000 and 28 <= height <= 1000
        # Inside the canvas, up to the tremor of a mouse.
        assert x0 > -0.05 * width - 2 and y0 > -0.05 * height - 2
        assert x1 < 1.05 * width + 2 and y1 < 1.05 * height + 2
        assert y1 - y0 >= 10
        widths.append(width)
        relative.append((y1 - y0) / height)
        centres.append(((x0 + x1) / 2 / width, (y0 + y1) / 2 / height))
        for stroke in d.strokes:
            assert np.isfinite(stroke).all() and len(stroke) >= 2
    widths, relative, centres = np.array(widths), np.array(relative), np.array(centres)
    assert (widths < 120).mean() > 0.1 and (widths > 600).mean() > 0.2
    assert relative.min() < 0.25 and relative.max() > 0.8
    assert centres[:, 0].min() < 0.3 and centres[:, 0].max() > 0.7


def test_draw_digit_refuses_what_is_not_a_digit():
    with pytest.raises(ValueError):
        draw_digit(10, np.random.default_rng(0))
    with pytest.raises(ValueError):
        draw_digit_detailed(1, np.random.default_rng(0), style="loop")


def test_rendered_digits_are_images_of_the_canvas_with_thin_and_thick_pens():
    drawing = draw_digit_detailed(8, np.random.default_rng(1), "one stroke")
    ink = {}
    modes = set()
    for index in range(12):
        for pen in ("thin", "thick"):
            pixels, description = render_digit(drawing, np.random.default_rng(index), pen)
            width, height = drawing.canvas
            assert pixels.dtype == np.uint8 and pixels.shape[:2] == (height, width)
            modes.add(pixels.shape[2] if pixels.ndim == 3 else 1)
            assert pen in description
            if pixels.ndim == 2 or pixels.shape[2] == 3:
                grey = pixels if pixels.ndim == 2 else pixels.mean(axis=2)
                ink.setdefault(pen, []).append(float((grey < 128).mean()))
    assert modes == {1, 3, 4}  # grey, RGB and RGBA
    assert np.mean(ink["thick"]) > 3 * np.mean(ink["thin"])


def test_drawn_digits_dataset_sees_each_drawing_as_strokes_and_as_a_raster():
    drawn = drawn_digits_dataset(2, seed=0)
    assert drawn.images.shape == (40, 28, 28) and drawn.images.dtype == np.float32
    assert np.bincount(drawn.labels, minlength=10).tolist() == [4] * 10
    assert drawn.renders.count("strokes") == 20
    assert drawn.renders.count("thin pen") == drawn.renders.count("thick pen") == 10
    groups = drawn.groups()
    assert len(groups["render: strokes"]) == 20
    assert all(name.startswith(("render:", "canvas:", "style:")) for name in groups)
    assert sum(len(idx) for name, idx in groups.items() if name.startswith("style:")) == 40
    again = drawn_digits_dataset(2, seed=0)
    np.testing.assert_array_equal(drawn.images, again.images)


def test_training_and_held_out_digit_styles_split_every_digit():
    from cnn_desktop.core.data.digit_styles import DIGIT_STYLES, HELD_OUT_STYLES, TRAINING_STYLES

    for digit, styles in DIGIT_STYLES.items():
        assert TRAINING_STYLES[digit] and HELD_OUT_STYLES[digit]
        assert set(TRAINING_STYLES[digit]).isdisjoint(HELD_OUT_STYLES[digit])
        assert set(TRAINING_STYLES[digit]) | set(HELD_OUT_STYLES[digit]) == set(styles)


def test_training_digits_never_draw_a_held_out_style():
    from cnn_desktop.core.data.digit_styles import HELD_OUT_STYLES
    from cnn_desktop.core.data.synth import training_digits

    drawn = training_digits(6)
    held_out = {f"{d} {s}" for d, styles in HELD_OUT_STYLES.items() for s in styles}
    assert not held_out & set(drawn.styles)
    assert len(set(drawn.styles)) >= 10 and np.bincount(drawn.labels).tolist() == [12] * 10


def test_crosses_include_narrow_tilted_and_uneven_ones():
    """Issue #17: crosses drawn narrow and tilted were read as ticks; the generator now draws them."""
    from cnn_desktop.core.data.ticks_crosses import draw_narrow_cross

    def bar_angle(stroke):
        (x0, y0), (x1, y1) = stroke[0], stroke[-1]
        return np.degrees(np.arctan2(abs(y1 - y0), abs(x1 - x0)))

    narrow = [draw_narrow_cross(np.random.default_rng([4, i])) for i in range(60)]
    two = [c for c in narrow if len(c) == 2]
    assert len(two) > 30 and any(len(c) == 1 for c in narrow)
    gaps = [abs(bar_angle(c.strokes[0]) - bar_angle(c.strokes[1])) for c in two]
    # Bars 28-60 degrees apart before tilting and deforming: far from the classic x's ~90.
    assert np.median(gaps) < 60
