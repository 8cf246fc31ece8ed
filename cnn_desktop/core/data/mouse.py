"""A hand moving a mouse: turning a placed drawing's dense paths into the positions a canvas receives.

Real mouse strokes are not evenly spaced: the hand speeds up along straight runs and slows at the ends
and in sharp turns, events come at a fixed rate, the hand trembles, and most canvases report whole
pixels. The network must cope with all of it, so generated drawings are sampled this way.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from cnn_desktop.core.data.strokes import Strokes


def mouse_strokes(
    placed: Iterable[np.ndarray],
    rate: float,
    speed: float,
    tremor: float,
    snap: bool,
    rng: np.random.Generator,
    still_ends: bool = False,
) -> Strokes:
    """Each dense stroke as mouse events at ``rate`` per second and peak ``speed`` pixels per second,
    with Gaussian ``tremor`` (pixels), rounded to whole pixels when ``snap``; with ``still_ends``, the
    press and the release may each repeat a position 0-2 times (a click held before moving)."""
    strokes = []
    for stroke in placed:
        points = mouse_events(stroke.astype(np.float64), rate, speed, rng)
        points = points + rng.normal(0.0, tremor, points.shape)
        if snap:
            points = np.round(points)
        if still_ends:
            # A press or release without movement repeats a position.
            repeats = rng.integers(0, 3, 2)
            points = np.vstack([np.repeat(points[:1], repeats[0], 0), points, np.repeat(points[-1:], repeats[1], 0)])
        strokes.append(points)
    return Strokes.from_points(strokes)


def mouse_events(path: np.ndarray, rate: float, peak_speed: float, rng: np.random.Generator) -> np.ndarray:
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
