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
