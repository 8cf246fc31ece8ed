"""Generated shapes in a person's style: deterministic, drawable in any style, recognisable, and
personal (one person's drawings are closer to each other than to another person's)."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.shapes import (
    SHAPE_CLASSES,
    draw_shape,
    generate_shapes,
    personal_style,
    shapes_dataset,
)


def test_a_seed_gives_the_same_drawings_and_another_seed_others():
    style = personal_style(3)
    a_x, a_y = shapes_dataset(["circle", "star"], 4, seed=5, style=style)
    b_x, b_y = shapes_dataset(["circle", "star"], 4, seed=5, style=personal_style(3))
    c_x, _ = shapes_dataset(["circle", "star"], 4, seed=6, style=style)
    assert a_x.shape == (8, 28, 28) and a_x.dtype == np.float32 and a_y.dtype == np.int64
    assert np.array_equal(a_x, b_x) and np.array_equal(a_y, b_y)
    assert not np.array_equal(a_x, c_x)
    assert sorted(a_y.tolist()) == [0] * 4 + [1] * 4
    assert personal_style(3) == style and personal_style(4) != style


def test_the_first_drawings_of_a_seed_do_not_depend_on_how_many_are_asked():
    few, few_y = generate_shapes(["square"], 2, seed=1, style=personal_style(0))
    many, _ = generate_shapes(["square"], 5, seed=1, style=personal_style(0))
    as_json = {d.to_json() for d in many}
    assert all(d.to_json() in as_json for d in few)


def test_every_shape_is_drawable_in_every_style_and_preprocesses():
    for seed in range(25):
        style = personal_style(seed)
        for index, name in enumerate(SHAPE_CLASSES):
            strokes = draw_shape(name, np.random.default_rng([seed, index]), style)
            assert len(strokes) >= 1 and all(len(s) >= 2 for s in strokes)
            points = strokes.points()
            assert np.isfinite(points).all()
            assert (points.min(axis=0) >= -3).all() and (points.max(axis=0) <= np.array(style.canvas) + 3).all()
            image = preprocess(strokes)
            assert image.shape == (28, 28) and np.isfinite(image).all() and image.sum() > 10


def test_unknown_shapes_are_refused():
    with pytest.raises(ValueError, match="hexagon"):
        shapes_dataset(["circle", "hexagon"], 1, seed=0)
    with pytest.raises(ValueError):
        draw_shape("hexagon", np.random.default_rng(0))


def _mean_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute pixel difference over all pairs of images of a and b (pairs of distinct images
    when a is b)."""
    d = np.abs(a[:, None] - b[None]).mean(axis=(2, 3))
    if a is b:
        return float(d[~np.eye(len(a), dtype=bool)].mean())
    return float(d.mean())


@pytest.mark.parametrize("name", ["circle", "square", "triangle", "star"])
def test_one_persons_drawings_are_closer_to_each_other_than_to_other_peoples(name):
    within, between = [], []
    styles = [personal_style(seed) for seed in range(6)]
    sets = [shapes_dataset([name], 6, seed=1, style=style)[0] for style in styles]
    for i, a in enumerate(sets):
        within.append(_mean_distance(a, a))
        between.extend(_mean_distance(a, b) for b in sets[i + 1:])
    assert np.mean(within) < 0.75 * np.mean(between), (np.mean(within), np.mean(between))


def _uniform_points(strokes, step: float = 0.5) -> np.ndarray:
    """Points every ``step`` pixels along the strokes: ink, however fast the mouse moved."""
    out = []
    for stroke in strokes:
        s = stroke.astype(np.float64)
        along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(s, axis=0), axis=1))])
        at = np.arange(0.0, along[-1] + 1e-9, step)
        out.append(np.stack([np.interp(at, along, s[:, k]) for k in range(2)], axis=1))
    return np.concatenate(out)


def _roundness(strokes) -> float:
    """Spread of the ink's distance from its centre (5th to 95th percentile ratio) once the ink's
    covariance is made round: an ellipse (a circle seen slanted or stretched) gives about 1, a square
    about 1.4 and a triangle or star more. The centre is a least-squares circle fit (Kasa), which an
    overshoot drawing part of the ink twice hardly moves."""
    points = _uniform_points(strokes)
    centred = points - points.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(centred.T))
    w = centred @ vectors / np.sqrt(values)
    # x^2 + y^2 = 2ax + 2by + c, linear in (a, b, c).
    (a, b, _), *_ = np.linalg.lstsq(np.column_stack([2 * w, np.ones(len(w))]), (w**2).sum(axis=1), rcond=None)
    radius = np.linalg.norm(w - [a, b], axis=1)
    low, high = np.percentile(radius, [5, 95])
    return float(high / low)


def test_a_circles_ink_is_at_a_nearly_constant_radius_and_the_others_are_not():
    for seed in range(10):
        style = personal_style(seed)
        rng = lambda name: np.random.default_rng([seed, SHAPE_CLASSES.index(name)])  # noqa: E731
        circle = _roundness(draw_shape("circle", rng("circle"), style))
        assert circle < 1.3, (seed, circle)
        # Measured over 12 styles: circles 1.03-1.28, squares 1.24-1.79, triangles 1.66-2.26,
        # stars 1.89-3.95.
        for other, least in (("square", 1.2), ("triangle", 1.5), ("star", 1.7)):
            assert _roundness(draw_shape(other, rng(other), style)) > least, (seed, other)


def test_closed_shapes_end_near_where_they_start_and_stars_cross_themselves():
    for seed in range(10):
        style = personal_style(seed)
        strokes = draw_shape("square", np.random.default_rng(seed), style)
        if len(strokes) == 1:  # in one go: back to the start, give or take the person's gap
            points = strokes.points()
            size = np.ptp(points, axis=0).max()
            assert np.linalg.norm(points[0] - points[-1]) < 0.35 * size
        star = draw_shape("star", np.random.default_rng(seed), style)
        image = preprocess(star)
        assert image[12:17, 12:17].mean() > 0.05 or style.star_outline  # a pentagram inks its middle
