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
        except (ValueError, TypeError) as error:
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
        points = (stroke.astype(np.float64) @ matrix[:, :2].T + matrix[:, 2]) * ss - 0.5
        points = points[np.isfinite(points).all(axis=1)]
        if len(points):
            _draw_polyline(draw, np.clip(points, -_FAR, _FAR), pen)
    coverage = np.asarray(image, dtype=np.float32)
    if ss > 1:
        coverage = coverage.reshape(rows, ss, cols, ss).mean(axis=(1, 3))
    return coverage * np.float32(1 / 255)


def _draw_polyline(draw: ImageDraw.ImageDraw, points: np.ndarray, pen: float) -> None:
    """One stroke in Pillow pixel coordinates: a wide line, plus discs for the round caps and joins."""
    points = _drop_close_points(points, min_step=0.5)
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

    A mouse reports many points closer than a pixel; they change nothing in the raster but cost a
    disc each. Thinning by cumulative length is vectorised, unlike a point-by-point distance test.
    """
    if len(points) < 3:
        return points
    steps = np.hypot(*np.diff(points, axis=0).T)
    bucket = np.floor(np.concatenate([[0.0], np.cumsum(steps)]) / min_step)
    keep = np.concatenate([[True], bucket[1:] != bucket[:-1]])
    keep[-1] = True
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
