"""Procedural ticks, crosses and digits, drawn the way people draw them with a mouse.

The bundled ticks/crosses model is trained on these alone, so they must cover how real people draw:
ticks of many proportions (short left arm and long right arm, sometimes nearly equal arms), sharp or
rounded at the bottom, straight or slightly curved, always one stroke; crosses as two strokes in
either order and direction, sometimes as one stroke (an x drawn in one go), sometimes turned into a
'+'. Each shape is built in a unit frame, deformed (``augment_strokes``), put somewhere on a canvas of
a random size, and then sampled like a mouse: one point per event at a varying hand speed, slow at
the ends and in sharp turns, with tremor and often whole-pixel positions.

Every drawing has its own generator seeded from (seed, class, index), so the first n drawings of a
seed are the same whatever n is asked for.

The digits (``draw_digit``, ``digit_drawings``, ``drawn_digits_dataset``) are not training data: the
digits model learns from MNIST, and these are the test of how well that transfers to mouse drawings
on the app's canvas (see the second half of this module).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.classes import TICK_CROSS_CLASSES
from cnn_desktop.core.data.strokes import Strokes, augment_strokes, rasterise

__all__ = [
    "TICK_CROSS_CLASSES",
    "draw_tick",
    "draw_cross",
    "generate_ticks_crosses",
    "ticks_crosses_dataset",
    "DIGIT_STYLES",
    "DigitDrawing",
    "draw_digit",
    "draw_digit_detailed",
    "generate_digit_drawings",
    "digit_drawings",
    "render_digit",
    "DrawnDigits",
    "drawn_digits_dataset",
]

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


# === digits drawn with a mouse ======================================================================
#
# The test of transfer for the digits model: it learns from MNIST (pen on paper, scanned), but people
# draw with a mouse on a canvas of any size. Each digit comes in the styles people actually use (a '1'
# with or without a flag and a base, an open or closed '4', a '7' with or without a bar, ...), in a unit
# frame about 0.6 wide and 1 tall (y down), is slanted, deformed (``augment_strokes``), placed on a
# canvas of 28 to 1000 pixels, small or large and anywhere on it, and sampled like a mouse. Rasters of
# these drawings are rendered with thin and thick pens, anti-aliased or not, as grey, RGB or RGBA images.

DIGIT_STYLES: dict[int, tuple[str, ...]] = {
    0: ("oval", "narrow oval"),
    1: ("plain", "flag", "flag and base"),
    2: ("plain", "loop"),
    3: ("round", "flat top"),
    4: ("open", "closed", "closed one stroke"),
    5: ("two strokes", "one stroke"),
    6: ("round", "straight stem"),
    7: ("plain", "bar", "hook"),
    8: ("one stroke", "two loops"),
    9: ("straight tail", "curved tail"),
}


@dataclass(frozen=True, eq=False)
class DigitDrawing:
    """One procedurally drawn digit: its strokes in canvas pixels, and how it was drawn."""

    strokes: Strokes
    label: int  # the digit
    style: str  # one of DIGIT_STYLES[label]
    canvas: tuple[int, int]  # (width, height) of the canvas it was drawn on, pixels


def draw_digit(digit: int, rng: np.random.Generator) -> Strokes:
    """One digit as a person draws it with a mouse, in one of the styles of ``DIGIT_STYLES``."""
    return draw_digit_detailed(digit, rng).strokes


def draw_digit_detailed(digit: int, rng: np.random.Generator, style: str | None = None) -> DigitDrawing:
    """Like ``draw_digit``, also telling the style and the canvas; ``style`` forces one style."""
    if digit not in DIGIT_STYLES:
        raise ValueError(f"a digit is 0..9, got {digit!r}")
    styles = DIGIT_STYLES[digit]
    if style is None:
        style = styles[int(rng.integers(len(styles)))]
    elif style not in styles:
        raise ValueError(f"digit {digit} has styles {styles}, not {style!r}")
    paths = _DIGIT_SHAPES[digit](style, rng)
    strokes, canvas = _digit_on_canvas(paths, rng)
    return DigitDrawing(strokes, digit, style, canvas)


def generate_digit_drawings(n_per_class: int, seed: int) -> list[DigitDrawing]:
    """``n_per_class`` drawings of each digit, styles drawn at random, shuffled; deterministic per seed
    (each drawing has its own generator, so the first n of a seed do not depend on how many are asked)."""
    drawings = [
        draw_digit_detailed(digit, np.random.default_rng([seed, 10 + digit, index]))
        for digit in range(10)
        for index in range(n_per_class)
    ]
    order = np.random.default_rng([seed, 20, n_per_class]).permutation(len(drawings))
    return [drawings[i] for i in order]


def digit_drawings(n_per_class: int, seed: int) -> tuple[list[Strokes], np.ndarray]:
    """``n_per_class`` drawn digits of each class, shuffled: strokes and int64 labels 0..9."""
    drawings = generate_digit_drawings(n_per_class, seed)
    return [d.strokes for d in drawings], np.array([d.label for d in drawings], dtype=np.int64)


# Pens used for rasters: "thin" is a 1-3 px line whatever the canvas (a mouse in a paint program),
# "thick" a marker of 7-18% of the digit's height.
RASTER_PENS = ("thin", "thick")


def render_digit(
    drawing: DigitDrawing, rng: np.random.Generator, pen: str | None = None
) -> tuple[np.ndarray, str]:
    """The drawing as an image file would hold it: uint8 (H, W), (H, W, 3) or (H, W, 4), and a description.

    The pen is thin or thick; the image is dark ink on white paper (grey or RGB, any dark colour),
    or ink on a transparent background (RGBA, as a canvas exports it), drawn anti-aliased or with
    hard edges (Pillow's own wide lines).
    """
    pen = pen or RASTER_PENS[int(rng.integers(len(RASTER_PENS)))]
    x0, y0, x1, y1 = drawing.strokes.bounds()
    height = max(y1 - y0, x1 - x0, 1.0)
    width = rng.uniform(1.0, 3.0) if pen == "thin" else rng.uniform(0.07, 0.18) * height
    mode = ("L", "RGB", "RGBA")[int(rng.integers(3))]
    smooth = rng.random() < 0.5
    size = drawing.canvas
    if smooth:
        coverage = rasterise(drawing.strokes, size, width, supersample=4)
    else:
        image = Image.new("L", size, 0)
        draw = ImageDraw.Draw(image)
        for stroke in drawing.strokes:
            points = [(float(x) - 0.5, float(y) - 0.5) for x, y in stroke]
            pen_px = max(1, round(width))
            if len(points) > 1:
                draw.line(points, fill=255, width=pen_px, joint="curve")
            if pen_px > 2:  # round caps
                for x, y in (points[0], points[-1]):
                    draw.ellipse([x - pen_px / 2, y - pen_px / 2, x + pen_px / 2, y + pen_px / 2], fill=255)
        coverage = np.asarray(image, dtype=np.float32) / 255
    cover = coverage[..., None]
    if mode == "RGBA":
        ink = rng.integers(0, 120, 3)
        rgb = np.broadcast_to(ink.astype(np.float32), coverage.shape + (3,))
        pixels = np.concatenate([rgb * (cover > 0), cover * 255], axis=2)  # transparent paper
    else:
        ink = rng.integers(0, 90, 3) if mode == "RGB" else np.full(3, rng.integers(0, 90))
        paper = np.full(3, 255.0)
        pixels = paper * (1 - cover) + ink * cover
        if mode == "L":
            pixels = pixels[..., 0]
    description = f"{mode} {pen} {width:.1f}px {'anti-aliased' if smooth else 'aliased'} {size[0]}x{size[1]}"
    return np.round(pixels).astype(np.uint8), description


# --- digit shapes in the unit frame (x right, y down, about 0.6 wide and 1 tall) -----------------


def _arc(centre, rx: float, ry: float, start: float, end: float) -> np.ndarray:
    """Points of an elliptic arc from angle ``start`` to ``end`` degrees (0 right, 90 down, so increasing
    angles turn clockwise on the screen)."""
    count = max(8, int(abs(end - start) / 360 * _DENSE * 2))
    angles = np.radians(np.linspace(start, end, count))
    return np.stack([centre[0] + rx * np.cos(angles), centre[1] + ry * np.sin(angles)], axis=1)


def _u(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))


def _zero(style: str, rng):
    rx = _u(rng, 0.25, 0.33) if style == "oval" else _u(rng, 0.13, 0.2)
    start = _u(rng, -110, -60)
    overshoot = _u(rng, -15, 35)  # a gap at the top, or running past the start
    turn = -(360 + overshoot) if rng.random() < 0.8 else 360 + overshoot  # mostly anticlockwise
    return [_arc((0.3, 0.5), rx, _u(rng, 0.45, 0.5), start, start + turn)]


def _one(style: str, rng):
    top, bottom = np.array([0.3, 0.0]), np.array([0.3 + _u(rng, -0.04, 0.04), 1.0])
    stem = _bent(top, bottom, rng.normal(0, 0.02))
    if style == "plain":
        return [stem]
    # The flag leans down-left from the top, well below the horizontal (a 7's bar is level).
    angle, length = np.radians(_u(rng, 30, 65)), _u(rng, 0.15, 0.32)
    flag = top + length * np.array([-np.cos(angle), np.sin(angle)])
    paths = [_join(_bent(flag, top, rng.normal(0, 0.04)), stem)]
    if style == "flag and base":
        half = _u(rng, 0.15, 0.25)
        paths.append(_bent(bottom - [half, 0], bottom + [half, 0], rng.normal(0, 0.02)))
    return paths


def _two(style: str, rng):
    ry = _u(rng, 0.2, 0.28)
    centre = (0.3, ry)
    top = _arc(centre, _u(rng, 0.24, 0.3), ry, _u(rng, 170, 210), _u(rng, 380, 410))
    corner = np.array([_u(rng, 0.0, 0.08), 1.0])
    diagonal = _bent(top[-1], corner, _u(rng, -0.06, 0.02))
    end = np.array([_u(rng, 0.55, 0.7), 1.0 + _u(rng, -0.05, 0.03)])
    if style == "loop":
        r = _u(rng, 0.07, 0.12)
        c = corner + np.array([-r * 0.3, -r])
        loop = _arc(c, r, r, 20, 450)  # round the bottom-left corner and across the diagonal
        return [_join(top, _bent(top[-1], loop[0], _u(rng, -0.06, 0.02)), loop, _bent(loop[-1], end, 0.0))]
    return [_join(top, diagonal, _bent(corner, end, rng.normal(0, 0.02)))]


def _three(style: str, rng):
    middle = np.array([_u(rng, 0.12, 0.25), _u(rng, 0.42, 0.5)])
    lower_ry = (1.0 - middle[1]) / 2
    lower = _arc((0.3, middle[1] + lower_ry), _u(rng, 0.26, 0.32), lower_ry, _u(rng, 240, 260), _u(rng, 490, 520))
    if style == "flat top":
        start, corner = np.array([0.02, 0.0]), np.array([_u(rng, 0.5, 0.62), 0.0])
        return [_join(_bent(start, corner, 0.0), _bent(corner, middle, 0.0), _bent(middle, lower[0], 0.0), lower)]
    upper_ry = middle[1] / 2
    upper = _arc((0.3, upper_ry), _u(rng, 0.22, 0.28), upper_ry, _u(rng, 190, 220), _u(rng, 420, 440))
    return [_join(upper, _bent(upper[-1], middle, 0.0), _bent(middle, lower[0], 0.0), lower)]


def _four(style: str, rng):
    bar_y = _u(rng, 0.55, 0.72)
    stem_x = _u(rng, 0.38, 0.48)
    right = np.array([_u(rng, 0.58, 0.7), bar_y + _u(rng, -0.04, 0.04)])
    stem_bottom = np.array([stem_x + _u(rng, -0.05, 0.03), 1.0])
    if style == "open":
        top_left = np.array([_u(rng, 0.0, 0.12), 0.0])
        corner = np.array([_u(rng, -0.03, 0.05), bar_y])
        first = _join(_bent(top_left, corner, rng.normal(0, 0.03)), _bent(corner, right, 0.0))
        stem_top = np.array([stem_x, _u(rng, 0.0, 0.2)])
        return [first, _bent(stem_top, stem_bottom, rng.normal(0, 0.02))]
    apex = np.array([stem_x, 0.0])
    corner = np.array([_u(rng, -0.03, 0.05), bar_y])
    diagonal = _bent(apex, corner, rng.normal(0, 0.03))
    if style == "closed one stroke":  # up the stem, down the diagonal, along the bar
        return [_join(_bent(stem_bottom, apex, rng.normal(0, 0.02)), diagonal, _bent(corner, right, 0.0))]
    return [_join(diagonal, _bent(corner, right, 0.0)), _bent(apex + [0, _u(rng, -0.02, 0.1)], stem_bottom, 0.0)]


def _five(style: str, rng):
    top_left = np.array([_u(rng, 0.05, 0.14), 0.0])
    top_right = np.array([_u(rng, 0.5, 0.65), _u(rng, -0.04, 0.03)])
    waist = np.array([_u(rng, 0.02, 0.1), _u(rng, 0.38, 0.48)])
    ry = (1.0 - waist[1]) / 2 + 0.02
    bowl = _arc((0.3, 1.0 - ry), _u(rng, 0.26, 0.32), ry, _u(rng, 215, 235), _u(rng, 500, 525))
    down = _bent(top_left, waist, rng.normal(0, 0.03))
    if style == "one stroke":
        return [_join(_bent(top_right, top_left, rng.normal(0, 0.02)), down, _bent(waist, bowl[0], 0.0), bowl)]
    return [_join(down, _bent(waist, bowl[0], 0.0), bowl), _bent(top_left, top_right, rng.normal(0, 0.02))]


def _six(style: str, rng):
    r = _u(rng, 0.22, 0.3)
    ry = _u(rng, 0.22, 0.3)
    centre = np.array([0.3, 1.0 - ry])
    loop = _arc(centre, r, ry, 180, _u(rng, -160, -100))  # anticlockwise: down, round, back up
    start = np.array([_u(rng, 0.4, 0.6), 0.0])
    # The stem bulges up and to the left (round) or comes down almost straight.
    bend = rng.normal(-0.1, 0.03) if style == "round" else rng.normal(0, 0.02)
    return [_join(_bent(start, loop[0], bend), loop)]


def _seven(style: str, rng):
    left, corner = np.array([0.0, _u(rng, -0.03, 0.03)]), np.array([_u(rng, 0.55, 0.65), 0.0])
    foot = np.array([_u(rng, 0.1, 0.3), 1.0])
    head = [_bent(left, corner, rng.normal(0, 0.02))]
    if style == "hook":
        head.insert(0, _bent(left + [0, _u(rng, 0.08, 0.18)], left, 0.0))
    paths = [_join(*head, _bent(corner, foot, rng.normal(0, 0.03)))]
    if style == "bar":
        y = _u(rng, 0.45, 0.58)
        x = corner[0] + (foot[0] - corner[0]) * y
        paths.append(_bent(np.array([x - _u(rng, 0.12, 0.2), y]), np.array([x + _u(rng, 0.1, 0.18), y]), 0.0))
    return paths


def _eight(style: str, rng):
    waist = _u(rng, 0.4, 0.48)
    if style == "two loops":
        upper = _arc((0.3, waist / 2), _u(rng, 0.18, 0.24), waist / 2, -90, -90 - _u(rng, 350, 380))
        lower_ry = (1 - waist) / 2
        lower = _arc((0.3, waist + lower_ry), _u(rng, 0.24, 0.3), lower_ry, -90, -90 + _u(rng, 350, 380))
        return [upper, lower]
    # One stroke through the waist twice: x = w sin(t) cos(t), y from cos(t), the upper loop smaller.
    t = np.linspace(0, 2 * np.pi + np.radians(_u(rng, 5, 40)), _DENSE * 3) + np.pi + np.radians(_u(rng, 10, 40))
    if rng.random() < 0.3:
        t = -t  # the other way round
    w = _u(rng, 0.55, 0.7)
    c = np.cos(t)
    y = np.where(c < 0, waist * (1 + c), waist + (1 - waist) * c)
    return [np.stack([0.3 + w * np.sin(t) * c * (1 + 0.2 * (c > 0)), y], axis=1)]


def _nine(style: str, rng):
    ry = _u(rng, 0.2, 0.27)
    rx = _u(rng, 0.22, 0.3)
    centre = np.array([0.3, ry])
    start = _u(rng, -20, 20)
    loop = _arc(centre, rx, ry, start, start - _u(rng, 350, 390))  # anticlockwise, closing on the right
    joint = centre + [rx * 0.95, ry * 0.2]
    if style == "straight tail":
        tail = _bent(joint, np.array([joint[0] + _u(rng, -0.08, 0.02), 1.0]), rng.normal(0, 0.02))
    else:
        bottom = np.array([_u(rng, 0.3, 0.45), 1.0])
        down = _bent(joint, bottom, rng.normal(-0.06, 0.03))
        hook = bottom + [-_u(rng, 0.15, 0.3), -0.06]  # the tail curls back to the left
        tail = _join(down, _bent(bottom, hook, 0.1))
    return [_join(loop, _bent(loop[-1], joint, 0.0), tail)]


_DIGIT_SHAPES = {0: _zero, 1: _one, 2: _two, 3: _three, 4: _four, 5: _five, 6: _six, 7: _seven, 8: _eight, 9: _nine}


def _digit_on_canvas(paths: list[np.ndarray], rng: np.random.Generator) -> tuple[Strokes, tuple[int, int]]:
    """Slant and deform the unit-frame digit, put it on a random canvas and sample it like a mouse."""
    slant = _u(rng, -0.05, 0.35)  # most hands lean right: the top moves right of the bottom
    paths = [p + np.stack([-slant * (p[:, 1] - 0.5), np.zeros(len(p))], axis=1) for p in paths]
    shape = augment_strokes(
        Strokes.from_points(paths),
        rng,
        max_rotation=8.0,
        scale_range=(1.0, 1.0),
        max_shear=0.08,
        max_aspect=0.2,
        jitter=0.0,
        wobble=_u(rng, 0.0, 0.03),
    )
    # Canvas: a few tiny ones (MNIST-sized or a small widget), mostly the app's large canvas of any shape.
    if rng.random() < 0.2:
        width = int(round(np.exp(_u(rng, np.log(28), np.log(120)))))
    else:
        width = int(round(_u(rng, 200, 1000)))
    height = int(np.clip(round(width * _u(rng, 0.6, 1.3)), 28, 1000))
    x0, y0, x1, y1 = shape.bounds()
    tall = max(y1 - y0, 1e-6)
    # The digit's height: from a small scribble to most of the canvas, never below 14 px.
    fit = min(height / tall, width / max(x1 - x0, 1e-6)) * tall  # largest height that fits
    size = min(fit * 0.95, max(14.0, _u(rng, 0.15, 0.9) * min(width, height)))
    scale = size / tall
    left = _u(rng, 0, max(0.0, width - (x1 - x0) * scale))
    top = _u(rng, 0, max(0.0, height - tall * scale))
    placed = shape.transformed(np.array([[scale, 0, left - x0 * scale], [0, scale, top - y0 * scale]]))
    # The hand: a digit's stroke takes a fraction of a second at any size; events 60-250 per second.
    rate = _u(rng, 60, 250)
    speed = _u(rng, 1.5, 6.0) * size
    tremor = _u(rng, 0.0, 0.005) * size
    snap = width >= 200 and rng.random() < 0.7
    strokes = []
    for stroke in placed:
        points = _mouse_events(stroke.astype(np.float64), rate, speed, rng)
        points = points + rng.normal(0.0, tremor, points.shape)
        if snap:
            points = np.round(points)
        strokes.append(points)
    return Strokes.from_points(strokes), (width, height)


@dataclass(frozen=True, eq=False)
class DrawnDigits:
    """The network's inputs for drawn digits, each drawing seen as strokes and as a raster."""

    images: np.ndarray  # float32 (N, 28, 28), preprocessed
    labels: np.ndarray  # int64 (N,), the digits
    styles: tuple[str, ...]  # per image, e.g. "1 flag and base"
    renders: tuple[str, ...]  # per image: "strokes", "thin pen" or "thick pen"
    canvases: tuple[tuple[int, int], ...]  # per image: (width, height) of the canvas drawn on

    def groups(self) -> dict[str, np.ndarray]:
        """Named subsets (index arrays) worth reporting apart: by render, by canvas size, by style."""
        renders, styles = np.array(self.renders), np.array(self.styles)
        small = np.array([max(c) < 150 for c in self.canvases])
        named = {f"render: {r}": np.flatnonzero(renders == r) for r in ("strokes", "thin pen", "thick pen")}
        named["canvas: under 150 px"] = np.flatnonzero(small)
        named["canvas: 150 px or more"] = np.flatnonzero(~small)
        for digit in range(10):
            for style in DIGIT_STYLES[digit]:
                named[f"style: {digit} {style}"] = np.flatnonzero(styles == f"{digit} {style}")
        return {name: idx for name, idx in named.items() if len(idx)}


def drawn_digits_dataset(n_per_class: int, seed: int) -> DrawnDigits:
    """``generate_digit_drawings(n_per_class, seed)``, each drawing preprocessed twice: from its strokes
    (as the app sees it live) and from a raster of it (as ``cnn-desktop predict`` sees an image file),
    drawn with a thin pen for every other drawing and a thick one for the rest."""
    images, labels, styles, renders, canvases = [], [], [], [], []
    for index, drawing in enumerate(generate_digit_drawings(n_per_class, seed)):
        raster, _ = render_digit(drawing, np.random.default_rng([seed, 30, index]), RASTER_PENS[index % 2])
        for image, render in ((drawing.strokes, "strokes"), (raster, f"{RASTER_PENS[index % 2]} pen")):
            images.append(preprocess(image))
            labels.append(drawing.label)
            styles.append(f"{drawing.label} {drawing.style}")
            renders.append(render)
            canvases.append(drawing.canvas)
    stacked = np.stack(images).astype(np.float32) if images else np.zeros((0, 28, 28), np.float32)
    return DrawnDigits(stacked, np.array(labels, np.int64), tuple(styles), tuple(renders), tuple(canvases))
