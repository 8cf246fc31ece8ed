"""How strokes look: smooth anti-aliased curves with round ends, painted whole or only near a region.

A stroke's curve is cut into one piece per sample: piece i runs from the midpoint before sample i,
bending towards sample i, to the midpoint after it (the first and last pieces are straight half
segments). Each piece lies inside the bounding box of samples i-1, i and i+1, so the pieces that can
put ink into a rectangle are found with array arithmetic, and only those are painted. With round caps
and joins, the ink of any run of pieces is part of the ink of the whole stroke, so painting just the
pieces near a rectangle gives exactly the same pixels there as painting everything, at a fraction of
the cost: that is what keeps erasing and undoing quick on a canvas with hundreds of strokes.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPointingDevice, QTabletEvent

INK = QColor(25, 25, 35)
_AA_MARGIN = 1.0  # anti-aliased edges reach this far beyond the geometric ink


class InkStroke:
    """One stroke as shown: its points (what the model sees) and a display width per point.

    Immutable once made, so undo states can share strokes. What painting needs again and again (the
    covered rectangle, the whole curve) is computed once: building a QPainterPath point by point in
    Python costs about as much as Qt's stroking of it.
    """

    __slots__ = ("points", "widths", "bounds", "uniform_width", "_path")

    def __init__(self, points: np.ndarray, widths: np.ndarray) -> None:
        self.points = np.array(points, dtype=np.float32).reshape(-1, 2)  # (n, 2), read-only
        self.widths = np.array(widths, dtype=np.float32).reshape(-1)  # (n,); pen pressure varies them
        self.points.setflags(write=False)
        self.widths.setflags(write=False)
        # The rectangle the ink covers, round ends and anti-aliasing included.
        margin = float(self.widths.max()) / 2 + _AA_MARGIN
        (x0, y0), (x1, y1) = self.points.min(axis=0), self.points.max(axis=0)
        self.bounds = QRectF(float(x0), float(y0), float(x1 - x0), float(y1 - y0)).adjusted(
            -margin, -margin, margin, margin)
        self.uniform_width = bool((self.widths == self.widths[0]).all())
        self._path: QPainterPath | None = None

    def path(self) -> QPainterPath:
        """The whole curve (for strokes of uniform width, painted with a single pen)."""
        if self._path is None:
            self._path = run_path(self.points, 0, len(self.points))
        return self._path


def run_path(points: np.ndarray, first: int, stop: int) -> QPainterPath:
    """The curve of pieces ``first`` to ``stop - 1`` of the stroke through ``points`` (n >= 2)."""
    last = len(points) - 1
    start = points[0] if first == 0 else (points[first - 1] + points[first]) / 2
    path = QPainterPath(QPointF(*start))
    for i in range(first, stop):
        end = points[last] if i == last else (points[i] + points[i + 1]) / 2
        if 0 < i < last:
            path.quadTo(QPointF(*points[i]), QPointF(*end))
        else:
            path.lineTo(QPointF(*end))
    return path


def pieces_near(points: np.ndarray, widths: np.ndarray, region: QRectF) -> np.ndarray:
    """Which pieces of the stroke can put ink into ``region``: a boolean per sample."""
    before = np.concatenate([points[:1], points[:-1]])
    after = np.concatenate([points[1:], points[-1:]])
    reach = (widths / 2 + _AA_MARGIN)[:, None]
    low = np.minimum(np.minimum(before, points), after) - reach
    high = np.maximum(np.maximum(before, points), after) + reach
    return ((high[:, 0] >= region.left()) & (low[:, 0] <= region.right())
            & (high[:, 1] >= region.top()) & (low[:, 1] <= region.bottom()))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, stop) of each run of consecutive True values."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _round_pen(width: float) -> QPen:
    return QPen(INK, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)


def paint_points(painter: QPainter, points: np.ndarray, widths: np.ndarray,
                 region: QRectF | None = None) -> None:
    """Paint the stroke through ``points``; with ``region``, only the pieces that reach into it."""
    if len(points) == 1:
        radius = float(widths[0]) / 2
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(INK)
        painter.drawEllipse(QPointF(*points[0]), radius, radius)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        return
    runs = [(0, len(points))] if region is None else _runs(pieces_near(points, widths, region))
    for first, stop in runs:
        run_widths = widths[first:stop]
        if (run_widths == run_widths[0]).all():
            painter.setPen(_round_pen(float(run_widths[0])))
            painter.drawPath(run_path(points, first, stop))
            continue
        # Varying width (pen pressure): each piece with its own width. The ink is opaque, so the
        # overlapping round ends of neighbouring pieces leave no visible seam.
        for i in range(first, stop):
            painter.setPen(_round_pen(float(widths[i])))
            painter.drawPath(run_path(points, i, i + 1))


def paint_stroke(painter: QPainter, stroke: InkStroke, region: QRectF | None = None) -> None:
    """Paint a finished stroke, reusing its cached curve when it is painted whole."""
    whole = region is None or region.contains(stroke.bounds)
    if whole and stroke.uniform_width and len(stroke.points) > 1:
        painter.setPen(_round_pen(float(stroke.widths[0])))
        painter.drawPath(stroke.path())
    else:
        paint_points(painter, stroke.points, stroke.widths, None if whole else region)


MIN_PRESSURE_SCALE = 0.25  # a feather-light pen touch still leaves a visible line


def pressure_scale(event: QTabletEvent) -> float:
    """How much of the brush width a pen's pressure gives (1 for a pen that reports no pressure)."""
    device = event.pointingDevice()
    if device is None or not device.capabilities() & QPointingDevice.Capability.Pressure:
        return 1.0
    return MIN_PRESSURE_SCALE + (1 - MIN_PRESSURE_SCALE) * min(max(event.pressure(), 0.0), 1.0)
