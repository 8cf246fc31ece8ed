"""Rasterising strokes with a round pen, and stroke-level augmentation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_desktop.core.data.strokes import Strokes, augment_strokes, rasterise


def line(x0, y0, x1, y1, points=2) -> Strokes:
    t = np.linspace(0, 1, points)[:, None]
    return Strokes.from_points([np.array([x0, y0]) * (1 - t) + np.array([x1, y1]) * t])


# --- rasterise ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [2.0, 5.0, 12.0])
@pytest.mark.parametrize("angle", [0.0, 30.0, 45.0, 90.0])
def test_a_line_covers_length_times_width_plus_round_caps(width, angle):
    length = 120.0
    direction = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    start = np.array([100.0, 100.0]) - direction * length / 2
    end = start + direction * length
    image = rasterise(line(*start, *end, points=7), (200, 200), width, supersample=4)
    caps = np.pi * width**2 / 4  # a stadium: rectangle plus two half discs
    measured_width = (image.sum() - caps) / length
    # Pillow rounds the outline to whole supersampled pixels: width good to about 1/4 px.
    assert measured_width == pytest.approx(width, abs=0.25)
    assert image.max() == pytest.approx(1.0)


def test_pixel_convention_a_horizontal_line_sits_on_its_y_coordinate():
    # Pixel rows 9 and 10 cover y in [9, 11): a 2-px pen centred on y = 10 fills exactly those.
    image = rasterise(line(5, 10, 35, 10), (40, 20), 2.0)
    column = image[:, 20]
    np.testing.assert_allclose(column[9:11], 1.0, atol=0.01)
    assert column[:9].sum() + column[11:].sum() < 0.02


def test_caps_are_round_the_ink_reaches_half_a_pen_beyond_the_ends():
    image = rasterise(line(20, 20, 60, 20), (80, 40), 10.0)
    row = image[20]
    inked = np.flatnonzero(row > 0.5)
    assert inked[0] == pytest.approx(15, abs=1) and inked[-1] + 1 == pytest.approx(65, abs=1)
    # Round, not square: at the very end the cap is narrower than the line.
    assert image[:, 16].sum() < 0.8 * image[:, 40].sum()


@pytest.mark.parametrize("points", [[[30, 30]], [[30, 30], [30, 30], [30, 30]]])
def test_a_single_point_stroke_is_a_dot(points):
    image = rasterise(Strokes.from_points([points]), (60, 60), 8.0)
    assert image.sum() == pytest.approx(np.pi * 16, rel=0.08)
    rows, cols = np.mgrid[0:60, 0:60]
    centre = ((image * cols).sum() / image.sum() + 0.5, (image * rows).sum() / image.sum() + 0.5)
    np.testing.assert_allclose(centre, (30, 30), atol=0.2)


def test_joins_are_round_no_notch_at_a_sharp_turn():
    # A V drawn with 3 points; the outer side of the corner needs a round join to be filled.
    corner = Strokes.from_points([[[20, 20], [50, 70], [80, 20]]])
    image = rasterise(corner, (100, 100), 12.0)
    # Just below the vertex, on the axis of symmetry: inside the pen disc around the vertex.
    assert image[74, 50] > 0.9


def test_supersampling_anti_aliases_the_edges():
    stroke = line(10.3, 10.3, 50.7, 31.1)
    hard = rasterise(stroke, (60, 40), 8.0, supersample=1)
    soft = rasterise(stroke, (60, 40), 8.0, supersample=4)
    assert set(np.unique(hard)) <= {0.0, 1.0}
    grey = (soft > 0.05) & (soft < 0.95)
    assert grey.sum() > 40
    # The same ink, only spread over partial pixels (hard edges are good to about a pixel of width).
    assert soft.sum() == pytest.approx(hard.sum(), rel=0.12)


def test_transform_is_applied_before_drawing():
    stroke = line(0, 0, 1, 0)
    matrix = np.array([[40.0, 0.0, 10.0], [0.0, 40.0, 20.0]])  # (0,0)->(10,20), (1,0)->(50,20)
    moved = rasterise(stroke, (64, 40), 4.0, transform=matrix)
    direct = rasterise(line(10, 20, 50, 20), (64, 40), 4.0)
    np.testing.assert_allclose(moved, direct, atol=1e-6)


def test_empty_and_non_finite_strokes_draw_nothing():
    assert rasterise(Strokes(), (10, 7), 3.0).shape == (7, 10)
    assert rasterise(Strokes(), (10, 7), 3.0).sum() == 0
    nan = Strokes((np.array([[np.nan, 1.0], [np.inf, 2.0]], np.float32),))
    assert rasterise(nan, (10, 10), 3.0).sum() == 0


def test_points_far_off_the_canvas_do_not_crash():
    far = Strokes.from_points([[[-1e30, 5], [1e30, 5]], [[3e38, -3e38]]])
    image = rasterise(far, (20, 10), 2.0)
    assert image.shape == (10, 20) and np.isfinite(image).all()


def test_a_mouse_stroke_of_300_points_is_smooth_and_complete():
    t = np.linspace(0, 2 * np.pi, 300)
    circle = Strokes.from_points([np.stack([50 + 30 * np.cos(t), 50 + 30 * np.sin(t)], 1)])
    image = rasterise(circle, (100, 100), 6.0)
    assert image.sum() == pytest.approx(2 * np.pi * 30 * 6, rel=0.05)
    # Every direction around the ring is inked.
    for angle in np.linspace(0, 2 * np.pi, 24, endpoint=False):
        x, y = 50 + 30 * np.cos(angle), 50 + 30 * np.sin(angle)
        assert image[int(y), int(x)] > 0.5


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.floats(-50, 150), st.floats(-50, 150)), min_size=1, max_size=8), max_size=4
    ),
    st.floats(0.1, 30),
    st.integers(1, 4),
)
def test_fuzz_rasterise_stays_in_range(strokes, width, supersample):
    image = rasterise(Strokes.from_points(strokes), (37, 23), width, supersample=supersample)
    assert image.shape == (23, 37) and image.dtype == np.float32
    assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1


# --- augment_strokes ----------------------------------------------------------------------------------

DRAWING = Strokes.from_points(
    [[[100, 100], [200, 110], [150, 250]], [[120, 180], [190, 180], [195, 185]], [[300, 40]]]
)


def test_augmentation_is_deterministic_for_a_seed_and_varies_between_seeds():
    a = augment_strokes(DRAWING, np.random.default_rng(5))
    b = augment_strokes(DRAWING, np.random.default_rng(5))
    c = augment_strokes(DRAWING, np.random.default_rng(6))
    np.testing.assert_array_equal(a.points(), b.points())
    assert not np.allclose(a.points(), c.points())


def test_augmentation_keeps_the_structure():
    out = augment_strokes(DRAWING, np.random.default_rng(1))
    assert [len(s) for s in out] == [len(s) for s in DRAWING]
    assert all(s.dtype == np.float32 and np.isfinite(s).all() for s in out)


def test_all_parts_off_is_the_identity():
    off = augment_strokes(
        DRAWING,
        np.random.default_rng(0),
        max_rotation=0,
        scale_range=(1, 1),
        max_shear=0,
        max_aspect=0,
        jitter=0,
        wobble=0,
    )
    np.testing.assert_allclose(off.points(), DRAWING.points(), atol=1e-3)


def test_rotation_and_scale_alone_are_a_similarity():
    rng = np.random.default_rng(3)
    out = augment_strokes(
        DRAWING, rng, max_rotation=40, scale_range=(0.5, 2.0), max_shear=0, max_aspect=0, jitter=0, wobble=0
    )
    before, after = DRAWING.points().astype(np.float64), out.points().astype(np.float64)
    d_before = np.linalg.norm(before[:, None] - before[None], axis=2)
    d_after = np.linalg.norm(after[:, None] - after[None], axis=2)
    ratio = d_after[d_before > 0] / d_before[d_before > 0]
    # Every distance scaled by the same factor, and the factor is not 1 (something happened).
    assert ratio.std() < 1e-3 * ratio.mean()
    assert 0.5 - 1e-6 <= ratio.mean() <= 2.0 + 1e-6
    # The centre of the bounding box stays put.
    (x0, y0, x1, y1), (u0, v0, u1, v1) = DRAWING.bounds(), out.bounds()
    rotated_box_centre = np.array([(u0 + u1) / 2, (v0 + v1) / 2])
    assert np.linalg.norm(after.mean(0) - rotated_box_centre) < np.linalg.norm([x1 - x0, y1 - y0])


def test_rotation_stays_within_its_limit():
    # A horizontal segment: the angle of the result is the rotation (no shear/aspect to mix in).
    segment = line(0, 0, 100, 0)
    angles = []
    for seed in range(200):
        out = augment_strokes(
            segment, np.random.default_rng(seed), max_rotation=10, max_shear=0, max_aspect=0, jitter=0, wobble=0
        )
        (ax, ay), (bx, by) = out.strokes[0]
        angles.append(np.degrees(np.arctan2(by - ay, bx - ax)))
    angles = np.array(angles)
    assert np.abs(angles).max() <= 10 + 1e-3
    assert np.abs(angles).max() > 8  # and it does use the range


def test_jitter_is_relative_to_the_drawing_size():
    for size in (10.0, 1000.0):
        dense = line(0, 0, size, size, points=2000)
        out = augment_strokes(
            dense, np.random.default_rng(0), max_rotation=0, scale_range=(1, 1), max_shear=0, max_aspect=0,
            jitter=0.01, wobble=0,
        )
        noise = out.points() - dense.points()
        assert noise.std() == pytest.approx(0.01 * size, rel=0.1)


def test_wobble_is_smooth_and_about_its_amplitude():
    dense = line(0, 0, 500, 0, points=1000)
    out = augment_strokes(
        dense, np.random.default_rng(2), max_rotation=0, scale_range=(1, 1), max_shear=0, max_aspect=0,
        jitter=0, wobble=0.03,
    )
    shift = (out.points() - dense.points()).astype(np.float64)
    assert 0.002 * 500 < np.abs(shift).max() < 0.2 * 500
    # Smooth: neighbouring points (0.5 px apart) move almost alike.
    assert np.abs(np.diff(shift, axis=0)).max() < 0.05 * np.abs(shift).max() + 1e-3


def test_augmenting_nothing_gives_nothing():
    assert augment_strokes(Strokes(), np.random.default_rng(0)).is_empty
