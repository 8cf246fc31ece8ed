"""Shapes drawn with a mouse by one person at a time: the drawings of a person's own small project.

People who make a project of their own shapes (a circle, a square, a triangle, a star...) label about
ten drawings of each, all in their own hand. One hand keeps its habits from drawing to drawing: the
size and place on the canvas, a slant or a turn, wide or tall proportions, where a closed shape starts
and which way it goes round, a square in one stroke or four, sharp or rounded corners, a gap or an
overshoot where the pen comes back to the start, a steady or a wobbly line, a slow or a quick mouse.
A ``ShapeStyle`` is such a set of habits, drawn from a seed (``personal_style``); the drawings of one
style differ a little, as one person's do, and two styles differ a lot, as two people do.

Each shape is built in a unit frame (about 1 across, centred on the origin, y down) from the pieces of
``pen_paths``, turned and stretched by the style, placed on the style's canvas and sampled like a mouse
(``mouse``), as ``ticks_crosses`` and ``digit_styles`` draw theirs.

Every drawing has its own generator seeded from (seed, shape, index), so the first n drawings of a seed
are the same whatever n is asked for, and a style's drawings do not depend on which classes are asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from cnn_desktop.core.data.mouse import mouse_strokes
from cnn_desktop.core.data.pen_paths import DENSE, arc, bent, join
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.strokes import Strokes, augment_strokes

SHAPE_CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "star", "arrow", "heart", "plus", "spiral")

__all__ = [
    "SHAPE_CLASSES",
    "ShapeStyle",
    "personal_style",
    "draw_shape",
    "generate_shapes",
    "shapes_dataset",
]


@dataclass(frozen=True)
class ShapeStyle:
    """One person's habits when drawing shapes with a mouse. Sizes are shares of the shape's size."""

    seed: int  # the seed it was drawn from (``personal_style(seed)``)
    canvas: tuple[float, float]  # (width, height) of the person's canvas, pixels
    size: float  # the shape's size as a share of the canvas's shorter side
    position: tuple[float, float]  # where its centre usually is, as shares of (width, height)
    rotation: float  # degrees the whole shape is usually turned (clockwise on the screen)
    slant: float  # horizontal shear: x moves by slant * y
    aspect: float  # log of width/height: > 0 wide, < 0 tall
    clockwise: bool  # which way round closed shapes go
    start: float  # where a closed shape starts: 0..1 of the way round from its top
    strokes: int  # polygons: 1 (in one go), 2 (two halves) or one stroke per side
    rounding: float  # corners cut by a curve this far out (0: sharp)
    closure: float  # where a closed shape ends: < 0 short of the start (a gap), > 0 past it
    wobble: float  # low-frequency unsteadiness of the hand
    tremor: float  # per-event tremor, as a share of the size
    speed: float  # peak hand speed, sizes per second
    rate: float  # mouse events per second
    snap: bool  # whether the canvas reports whole pixels
    star_outline: bool  # a star as its ten-cornered outline rather than the five-pointed pentagram
    star_inner: float  # the outline star's inner corners, as a share of its outer radius
    apex: float  # a triangle's apex, moved sideways by this share of its base
    horizontal_first: bool  # a plus (and an arrow's shaft) drawn starting with the horizontal bar
    turns: float  # a spiral's turns
    steadiness: float  # chance that a drawing keeps every stroke habit (order, direction, count)


def personal_style(seed: int) -> ShapeStyle:
    """The habits of one person, drawn from ``seed``: the same seed always gives the same person."""
    rng = np.random.default_rng([seed, 7919])
    width, height = rng.uniform(400, 1000), rng.uniform(300, 800)
    size = rng.uniform(0.15, 0.75)
    # The centre stays far enough from the edges for the shape to fit the canvas.
    margin = min(0.45, size * 0.6)
    short = min(width, height)
    position = (
        rng.uniform(0.5 - max(0.0, 0.5 - margin * short / width), 0.5 + max(0.0, 0.5 - margin * short / width)),
        rng.uniform(0.5 - max(0.0, 0.5 - margin * short / height), 0.5 + max(0.0, 0.5 - margin * short / height)),
    )
    return ShapeStyle(
        seed=int(seed),
        canvas=(float(width), float(height)),
        size=float(size),
        position=(float(position[0]), float(position[1])),
        rotation=float(rng.normal(0, 8)),
        slant=float(rng.uniform(-0.25, 0.25)),
        aspect=float(rng.uniform(-0.35, 0.35)),
        clockwise=bool(rng.random() < 0.5),
        start=float(rng.uniform(0, 1)),
        strokes=int(rng.choice([1, 2, 0], p=[0.6, 0.15, 0.25])),  # 0: one stroke per side
        rounding=float(rng.uniform(0.04, 0.2) if rng.random() < 0.45 else 0.0),
        closure=float(rng.uniform(-0.12, 0.1)),
        wobble=float(rng.uniform(0.0, 0.04)),
        tremor=float(rng.uniform(0.0, 0.006)),
        speed=float(rng.uniform(1.5, 6.0)),
        rate=float(rng.uniform(60, 250)),
        snap=bool(rng.random() < 0.7),
        star_outline=bool(rng.random() < 0.3),
        star_inner=float(rng.uniform(0.35, 0.5)),
        apex=float(rng.uniform(-0.25, 0.25)),
        horizontal_first=bool(rng.random() < 0.6),
        turns=float(rng.uniform(1.5, 2.5)),
        steadiness=float(rng.uniform(0.85, 1.0)),
    )


def draw_shape(name: str, rng: np.random.Generator, style: ShapeStyle | None = None) -> Strokes:
    """One ``name`` (one of SHAPE_CLASSES) drawn in ``style``, or by a person drawn at random when None."""
    if name not in _SHAPES:
        raise ValueError(f"a shape is one of {SHAPE_CLASSES}, got {name!r}")
    if style is None:
        style = personal_style(int(rng.integers(2**31)))
    habits = _Habits.of(style, rng)
    return _on_canvas(_shape_paths(name, style, habits, rng), style, rng)


def generate_shapes(
    classes: Sequence[str], n_per_class: int, seed: int, style: ShapeStyle | None = None
) -> tuple[list[Strokes], np.ndarray]:
    """``n_per_class`` drawings of each of ``classes``, shuffled; labels are int64 indices into ``classes``.

    With ``style``, every drawing is that person's; without, each drawing is by a person of its own."""
    classes = tuple(classes)
    unknown = [c for c in classes if c not in _SHAPES]
    if unknown:
        raise ValueError(f"shapes are {SHAPE_CLASSES}; not {unknown}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes must be distinct, got {classes}")
    drawings: list[Strokes] = []
    labels: list[int] = []
    for label, name in enumerate(classes):
        for index in range(n_per_class):
            rng = np.random.default_rng([seed, 100 + SHAPE_CLASSES.index(name), index])
            drawings.append(draw_shape(name, rng, style))
            labels.append(label)
    order = np.random.default_rng([seed, 99, len(drawings)]).permutation(len(drawings))
    return [drawings[i] for i in order], np.asarray(labels, dtype=np.int64)[order]


def shapes_dataset(
    classes: Sequence[str], n_per_class: int, seed: int, style: ShapeStyle | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The network's inputs for ``generate_shapes``: images float32 (N, 28, 28) and labels int64 (N,)."""
    drawings, labels = generate_shapes(classes, n_per_class, seed, style)
    if not drawings:
        return np.zeros((0, 28, 28), np.float32), labels
    return np.stack([preprocess(d) for d in drawings]).astype(np.float32), labels


# --- one drawing's habits: the style's, each a little off, as on any one day -------------------------


@dataclass(frozen=True)
class _Habits:
    clockwise: bool
    start: float
    strokes: int
    rounding: float
    closure: float
    horizontal_first: bool

    @classmethod
    def of(cls, style: ShapeStyle, rng: np.random.Generator) -> "_Habits":
        keeps = rng.random() < style.steadiness  # now and then a person does it differently
        strokes = style.strokes if keeps else int(rng.choice([1, 2, 0]))
        return cls(
            clockwise=style.clockwise if keeps else not style.clockwise,
            start=(style.start + rng.normal(0, 0.03)) % 1.0,
            strokes=strokes,
            rounding=max(0.0, style.rounding * rng.uniform(0.7, 1.3) + rng.normal(0, 0.01)),
            closure=style.closure + rng.normal(0, 0.025),
            horizontal_first=style.horizontal_first if keeps else not style.horizontal_first,
        )


# --- shapes in the unit frame (x right, y down, about 1 across, centred on the origin) ----------------


def _closed(vertices: np.ndarray, habits: _Habits, rng: np.random.Generator) -> list[np.ndarray]:
    """A polygon whose corners are given clockwise from the top, drawn with the person's habits."""
    n = len(vertices)
    first = int(round(habits.start * n)) % n
    ring = np.roll(vertices, -first, axis=0)
    if not habits.clockwise:
        ring = np.vstack([ring[:1], ring[1:][::-1]])
    corners = np.vstack([ring, ring[:1]])  # back to the start
    sides = [bent(corners[i], corners[i + 1], rng.normal(0, 0.02)) for i in range(n)]
    # Where the pen lifts: short of the start (a gap) or on along the first side (an overshoot).
    last = sides[-1]
    if habits.closure < 0:
        keep = max(0.5, 1.0 + habits.closure * n / 2)  # the gap, as a share of the last side
        sides[-1] = last[: max(2, int(len(last) * keep))]
    elif habits.closure > 0:
        extra = corners[0] + (corners[1] - corners[0]) * min(0.4, habits.closure * n / 2)
        sides.append(bent(corners[0], extra, 0.0))
    count = n if habits.strokes == 0 else habits.strokes
    if count == 1:
        return [join(*sides, rounding=habits.rounding)]
    if count == 2:
        half = (len(sides) + 1) // 2
        return [join(*sides[:half], rounding=habits.rounding), join(*sides[half:], rounding=habits.rounding)]
    # One stroke per side, each running a little past its corners, as separate lines do.
    return [_extended(side, rng.uniform(0.0, 0.06)) for side in sides[:n]]


def _extended(path: np.ndarray, by: float) -> np.ndarray:
    start, end = path[0], path[-1]
    step = (end - start) * by
    return np.vstack([start - step, path, end + step])


def _circle(habits: _Habits, rng):
    # Round from the start and back to it, a little short of it or a little past it.
    start = -90 + 360 * habits.start
    turn = 360 * (1 + habits.closure)
    path = arc((0.0, 0.0), 0.5, 0.5, start, start + (turn if habits.clockwise else -turn))
    if habits.strokes == 2:  # two halves, both from the top
        return [arc((0.0, 0.0), 0.5, 0.5, -90, 90 + 360 * habits.closure / 2), arc((0.0, 0.0), 0.5, 0.5, -90, -270)]
    return [path]


def _square(habits: _Habits, rng):
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]) + rng.normal(0, 0.015, (4, 2))
    return _closed(corners, habits, rng)


def _triangle(habits: _Habits, rng, apex: float = 0.0):
    corners = np.array([[apex, -0.5], [0.5, 0.4], [-0.5, 0.4]]) + rng.normal(0, 0.015, (3, 2))
    return _closed(corners, habits, rng)


def _star(habits: _Habits, rng, outline: bool = False, inner: float = 0.4):
    angles = np.radians(-90 + 72 * np.arange(5) + rng.normal(0, 2, 5))
    tips = 0.5 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if outline:
        between = np.radians(-90 + 36 + 72 * np.arange(5))
        dents = inner * 0.5 * np.stack([np.cos(between), np.sin(between)], axis=1)
        corners = np.stack([tips, dents], axis=1).reshape(10, 2)
        return _closed(corners, _Habits(habits.clockwise, habits.start, 1, habits.rounding * 0.3,
                                        habits.closure * 0.3, habits.horizontal_first), rng)
    # The pentagram: every second tip, in one stroke.
    pentagram = tips[[0, 2, 4, 1, 3]]
    return _closed(pentagram, _Habits(habits.clockwise, habits.start, 1, habits.rounding * 0.3,
                                      habits.closure * 0.5, habits.horizontal_first), rng)


def _arrow(habits: _Habits, rng):
    tail, tip = np.array([-0.5, 0.0]), np.array([0.5, 0.0])
    head, spread = rng.uniform(0.25, 0.35), np.radians(rng.uniform(30, 45))
    upper = tip + head * np.array([-np.cos(spread), -np.sin(spread)])
    lower = tip + head * np.array([-np.cos(spread), np.sin(spread)])
    shaft = bent(tail, tip, rng.normal(0, 0.02))
    if habits.strokes == 1:  # along the shaft, up to one barb, back through the tip to the other
        return [join(shaft, bent(tip, upper, 0.0), bent(upper, tip, 0.0), bent(tip, lower, 0.0))]
    vee = join(bent(upper, tip, 0.0), bent(tip, lower, 0.0), rounding=habits.rounding * 0.3)
    if habits.strokes == 2:
        return [shaft, vee] if habits.horizontal_first else [vee, shaft]
    return [shaft, bent(upper, tip, 0.0), bent(lower, tip, 0.0)]


def _heart(habits: _Habits, rng):
    def lobe(t):
        x = 16 * np.sin(t) ** 3
        y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
        return np.stack([x, y], axis=1) / 34 + np.array([0.0, 0.1])

    if habits.strokes == 2:  # each half from the dip at the top down to the point
        t = np.linspace(0, np.pi, DENSE * 2)
        return [lobe(t), lobe(-t)]
    t = np.linspace(0, 2 * np.pi * (1 + habits.closure / 2), DENSE * 4)
    return [lobe(t if habits.clockwise else -t)]


def _plus(habits: _Habits, rng):
    bars = [bent(np.array([-0.5, 0.0]), np.array([0.5, 0.0]), rng.normal(0, 0.02)),
            bent(np.array([0.0, -0.5]), np.array([0.0, 0.5]), rng.normal(0, 0.02))]
    if not habits.clockwise:  # some draw each bar the other way
        bars = [bar[::-1] for bar in bars]
    return bars if habits.horizontal_first else bars[::-1]


def _spiral(habits: _Habits, rng, turns: float = 2.5):
    t = np.linspace(0, 2 * np.pi * turns, int(DENSE * turns * 2))
    r = 0.5 * t / t[-1]
    sign = 1 if habits.clockwise else -1
    path = np.stack([r * np.cos(sign * t), r * np.sin(sign * t)], axis=1)
    return [path if habits.horizontal_first else path[::-1]]  # from the centre out, or from outside in


_SHAPES = {
    "circle": _circle,
    "square": _square,
    "triangle": _triangle,
    "star": _star,
    "arrow": _arrow,
    "heart": _heart,
    "plus": _plus,
    "spiral": _spiral,
}
assert tuple(_SHAPES) == SHAPE_CLASSES


def _shape_paths(name: str, style: ShapeStyle, habits: _Habits, rng: np.random.Generator) -> list[np.ndarray]:
    if name == "triangle":
        return _triangle(habits, rng, style.apex + rng.normal(0, 0.04))
    if name == "star":
        return _star(habits, rng, style.star_outline, style.star_inner)
    if name == "spiral":
        return _spiral(habits, rng, style.turns + rng.normal(0, 0.15))
    return _SHAPES[name](habits, rng)


def _on_canvas(paths: list[np.ndarray], style: ShapeStyle, rng: np.random.Generator) -> Strokes:
    """Turn, stretch and slant the unit-frame shape as the person does, place it and sample it like a mouse."""
    angle = np.radians(style.rotation + rng.normal(0, 4))
    aspect = np.exp(style.aspect + rng.normal(0, 0.06))
    slant = style.slant + rng.normal(0, 0.04)
    cos, sin = np.cos(angle), np.sin(angle)
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[np.sqrt(aspect), 0], [0, 1 / np.sqrt(aspect)]]) \
        @ np.array([[1.0, slant], [0.0, 1.0]])
    shaped = Strokes.from_points([p @ linear.T for p in paths])
    shaped = augment_strokes(shaped, rng, max_rotation=0.0, scale_range=(1.0, 1.0), max_shear=0.0,
                             max_aspect=0.0, jitter=0.0, wobble=style.wobble * rng.uniform(0.7, 1.3))
    width, height = style.canvas
    x0, y0, x1, y1 = shaped.bounds()
    span = max(x1 - x0, y1 - y0, 1e-6)
    size = style.size * np.exp(rng.normal(0, 0.12)) * min(width, height)
    scale = min(size, 0.95 * width * span / max(x1 - x0, 1e-6), 0.95 * height * span / max(y1 - y0, 1e-6)) / span
    centre_x = np.clip(width * (style.position[0] + rng.normal(0, 0.04)), (x1 - x0) * scale / 2,
                       width - (x1 - x0) * scale / 2)
    centre_y = np.clip(height * (style.position[1] + rng.normal(0, 0.04)), (y1 - y0) * scale / 2,
                       height - (y1 - y0) * scale / 2)
    placed = shaped.transformed(np.array([
        [scale, 0, centre_x - (x0 + x1) / 2 * scale],
        [0, scale, centre_y - (y0 + y1) / 2 * scale],
    ]))
    drawn = span * scale  # the shape's size as drawn, pixels
    speed = style.speed * np.exp(rng.normal(0, 0.15)) * drawn
    return mouse_strokes(placed, style.rate, speed, style.tremor * drawn, style.snap, rng, still_ends=True)
