"""Procedural ticks and crosses, drawn the way people draw them with a mouse.

The bundled ticks/crosses model is trained on these alone, so they must cover how real people draw:
ticks of many proportions (short left arm and long right arm, sometimes nearly equal arms), sharp or
rounded at the bottom, straight or slightly curved, always one stroke; crosses as two strokes in
either order and direction, sometimes as one stroke (an x drawn in one go), sometimes turned into a
'+'. Each shape is built in a unit frame, deformed (``augment_strokes``), put somewhere on a canvas of
a random size, and then sampled like a mouse: one point per event at a varying hand speed, slow at
the ends and in sharp turns, with tremor and often whole-pixel positions.

Every drawing has its own generator seeded from (seed, class, index), so the first n drawings of a
seed are the same whatever n is asked for.
"""

from __future__ import annotations

import numpy as np

from cnn_desktop.core.preprocess import preprocess
from cnn_desktop.core.spec import TICK_CROSS_CLASSES
from cnn_desktop.core.strokes import Strokes, augment_strokes

__all__ = ["TICK_CROSS_CLASSES", "draw_tick", "draw_cross", "generate_ticks_crosses", "ticks_crosses_dataset"]

TICK, CROSS = 0, 1  # label indices into TICK_CROSS_CLASSES
assert TICK_CROSS_CLASSES[TICK] == "tick" and TICK_CROSS_CLASSES[CROSS] == "cross"

_DENSE = 64  # samples per path piece before mouse sampling: smooth enough at any canvas size


def draw_tick(rng: np.random.Generator) -> Strokes:
    """One tick, as one stroke: down the short left arm, then up the long right arm."""
    # Travel directions in the unit frame (y down): the left arm goes down-right, the right arm up-right.
    down = np.radians(rng.uniform(25, 70))
    up = np.radians(rng.uniform(40, 80))
    # Usually a short left arm; about one in six people draw the two arms nearly equal.
    ratio = rng.uniform(1.6, 3.5) if rng.random() > 0.17 else rng.uniform(0.8, 1.4)
    long_arm, short_arm = 1.0, 1.0 / ratio
    vertex = np.zeros(2)
    start = vertex - short_arm * np.array([np.cos(down), np.sin(down)])
    end = vertex + long_arm * np.array([np.cos(up), -np.sin(up)])
    path = _join(
        _bent(start, vertex, rng.normal(0, 0.06)),
        _bent(vertex, end, rng.normal(0.02, 0.07)),  # a long arm is often slightly bowed outwards
        rounding=rng.uniform(0, 0.12) if rng.random() < 0.4 else 0.0,
    )
    if rng.random() < 0.1:  # a small lead-in hook before the left arm
        hook = start + rng.uniform(0.04, 0.1) * np.array([rng.uniform(-1, 0.3), -1.0])
        path = np.vstack([_bent(hook, start, 0.0)[:-1], path])
    return _on_canvas([path], rng, max_rotation=14.0)


def draw_cross(rng: np.random.Generator) -> Strokes:
    """One cross: usually two diagonal strokes, sometimes one stroke, sometimes turned into a '+'."""
    # Each bar: its direction (the '\' one near 45 degrees below horizontal, the '/' near 135), its
    # length, and where along it the other bar crosses.
    bars = []
    for base in (45.0, 135.0):
        angle = np.radians(base + rng.uniform(-15, 15))
        direction = np.array([np.cos(angle), np.sin(angle)])  # pointing downwards in both cases
        length = rng.uniform(0.75, 1.0)
        cross_at = rng.uniform(0.35, 0.65)
        top = -cross_at * length * direction
        bars.append((top, top + length * direction))
    offset = rng.normal(0, 0.05, 2)  # the bars need not cross at exactly the same point of each
    (a_top, a_bottom), (b_top, b_bottom) = bars[0], (bars[1][0] + offset, bars[1][1] + offset)
    if rng.random() < 0.12:
        # In one go: down the '\', straight up to the top of the '/', down the '/'. Mirrored at random,
        # for those who start with the '/'.
        path = _join(
            _bent(a_top, a_bottom, rng.normal(0, 0.05)),
            _bent(a_bottom, b_top, rng.normal(0, 0.08)),
            _bent(b_top, b_bottom, rng.normal(0, 0.05)),
            rounding=rng.uniform(0, 0.08),
        )
        if rng.random() < 0.5:
            path = path * np.array([-1.0, 1.0])
        paths = [path]
    else:
        paths = []
        for top, bottom in ((a_top, a_bottom), (b_top, b_bottom)):
            # Most people draw each bar top to bottom; some go upwards.
            ends = (top, bottom) if rng.random() < 0.75 else (bottom, top)
            paths.append(_bent(*ends, rng.normal(0, 0.05)))
        if rng.random() < 0.5:
            paths.reverse()
    # About one cross in seven is a '+' (two bars turned by about 45 degrees).
    turn = rng.uniform(35, 55) * rng.choice([-1, 1]) if rng.random() < 0.15 else 0.0
    paths = [_rotated(p, turn) for p in paths]
    return _on_canvas(paths, rng, max_rotation=12.0)


def generate_ticks_crosses(n_per_class: int, seed: int) -> tuple[list[Strokes], np.ndarray]:
    """``n_per_class`` ticks and as many crosses, shuffled; labels are int64 indices into TICK_CROSS_CLASSES."""
    drawings: list[Strokes] = []
    labels: list[int] = []
    for label, draw in ((TICK, draw_tick), (CROSS, draw_cross)):
        for index in range(n_per_class):
            drawings.append(draw(np.random.default_rng([seed, label, index])))
            labels.append(label)
    order = np.random.default_rng([seed, 2, n_per_class]).permutation(len(drawings))
    return [drawings[i] for i in order], np.asarray(labels, dtype=np.int64)[order]


def ticks_crosses_dataset(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The network's inputs for ``generate_ticks_crosses``: X float32 (N, 28, 28) and y int64 (N,)."""
    drawings, labels = generate_ticks_crosses(n_per_class, seed)
    images = np.stack([preprocess(d) for d in drawings]) if drawings else np.zeros((0, 28, 28), np.float32)
    return images.astype(np.float32), labels


# --- shapes in the unit frame ----------------------------------------------------------------------


def _bent(start: np.ndarray, end: np.ndarray, bend: float) -> np.ndarray:
    """Dense points from start to end, bowed sideways by ``bend`` times the length (a quadratic Bezier)."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    chord = end - start
    normal = np.array([chord[1], -chord[0]])
    control = (start + end) / 2 + bend * 2 * normal  # the curve's bulge is half the control's offset
    t = np.linspace(0, 1, _DENSE)[:, None]
    return (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end


def _join(*pieces: np.ndarray, rounding: float = 0.0) -> np.ndarray:
    """Concatenate consecutive pieces; with ``rounding`` > 0, each corner is cut by a curve that far out.

    A sharp corner is what a quick flick gives; a slower hand rounds it.
    """
    path = pieces[0]
    for piece in pieces[1:]:
        if rounding > 0:
            corner = path[-1]
            before = _point_back(path, rounding)
            after = _point_back(piece[::-1], rounding)
            keep_before = path[np.linalg.norm(path - corner, axis=1) > rounding]
            keep_after = piece[np.linalg.norm(piece - corner, axis=1) > rounding]
            t = np.linspace(0, 1, _DENSE // 4)[:, None]
            curve = (1 - t) ** 2 * before + 2 * (1 - t) * t * corner + t**2 * after
            path = np.vstack([keep_before, curve, keep_after])
        else:
            path = np.vstack([path, piece[1:]])
    return path


def _point_back(path: np.ndarray, distance: float) -> np.ndarray:
    """The point ``distance`` along the path measured back from its end (or its start if shorter)."""
    steps = np.linalg.norm(np.diff(path[::-1], axis=0), axis=1)
    travelled = np.concatenate([[0.0], np.cumsum(steps)])
    reversed_path = path[::-1]
    return np.array([np.interp(distance, travelled, reversed_path[:, k]) for k in range(2)])


def _rotated(path: np.ndarray, degrees: float) -> np.ndarray:
    angle = np.radians(degrees)
    cos, sin = np.cos(angle), np.sin(angle)
    return path @ np.array([[cos, -sin], [sin, cos]]).T


# --- from unit frame to mouse events ---------------------------------------------------------------


def _on_canvas(paths: list[np.ndarray], rng: np.random.Generator, max_rotation: float) -> Strokes:
    """Deform the unit-frame drawing, place it on a random canvas and sample it like a mouse."""
    shape = augment_strokes(
        Strokes.from_points(paths),
        rng,
        max_rotation=max_rotation,
        scale_range=(1.0, 1.0),  # the size is chosen below, relative to the canvas
        max_shear=0.2,
        max_aspect=0.25,
        jitter=0.0,  # tremor is added per mouse event below, in pixels
        wobble=rng.uniform(0.0, 0.03),
    )
    width, height = rng.uniform(400, 1000), rng.uniform(400, 800)
    x0, y0, x1, y1 = shape.bounds()
    span = max(x1 - x0, y1 - y0)
    size = rng.uniform(0.2, 0.8) * min(width, height)  # from a small mark to most of the canvas
    scale = size / span
    left = rng.uniform(0, max(1.0, width - (x1 - x0) * scale))
    top = rng.uniform(0, max(1.0, height - (y1 - y0) * scale))
    placed = shape.transformed(np.array([[scale, 0, left - x0 * scale], [0, scale, top - y0 * scale]]))
    # Per-drawing mouse and hand: events per second, peak hand speed (pixels/s), tremor, pixel snapping.
    rate = rng.uniform(60, 250)
    speed = rng.uniform(300, 3000)
    tremor = rng.uniform(0.0, 1.0)
    snap = rng.random() < 0.7
    strokes = []
    for stroke in placed:
        points = _mouse_events(stroke.astype(np.float64), rate, speed, rng)
        points = points + rng.normal(0.0, tremor, points.shape)
        if snap:
            points = np.round(points)
        # A press or release without movement repeats a position.
        repeats = rng.integers(0, 3, 2)
        points = np.vstack([np.repeat(points[:1], repeats[0], 0), points, np.repeat(points[-1:], repeats[1], 0)])
        strokes.append(points)
    return Strokes.from_points(strokes)


def _mouse_events(path: np.ndarray, rate: float, peak_speed: float, rng: np.random.Generator) -> np.ndarray:
    """Positions of a pen following ``path`` as reported at ``rate`` events per second.

    The hand accelerates from rest, slows down at the end and in sharp turns (where curvature is
    high), so events bunch up there and spread out along straight runs, as real mouse strokes do.
    """
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    length = float(steps.sum())
    if length <= 0:
        return path[:1]
    travelled = np.concatenate([[0.0], np.cumsum(steps)])
    # Turning per unit length, smoothed, makes the hand slow down near corners.
    headings = np.unwrap(np.arctan2(*np.diff(path, axis=0).T[::-1]))
    turning = np.abs(np.diff(headings, prepend=headings[0], append=headings[-1]))
    turning = np.convolve(turning, np.ones(9) / 9, mode="same")
    ends = np.sin(np.pi * np.clip(travelled / length, 0.02, 0.98)) ** 0.5  # slow start and stop
    speed = peak_speed * np.maximum(ends / (1.0 + 8.0 * turning), 0.08) * rng.uniform(0.8, 1.2)
    # Time at each dense point (integrating 1/speed), then events at a constant rate.
    times = np.concatenate([[0.0], np.cumsum(steps / ((speed[1:] + speed[:-1]) / 2))])
    events = np.arange(0.0, times[-1], 1.0 / rate)
    at = np.interp(events, times, travelled)
    points = np.stack([np.interp(at, travelled, path[:, k]) for k in range(2)], axis=1)
    return np.vstack([points, path[-1:]])  # the release reports the last position
