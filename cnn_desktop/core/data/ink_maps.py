"""Operations on ink maps: float32 arrays in [0, 1], ink high, at preprocessing's working resolution.

What ``preprocess`` does to a raster's ink once it has been read (``raster_ink``): crop, resample,
harden soft edges, measure the pen width and dilate or erode it to the normalised width. Every step
that moves pixels also returns the affine map it applied (3x3, see ``affine``), so that the drawing's
coordinates can be followed into the network's input.
"""

from __future__ import annotations

import numpy as np

from cnn_desktop.core.errors import EmptyDrawingError

# The ramp of harden: ink below _HARD_LOW becomes paper, above _HARD_HIGH full ink.
_HARD_LOW, _HARD_HIGH = 0.3, 0.5


def affine(sx: float, sy: float, tx: float, ty: float) -> np.ndarray:
    """3x3 matrix of x -> sx*x + tx, y -> sy*y + ty; maps compose by matrix product."""
    return np.array([[sx, 0.0, tx], [0.0, sy, ty], [0.0, 0.0, 1.0]])


def harden(ink: np.ndarray) -> np.ndarray:
    """Turn soft edges into (nearly) hard ones, like the pen of the strokes path at this resolution.

    A small raster grown to working size has edges blurred over several pixels; eroding such a ridge
    would dim its core instead of thinning it, and the average-down would blur it twice. The ramp is
    centred below half (0.4) so that faint but real strokes survive, and one pixel wide so that the edge keeps
    its sub-pixel position; the anti-aliasing comes back in the final average-down.
    """
    return np.clip((ink - _HARD_LOW) * np.float32(1 / (_HARD_HIGH - _HARD_LOW)), 0.0, 1.0)


def crop_ink(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-zero part of an ink map and the affine map -> cropped map."""
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    if not len(rows):
        raise EmptyDrawingError("the drawing has no ink")
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return ink[r0:r1, c0:c1], affine(1, 1, -c0, -r0)


def to_box_side(ink: np.ndarray, side: int, shrink: str) -> tuple[np.ndarray, np.ndarray]:
    """Resample so the longer side is ``side``, keeping the aspect ratio; with the affine old -> new.

    Shrinking uses the block maximum (``shrink="max"``), which keeps a one-pixel line at full strength
    where averaging would fade it, or linear interpolation for a mild final fit; growing is linear.
    """
    rows, cols = ink.shape
    ratio = side / max(rows, cols)
    new_rows, new_cols = max(1, round(rows * ratio)), max(1, round(cols * ratio))
    out = _resample_axis(ink, new_rows, axis=0, shrink=shrink)
    out = _resample_axis(out, new_cols, axis=1, shrink=shrink)
    return out, affine(new_cols / cols, new_rows / rows, 0, 0)


def _resample_axis(values: np.ndarray, size: int, axis: int, shrink: str) -> np.ndarray:
    """Resample one axis to ``size`` samples covering the same extent."""
    length = values.shape[axis]
    if size == length:
        return values
    if size < length and shrink == "max":
        # Non-overlapping blocks of floor or ceil(length/size) samples: exact block maxima at any ratio.
        # Gathering the j-th sample of every block at once is several times faster than reduceat.
        starts = (np.arange(size) * length) // size
        ends = np.append(starts[1:], length)
        result = np.take(values, starts, axis=axis)
        for offset in range(1, int((ends - starts).max())):
            np.maximum(result, np.take(values, np.minimum(starts + offset, ends - 1), axis=axis), out=result)
        return result
    # Linear interpolation with pixel centres aligned (half-pixel convention).
    centres = (np.arange(size) + 0.5) * (length / size) - 0.5
    centres = np.clip(centres, 0, length - 1)
    below = np.floor(centres).astype(int)
    above = np.minimum(below + 1, length - 1)
    weight = (centres - below).astype(np.float32)
    shape = [1, 1]
    shape[axis] = size
    weight = weight.reshape(shape)
    low, high = np.take(values, below, axis=axis), np.take(values, above, axis=axis)
    return (low + (high - low) * weight).astype(np.float32)


def block_max(values: np.ndarray, factor: int) -> np.ndarray:
    """Maximum of each factor x factor block (edges padded with no-ink zeros)."""
    if factor == 1:
        return values
    rows, cols = values.shape
    padded = np.zeros((-(-rows // factor) * factor, -(-cols // factor) * factor), np.float32)
    padded[:rows, :cols] = values
    return padded.reshape(padded.shape[0] // factor, factor, -1, factor).max(axis=(1, 3))


def stroke_width(ink: np.ndarray) -> float:
    """Estimated pen width of an ink map, in its pixels, from its area and its perimeter.

    A pen stroke of centre-line length L and width w with two round ends has area A = L*w + pi*w^2/4
    and perimeter P = 2*L + pi*w; eliminating L gives (pi/4)*w^2 - (P/2)*w + A = 0. The plain 2A/P
    would take short strokes (a '1') for thin ones; closed loops (no ends) come out only a few percent
    wide. The perimeter is the summed gradient length of the soft map (Sobel, so edges at any angle
    count alike); a disc comes out as its diameter.
    """
    area = float(ink.sum())
    padded = np.pad(ink, 2)
    gx = padded[:, 2:] - padded[:, :-2]
    gx = (gx[:-2] + 2 * gx[1:-1] + gx[2:]) / 8
    gy = padded[2:] - padded[:-2]
    gy = (gy[:, :-2] + 2 * gy[:, 1:-1] + gy[:, 2:]) / 8
    perimeter = float(np.sqrt(gx * gx + gy * gy).sum())
    if perimeter <= 0:
        return 0.0
    ends = 2
    discriminant = max(0.0, perimeter * perimeter / 4 - ends * np.pi * area / 2)
    return (perimeter / 2 - np.sqrt(discriminant)) / (ends * np.pi / 4)


def morph_to_width(ink: np.ndarray, width: float, target: float) -> tuple[np.ndarray, np.ndarray]:
    """Dilate or erode the ink by (target - width) / 2 pixels a side; with the affine for the padding.

    Each 3x3 step widens (or thins) a stroke by about 2 px; steps alternate square and cross elements
    so that diagonal strokes change about as much as straight ones (an octagon approximates the round
    pen). A fractional last step is a blend of the two neighbouring integer results. After a few
    steps the width is measured again and corrected: the estimate is least accurate on hairlines,
    which are exactly the ones that need many steps.
    """
    steps = (target - width) / 2
    margin = int(np.ceil(max(steps, 0))) + 4
    ink = np.pad(ink, margin)
    ink = _morph(ink, steps)
    if abs(steps) >= 1.5:  # a second look once the strokes are near the target width
        steps = (target - stroke_width(ink)) / 2
        if steps > 0:
            ink = np.pad(ink, int(np.ceil(steps)) + 1)
            margin += int(np.ceil(steps)) + 1
        ink = _morph(ink, steps)
    return ink, affine(1, 1, margin, margin)


def _morph(ink: np.ndarray, steps: float) -> np.ndarray:
    """``steps`` dilation steps (negative: erosion), the fractional part as a blend."""
    grow = steps > 0
    whole, part = divmod(abs(steps), 1.0)
    for step in range(int(whole)):
        ink = _dilate(ink, square=step % 2 == 0) if grow else _erode(ink, square=step % 2 == 0)
    if part > 0.05:
        nxt = _dilate(ink, square=int(whole) % 2 == 0) if grow else _erode(ink, square=int(whole) % 2 == 0)
        ink = ink + np.float32(part) * (nxt - ink)
    return ink


def _dilate(ink: np.ndarray, square: bool) -> np.ndarray:
    """Grey-level dilation by a 3x3 square or a 3x3 cross (maximum over the neighbourhood)."""
    p = np.pad(ink, 1)
    if square:  # separable: max over three columns, then three rows
        across = np.maximum(np.maximum(p[:, :-2], p[:, 1:-1]), p[:, 2:])
        return np.maximum(np.maximum(across[:-2], across[1:-1]), across[2:])
    centre = p[1:-1, 1:-1]
    return np.maximum.reduce([centre, p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]])


def _erode(ink: np.ndarray, square: bool) -> np.ndarray:
    """Grey-level erosion; the zero padding is paper, so ink touching the edge is eroded too."""
    return -_dilate(-ink, square)
