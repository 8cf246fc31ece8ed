"""Pen paths in a unit frame: dense (N, 2) point arrays from which generated drawings are built.

The shapes of ``ticks_crosses`` and ``digit_styles`` are made of these pieces before they are deformed,
placed on a canvas and sampled like a mouse (``mouse``). Coordinates are x right, y down.
"""

from __future__ import annotations

import numpy as np

DENSE = 64  # samples per path piece before mouse sampling: smooth enough at any canvas size


def bent(start: np.ndarray, end: np.ndarray, bend: float) -> np.ndarray:
    """Dense points from start to end, bowed sideways by ``bend`` times the length (a quadratic Bezier)."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    chord = end - start
    normal = np.array([chord[1], -chord[0]])
    control = (start + end) / 2 + bend * 2 * normal  # the curve's bulge is half the control's offset
    t = np.linspace(0, 1, DENSE)[:, None]
    return (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end


def join(*pieces: np.ndarray, rounding: float = 0.0) -> np.ndarray:
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
            t = np.linspace(0, 1, DENSE // 4)[:, None]
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


def rotated(path: np.ndarray, degrees: float) -> np.ndarray:
    """The path turned about the origin by ``degrees`` (clockwise on the screen, as y points down)."""
    angle = np.radians(degrees)
    cos, sin = np.cos(angle), np.sin(angle)
    return path @ np.array([[cos, -sin], [sin, cos]]).T


def arc(centre, rx: float, ry: float, start: float, end: float) -> np.ndarray:
    """Points of an elliptic arc from angle ``start`` to ``end`` degrees (0 right, 90 down, so increasing
    angles turn clockwise on the screen)."""
    count = max(8, int(abs(end - start) / 360 * DENSE * 2))
    angles = np.radians(np.linspace(start, end, count))
    return np.stack([centre[0] + rx * np.cos(angles), centre[1] + ry * np.sin(angles)], axis=1)
