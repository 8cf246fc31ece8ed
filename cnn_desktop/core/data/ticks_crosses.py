"""One generated tick or cross, drawn the way people draw them with a mouse.

The bundled ticks/crosses model is trained on these alone, so they must cover how real people draw:
ticks of many proportions (short left arm and long right arm, sometimes nearly equal arms), sharp or
rounded at the bottom, straight or slightly curved, always one stroke; crosses as two strokes in
either order and direction, sometimes as one stroke (an x drawn in one go), wide or narrow, upright
or tilted, with even or uneven arms, sometimes turned into a '+'. Each shape is built in a unit frame (``pen_paths``), deformed (``augment_strokes``), put somewhere
on a canvas of a random size, and then sampled like a mouse (``mouse``).

The seeded sets of them are ``synth.generate_ticks_crosses`` and ``synth.ticks_crosses_dataset``.
"""

from __future__ import annotations

import numpy as np

from cnn_desktop.core.data.classes import TICK_CROSS_CLASSES
from cnn_desktop.core.data.mouse import mouse_strokes
from cnn_desktop.core.data.pen_paths import bent, join, rotated
from cnn_desktop.core.data.strokes import Strokes, augment_strokes

TICK, CROSS = 0, 1  # label indices into TICK_CROSS_CLASSES
assert TICK_CROSS_CLASSES[TICK] == "tick" and TICK_CROSS_CLASSES[CROSS] == "cross"


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
    path = join(
        bent(start, vertex, rng.normal(0, 0.06)),
        bent(vertex, end, rng.normal(0.02, 0.07)),  # a long arm is often slightly bowed outwards
        rounding=rng.uniform(0, 0.12) if rng.random() < 0.4 else 0.0,
    )
    if rng.random() < 0.1:  # a small lead-in hook before the left arm
        hook = start + rng.uniform(0.04, 0.1) * np.array([rng.uniform(-1, 0.3), -1.0])
        path = np.vstack([bent(hook, start, 0.0)[:-1], path])
    return on_canvas([path], rng, max_rotation=14.0)


def draw_cross(rng: np.random.Generator) -> Strokes:
    """One cross: two strokes or one, an 'x' of any width, tilted or not, arms even or not, or a '+'.

    The first generator drew only wide 'x's with even arms, and the model trained on it read 2 of 20
    narrow, tilted crosses drawn by hand as ticks at 98-99% (issue #17): those are now a third of the
    crosses, and one in four has uneven arms.
    """
    kind = rng.random()
    if kind < 0.35:
        return draw_narrow_cross(rng)
    bars = []
    uneven = kind > 0.75
    for base in (45.0, 135.0):
        angle = np.radians(base + rng.uniform(-15, 15))
        direction = np.array([np.cos(angle), np.sin(angle)])  # pointing downwards in both cases
        length = rng.uniform(0.45, 1.0) if uneven else rng.uniform(0.75, 1.0)
        cross_at = rng.uniform(0.25, 0.75) if uneven else rng.uniform(0.35, 0.65)
        top = -cross_at * length * direction
        bars.append((top, top + length * direction))
    # About one cross in seven is a '+' (two bars turned by about 45 degrees).
    turn = rng.uniform(35, 55) * rng.choice([-1, 1]) if rng.random() < 0.15 else 0.0
    return _cross_of_bars(bars, rng, turn)


def draw_narrow_cross(rng: np.random.Generator) -> Strokes:
    """A narrow 'x' (its bars 28-60 degrees apart, tall or flat), tilted by up to 40 degrees either way,
    its arms often uneven: the crosses a tick-shaped reading is most likely to take."""
    spread = rng.uniform(14, 30)  # half the angle between the bars
    middle = 90.0 if rng.random() < 0.75 else 0.0  # mostly tall and thin; some flat and wide
    bars = []
    for side in (-1, 1):
        angle = np.radians(middle + side * spread)
        direction = np.array([np.cos(angle), np.sin(angle)])
        if direction[1] < 0:
            direction = -direction  # keep every bar pointing downwards, as in draw_cross
        length = rng.uniform(0.55, 1.0)
        cross_at = rng.uniform(0.3, 0.7)  # both bars clearly run on past the crossing
        top = -cross_at * length * direction
        bars.append((top, top + length * direction))
    return _cross_of_bars(bars, rng, rng.uniform(-40, 40))


def _cross_of_bars(bars, rng: np.random.Generator, turn: float) -> Strokes:
    """Draw two bars (top, bottom) as two strokes in any order and direction, or as one stroke (one in
    five), turned by ``turn`` degrees, then put on a canvas."""
    offset = rng.normal(0, 0.05, 2)  # the bars need not cross at exactly the same point of each
    (a_top, a_bottom), (b_top, b_bottom) = bars[0], (bars[1][0] + offset, bars[1][1] + offset)
    if rng.random() < 0.2:
        # In one go: down the first bar, straight up to the top of the second, down it. Mirrored at
        # random, for those who start with the other bar.
        path = join(
            bent(a_top, a_bottom, rng.normal(0, 0.05)),
            bent(a_bottom, b_top, rng.normal(0, 0.08)),
            bent(b_top, b_bottom, rng.normal(0, 0.05)),
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
            paths.append(bent(*ends, rng.normal(0, 0.05)))
        if rng.random() < 0.5:
            paths.reverse()
    paths = [rotated(p, turn) for p in paths]
    return on_canvas(paths, rng, max_rotation=12.0)


def on_canvas(paths: list[np.ndarray], rng: np.random.Generator, max_rotation: float) -> Strokes:
    """Deform the unit-frame drawing, place it on a random canvas and sample it like a mouse.

    Public because a test draws shapes of its own (a person's style) through the same hand and canvas.
    """
    shape = augment_strokes(
        Strokes.from_points(paths),
        rng,
        max_rotation=max_rotation,
        scale_range=(1.0, 1.0),  # the size is chosen below, relative to the canvas
        max_shear=0.2,
        max_aspect=0.25,
        jitter=0.0,  # tremor is added per mouse event (mouse_strokes), in pixels
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
    return mouse_strokes(placed, rate, speed, tremor, snap, rng, still_ends=True)
