"""Drawings as strokes: the vector form the canvas records and the collection keeps.

A drawing is a sequence of strokes; a stroke is the polyline the pen followed between press and
release, as an (n, 2) float32 array of (x, y) in canvas pixels, y pointing down. Keeping the vector
form (not only the 28x28 raster) lets drawings be re-rasterised and augmented later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from cnn_desktop.core.errors import DataError


@dataclass(frozen=True, eq=False)
class Strokes:
    """An immutable drawing: a tuple of (n, 2) float32 point arrays."""

    strokes: tuple[np.ndarray, ...] = ()

    @classmethod
    def from_points(cls, strokes: Iterable[Sequence[Sequence[float]]]) -> "Strokes":
        """Build from nested sequences of (x, y); strokes with no point are dropped."""
        arrays = []
        for points in strokes:
            array = np.asarray(points, dtype=np.float32).reshape(-1, 2)
            if len(array):
                array.setflags(write=False)
                arrays.append(array)
        return cls(tuple(arrays))

    def __len__(self) -> int:
        return len(self.strokes)

    def __iter__(self):
        return iter(self.strokes)

    @property
    def is_empty(self) -> bool:
        return not self.strokes

    def points(self) -> np.ndarray:
        """Every point of every stroke, as one (N, 2) array."""
        if not self.strokes:
            return np.zeros((0, 2), np.float32)
        return np.concatenate(self.strokes)

    def bounds(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of all points; raises ValueError when empty."""
        pts = self.points()
        if not len(pts):
            raise ValueError("an empty drawing has no bounds")
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)

    def appended(self, stroke: Sequence[Sequence[float]]) -> "Strokes":
        return Strokes.from_points([*self.strokes, stroke])

    def transformed(self, matrix: np.ndarray) -> "Strokes":
        """Apply a 2x3 affine matrix [[a, b, tx], [c, d, ty]] to every point."""
        m = np.asarray(matrix, dtype=np.float32)
        return Strokes(tuple((s @ m[:, :2].T + m[:, 2]).astype(np.float32) for s in self.strokes))

    # --- serialisation: compact JSON, rounded to 0.1 px ---

    def to_json(self) -> str:
        return json.dumps([np.round(s, 1).tolist() for s in self.strokes], separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, source: str = "strokes") -> "Strokes":
        """Parse ``to_json`` output; raises ``DataError`` naming ``source`` when malformed."""
        try:
            data = json.loads(text)
            if not isinstance(data, list):
                raise ValueError("not a list of strokes")
            strokes = cls.from_points(data)
        except (ValueError, TypeError, RecursionError) as error:  # RecursionError: JSON nested too deep
            raise DataError(f"{source}: malformed strokes ({error})") from None
        if any(not np.isfinite(s).all() for s in strokes.strokes):
            raise DataError(f"{source}: malformed strokes (non-finite coordinates)")
        return strokes


# --- rasterising --------------------------------------------------------------------------------------

# Pillow's integer pixel grid overflows far outside the canvas; points this far away are clamped, which
# only bends the (invisible) part of a segment beyond the clamp.
_FAR = 1e6
# Interior vertices where the path turns by less than this draw no round join: the notch a wide line
# leaves there is a small fraction of a pixel, and skipping them keeps a 300-point stroke fast.
_JOIN_COS = float(np.cos(np.radians(12.0)))


def rasterise(
    strokes: Strokes,
    size: tuple[int, int],
    width: float,
    *,
    transform: np.ndarray | None = None,
    supersample: int = 4,
) -> np.ndarray:
    """Draw ``strokes`` with a round pen as ink coverage: float32 (rows, columns), ink 1, paper 0.

    ``size`` is the canvas as (columns, rows), i.e. (width, height) in pixels, and ``width`` the pen's
    diameter in the same pixels. ``transform`` (2x3 affine) maps stroke coordinates to canvas pixels
    first; it is applied in float64, so extreme coordinates can be brought into range exactly.
    Coordinates are continuous: pixel (c, r) covers [c, c+1) x [r, r+1), its centre is (c+0.5, r+0.5).
    Caps and joins are round and a stroke whose points all coincide becomes a dot. The edges are
    anti-aliased by drawing ``supersample`` times larger and averaging each block (1 = hard edges).
    Pillow rounds a wide line's outline to whole (supersampled) pixels, so the pen width is accurate
    to about 1/supersample pixel.
    """
    cols, rows = int(size[0]), int(size[1])
    ss = max(1, int(supersample))
    if cols < 1 or rows < 1:
        raise ValueError(f"canvas size must be at least 1x1, got {cols}x{rows}")
    matrix = np.eye(2, 3) if transform is None else np.asarray(transform, dtype=np.float64).reshape(2, 3)
    image = Image.new("L", (cols * ss, rows * ss), 0)
    draw = ImageDraw.Draw(image)
    pen = float(width) * ss
    for stroke in strokes:
        # Into supersampled pixels; Pillow puts integer coordinates at pixel centres, hence the -0.5.
        # Points that are not finite (or overflow on the way) have no place on the canvas: dropped.
        points = stroke[np.isfinite(stroke).all(axis=1)].astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            points = (points @ matrix[:, :2].T + matrix[:, 2]) * ss - 0.5
        points = points[np.isfinite(points).all(axis=1)]
        if len(points):
            _draw_polyline(draw, np.clip(points, -_FAR, _FAR), pen)
    if ss > 1:
        image = image.reduce(ss)  # box average of each ss x ss block, in C (numpy's is 10x slower)
    return np.asarray(image, dtype=np.float32) * np.float32(1 / 255)


def _draw_polyline(draw: ImageDraw.ImageDraw, points: np.ndarray, pen: float) -> None:
    """One stroke in Pillow pixel coordinates: a wide line, plus discs for the round caps and joins."""
    points = _simplify(_drop_close_points(points, min_step=0.5), tolerance=max(0.2, pen / 40))
    if pen < 1.5:  # thinner than Pillow's wide-line code handles: a one-pixel line or dot
        if len(points) == 1:
            draw.point([tuple(points[0])], fill=255)
        else:
            draw.line(points.ravel().tolist(), fill=255, width=1)
        return
    if len(points) > 1:
        draw.line(points.ravel().tolist(), fill=255, width=max(1, round(pen)))
    for x, y in points[_round_vertices(points)]:
        # This box gives a disc of area ~pi*r^2 in Pillow's pixel-centre convention (checked numerically).
        r = pen / 2
        draw.ellipse([x - r + 0.5, y - r + 0.5, x + r - 0.5, y + r - 0.5], fill=255)


def _drop_close_points(points: np.ndarray, min_step: float) -> np.ndarray:
    """Keep roughly one point per ``min_step`` of path length (and always both ends).

    A mouse reports many points closer than a pixel; they change nothing in the raster. Thinning by
    cumulative length is vectorised and cheaply shortens the input of ``_simplify``.
    """
    if len(points) < 3:
        return points
    steps = np.hypot(*np.diff(points, axis=0).T)
    bucket = np.floor(np.concatenate([[0.0], np.cumsum(steps)]) / min_step)
    keep = np.concatenate([[True], bucket[1:] != bucket[:-1]])
    keep[-1] = True
    return points[keep]


def _simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Ramer-Douglas-Peucker: drop the points within ``tolerance`` of the simplified polyline.

    Pillow draws each wide segment with its ends rounded to whole pixels, so a curve of hundreds of
    tiny segments comes out up to ~10% thin; a few longer segments are drawn accurately, and unlike
    plain thinning this keeps the corners exactly. Distances are to the segment, not its line, so a
    stroke that doubles back on itself keeps its far end.
    """
    if len(points) < 3:
        return points
    keep = np.zeros(len(points), dtype=bool)
    keep[[0, -1]] = True
    pending = [(0, len(points) - 1)]
    while pending:
        first, last = pending.pop()
        if last - first < 2:
            continue
        start, chord = points[first], points[last] - points[first]
        inner = points[first + 1 : last] - start
        length2 = float(chord @ chord)
        along = np.clip(inner @ chord / length2, 0.0, 1.0) if length2 > 0 else np.zeros(len(inner))
        distance = np.hypot(*(inner - along[:, None] * chord).T)
        farthest = int(distance.argmax())
        if distance[farthest] > tolerance:
            middle = first + 1 + farthest
            keep[middle] = True
            pending += [(first, middle), (middle, last)]
    return points[keep]


def _round_vertices(points: np.ndarray) -> np.ndarray:
    """Boolean mask of the vertices that need a disc: both ends and the sharper interior turns."""
    mask = np.zeros(len(points), dtype=bool)
    mask[[0, -1]] = True
    if len(points) > 2:
        seg = np.diff(points, axis=0)
        lengths = np.hypot(*seg.T)
        dots = (seg[:-1] * seg[1:]).sum(axis=1)
        norms = lengths[:-1] * lengths[1:]
        # A zero-length neighbour segment has no direction: treat it as a turn, to be safe.
        mask[1:-1] = (norms == 0) | (dots < _JOIN_COS * norms)
    return mask


# --- augmentation ---------------------------------------------------------------------------------


def augment_strokes(
    strokes: Strokes,
    rng: np.random.Generator,
    *,
    max_rotation: float = 15.0,
    scale_range: tuple[float, float] = (0.85, 1.15),
    max_shear: float = 0.15,
    max_aspect: float = 0.15,
    jitter: float = 0.004,
    wobble: float = 0.02,
) -> Strokes:
    """A randomly deformed copy of ``strokes``, as a different person (or hand) might have drawn it.

    Around the centre of the drawing's bounding box: rotation by up to ``max_rotation`` degrees either
    way, scaling by a factor in ``scale_range``, horizontal shear of up to ``max_shear`` (slant), and
    an aspect change of the width/height ratio by a factor up to exp(+-``max_aspect``). Then a smooth
    wobble (a low-frequency displacement of the plane, so crossing strokes stay crossed) of about
    ``wobble`` times the drawing's size, and independent per-point jitter of ``jitter`` times its size
    (standard deviation). Sizes are relative so the same settings suit any canvas. Zero disables a part.
    """
    if strokes.is_empty:
        return strokes
    x0, y0, x1, y1 = strokes.bounds()
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    size = max(x1 - x0, y1 - y0) or 1.0
    linear = _random_linear(rng, max_rotation, scale_range, max_shear, max_aspect)
    field = _wobble_field(rng, size, wobble)
    result = []
    for stroke in strokes:
        points = (stroke.astype(np.float64) - centre) @ linear.T
        points = points + field(points)
        if jitter > 0:
            points = points + rng.normal(0.0, jitter * size, points.shape)
        result.append(points + centre)
    return Strokes.from_points(result)


def _random_linear(
    rng: np.random.Generator,
    max_rotation: float,
    scale_range: tuple[float, float],
    max_shear: float,
    max_aspect: float,
) -> np.ndarray:
    """2x2 matrix: aspect and shear first (the shape of the hand), then rotation and scale (the page)."""
    angle = np.radians(rng.uniform(-max_rotation, max_rotation))
    # Log-uniform so that shrinking and growing by the same factor are equally likely.
    low, high = scale_range
    scale = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    shear = rng.uniform(-max_shear, max_shear)
    aspect = float(np.exp(rng.uniform(-max_aspect, max_aspect)))
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.array([[cos, -sin], [sin, cos]])
    # Aspect split between the axes keeps the area about the same.
    shape = np.array([[np.sqrt(aspect), 0.0], [0.0, 1 / np.sqrt(aspect)]]) @ np.array([[1.0, shear], [0.0, 1.0]])
    return scale * rotation @ shape


def _wobble_field(rng: np.random.Generator, size: float, amplitude: float):
    """A smooth random displacement of the plane: a few plane waves of 0.3 to 1.2 cycles per drawing.

    Low frequencies bend strokes the way an unsteady hand does without making them jagged (that is
    jitter's job); being a function of position, it moves every stroke through a point alike.
    """
    waves = 3
    directions = rng.uniform(0, 2 * np.pi, waves)
    frequencies = rng.uniform(0.3, 1.2, waves) * 2 * np.pi / size
    wave_vectors = np.stack([np.cos(directions), np.sin(directions)], axis=1) * frequencies[:, None]
    phases = rng.uniform(0, 2 * np.pi, waves)
    # Each wave pushes along its own random direction; dividing by sqrt(waves) keeps the total near amplitude.
    pushes = rng.normal(0.0, 1.0, (waves, 2)) * (amplitude * size / np.sqrt(waves))

    def field(points: np.ndarray) -> np.ndarray:
        if amplitude <= 0:
            return np.zeros_like(points)
        return np.sin(points @ wave_vectors.T + phases) @ pushes

    return field
