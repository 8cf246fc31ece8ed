"""Partial erasing of vector strokes: pure numpy, no Qt, so it is cheap to test.

The eraser is a disc dragged along a polyline. Erasing keeps the drawing in vector form: every point of
a stroke whose ink the disc touches is removed, and each remaining run of consecutive points becomes a
stroke of its own, so a stroke crossed in the middle becomes two.
"""

from __future__ import annotations

import numpy as np

# Runs shorter than this many points after erasing are specks no one meant to keep.
_MIN_REMAINING_POINTS = 2


def densified(points: np.ndarray, widths: np.ndarray, spacing: float,
              only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Insert evenly spaced points so no two consecutive points are more than ``spacing`` apart.

    Without this, a long straight segment (two far-apart points) crossed by the eraser in its middle
    would keep both end points and survive untouched. ``only`` (a boolean per segment) limits this to
    the segments near the eraser, so that the rest of the stroke keeps exactly the points it had.
    """
    if len(points) < 2:
        return points, widths
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    pieces = np.maximum(1, np.ceil(steps / spacing).astype(int))
    if only is not None:
        pieces[~only] = 1
    if (pieces == 1).all():
        return points, widths
    # Segment i contributes pieces[i] points, at fractions 1/pieces[i], 2/pieces[i], ..., 1 of its length.
    segment = np.repeat(np.arange(len(pieces)), pieces)
    step_in_segment = np.arange(len(segment)) - np.repeat(np.cumsum(pieces) - pieces, pieces) + 1
    t = (step_in_segment / pieces[segment]).astype(np.float32)
    new_points = points[segment] + t[:, None] * (points[segment + 1] - points[segment])
    new_widths = widths[segment] + t * (widths[segment + 1] - widths[segment])
    return (np.concatenate([points[:1], new_points]).astype(np.float32),
            np.concatenate([widths[:1], new_widths]).astype(np.float32))


def distance_to_polyline(points: np.ndarray, polyline: np.ndarray) -> np.ndarray:
    """Distance from each of ``points`` (n, 2) to the nearest point of ``polyline`` (m, 2), m >= 1."""
    if len(polyline) == 1:
        return np.linalg.norm(points - polyline[0], axis=1)
    starts, ends = polyline[:-1], polyline[1:]  # (m-1, 2) segments
    direction = ends - starts
    length_sq = np.maximum((direction**2).sum(axis=1), 1e-12)
    # Projection of every point onto every segment, clamped to the segment: shape (n, m-1).
    t = ((points[:, None, :] - starts[None]) * direction[None]).sum(axis=2) / length_sq[None]
    nearest = starts[None] + np.clip(t, 0.0, 1.0)[..., None] * direction[None]
    return np.linalg.norm(points[:, None, :] - nearest, axis=2).min(axis=1)


def erase(points: np.ndarray, widths: np.ndarray, eraser_path: np.ndarray,
          eraser_radius: float) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """What is left of one stroke after the eraser disc swept ``eraser_path``.

    ``points`` (n, 2) and ``widths`` (n,) describe the stroke (widths are display widths: a point is
    erased when its ink, not only its centre, is under the disc). Returns ``None`` when the stroke is
    untouched (so the caller can keep the very same object), otherwise the remaining pieces as
    (points, widths) pairs, possibly none.
    """
    eraser_path = np.asarray(eraser_path, dtype=np.float32).reshape(-1, 2)
    reach = eraser_radius + float(widths.max()) / 2
    low, high = eraser_path.min(axis=0) - reach, eraser_path.max(axis=0) + reach
    if (points.max(axis=0) < low).any() or (points.min(axis=0) > high).any():
        return None  # bounding boxes apart: the common case, answered without any distance
    # Segments whose bounding box comes within reach of the eraser's; only these may need new points.
    seg_low = np.minimum(points[:-1], points[1:])
    seg_high = np.maximum(points[:-1], points[1:])
    near = ((seg_high >= low) & (seg_low <= high)).all(axis=1)
    dense_points, dense_widths = densified(points, widths, spacing=max(eraser_radius / 2, 0.5), only=near)
    hit = distance_to_polyline(dense_points, eraser_path) <= eraser_radius + dense_widths / 2
    if not hit.any():
        return None
    pieces = []
    # Boundaries of runs of kept points: indices where "kept" switches on or off.
    kept = np.concatenate([[False], ~hit, [False]])
    edges = np.flatnonzero(np.diff(kept.astype(np.int8)))
    for start, stop in zip(edges[::2], edges[1::2]):
        if stop - start >= _MIN_REMAINING_POINTS:
            pieces.append((dense_points[start:stop], dense_widths[start:stop]))
    return pieces
