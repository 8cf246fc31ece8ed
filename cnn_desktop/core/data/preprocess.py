"""Turn any drawing into the 28x28 image the network sees: the one function used everywhere.

Training, live inference and the CLI all go through ``preprocess`` so that a network never sees its
input prepared two different ways. It follows the recipe MNIST digits were made with (LeCun, Cortes and
Burges): crop to the ink, scale so the longer side of the ink's box is 20 px keeping the aspect ratio,
anti-alias, and place on a 28x28 field so the centre of mass is in the middle. Ink is high (1.0) and the
paper 0, as MNIST stores it.

One step is added that MNIST did not need: stroke width normalisation. MNIST pens were all about 2.5
output pixels wide, but a 2-px mouse line on a 1000x800 canvas would shrink to a faint hairline and a
40-px marker would become a blob; both must come out like MNIST strokes for the network to cope.

All work is done at ``OVERSAMPLE`` times the output resolution (the 20-px box is 80 px there):

* strokes are drawn directly there, with a pen of the normalised width;
* rasters are cropped to their ink (with numpy, on the original dtype), resampled there (block maximum
  when shrinking, so a one-pixel line survives), their stroke width is measured and brought to the
  normalised width by dilation or erosion, then they are scaled to the 80-px box;

and the result is averaged down by ``OVERSAMPLE``, which anti-aliases it.

Coordinates are continuous everywhere: pixel (column c, row r) covers [c, c+1) x [r, r+1), so its
centre is (c + 0.5, r + 0.5). ``Preprocessed.to_input`` maps drawing coordinates (canvas pixels for
strokes, column/row for rasters) to 28x28 input coordinates in that convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_desktop.core.errors import DataError, EmptyDrawingError
from cnn_desktop.core.data.strokes import Strokes, rasterise

INPUT_SIZE = 28  # side of the network's input, in pixels
BOX_SIZE = 20  # longer side of the ink's bounding box in the input, as in MNIST
OVERSAMPLE = 4  # working resolution / input resolution; the final average-down anti-aliases
# Pen width in input pixels, calibrated on the MNIST test set (every 4th digit): with 2.6 the median
# digit keeps its amount of ink through preprocessing (ratio 0.99; 0.94 with 2.5, 1.04 with 2.7).
# The set's two halves differ (its first 5,000 digits are thinner: 1.08 vs 0.89 at 2.6).
STROKE_WIDTH = 2.6
# MNIST centres of mass sit on pixel index 14 (test set mean 14.01 across, 13.99 down), i.e. at 14.5 in
# continuous coordinates; a digit placed there looks to the network like the ones it learnt from.
CENTRE_OF_MASS = 14.5

_BOX = BOX_SIZE * OVERSAMPLE  # 80: the box at working resolution
_PEN = STROKE_WIDTH * OVERSAMPLE  # 10.4: the pen at working resolution

# A raster whose strongest difference from its background is below this share of full scale is taken
# as blank (uniform paper with sensor or compression noise), not as a very faint drawing.
_MIN_CONTRAST = 0.02
# Differences below this share of the strongest one are noise or a faint fringe, not ink.
_INK_FLOOR = 0.1
# Rasters are converted to float in bands of about this many pixels, so a 10000x10000 image never has
# a float copy of itself in memory; below _KEEP_PIXELS the first band's result is simply kept.
_BAND_PIXELS = 1 << 20
_KEEP_PIXELS = 1 << 22
# A cropped region bigger than this (longer side) is block-max reduced by an integer factor while it
# is converted, leaving enough resolution for the 80-px working box.
_REDUCED_SIDE = 4 * _BOX
# The ramp of _harden: ink below _HARD_LOW becomes paper, above _HARD_HIGH full ink.
_HARD_LOW, _HARD_HIGH = 0.3, 0.5
# Working-resolution values below this are zeroed before the last crop: invisible, but they would
# widen the box by a pixel.
_CLEAN = 0.01


@dataclass(frozen=True, eq=False)
class Preprocessed:
    """The network's input for one drawing, and where the drawing went in it."""

    image: np.ndarray  # float32 (28, 28) in [0, 1], ink high
    to_input: np.ndarray  # float64 (2, 3) affine: drawing (x, y) -> input (x, y), continuous coordinates

    @property
    def to_drawing(self) -> np.ndarray:
        """The inverse affine (2, 3): input (x, y) -> drawing (x, y), e.g. to show a receptive field."""
        full = np.vstack([self.to_input, [0.0, 0.0, 1.0]])
        return np.linalg.inv(full)[:2]


def preprocess(drawing: Strokes | np.ndarray) -> np.ndarray:
    """The 28x28 float32 input in [0, 1] (ink high) for strokes or a raster of any size and dtype.

    Raises ``EmptyDrawingError`` when there is no ink, ``DataError`` for an array that is not an image.
    """
    return preprocess_with_transform(drawing).image


def preprocess_with_transform(drawing: Strokes | np.ndarray) -> Preprocessed:
    """Like ``preprocess``, also returning the affine map from drawing to input coordinates."""
    if isinstance(drawing, Strokes):
        ink, box_from_drawing = _strokes_in_box(drawing)
    else:
        ink, box_from_drawing = _raster_in_box(drawing)
    return _place(ink, box_from_drawing)


# --- the shared last step --------------------------------------------------------------------------


def _place(ink: np.ndarray, box_from_drawing: np.ndarray) -> Preprocessed:
    """Put the working-resolution box on the field with its centre of mass at CENTRE_OF_MASS, average down.

    The shift is a whole number of working pixels (a quarter of an input pixel), not of input pixels as
    in MNIST: a centre of mass near a rounding boundary would otherwise make the whole digit jump by a
    pixel between two nearly equal drawings (or between a drawing and its preprocessed self).
    """
    rows, cols = ink.shape
    mass = float(ink.sum())
    if not mass > 0:
        raise EmptyDrawingError("the drawing has no ink")
    # Centre of mass in continuous working coordinates, with the box at the origin.
    com_x = float(ink.sum(axis=0) @ (np.arange(cols) + 0.5)) / mass
    com_y = float(ink.sum(axis=1) @ (np.arange(rows) + 0.5)) / mass
    side = INPUT_SIZE * OVERSAMPLE
    # Clamped so nothing falls off the field even for a lopsided drawing.
    dx = int(np.clip(round(CENTRE_OF_MASS * OVERSAMPLE - com_x), 0, side - cols))
    dy = int(np.clip(round(CENTRE_OF_MASS * OVERSAMPLE - com_y), 0, side - rows))
    field = np.zeros((side, side), dtype=np.float32)
    field[dy : dy + rows, dx : dx + cols] = ink
    image = field.reshape(INPUT_SIZE, OVERSAMPLE, INPUT_SIZE, OVERSAMPLE).mean(axis=(1, 3))
    image = np.clip(image, 0.0, 1.0).astype(np.float32)
    input_from_box = _affine(1 / OVERSAMPLE, 1 / OVERSAMPLE, dx / OVERSAMPLE, dy / OVERSAMPLE)
    return Preprocessed(image=image, to_input=(input_from_box @ box_from_drawing)[:2])


def _affine(sx: float, sy: float, tx: float, ty: float) -> np.ndarray:
    """3x3 matrix of x -> sx*x + tx, y -> sy*y + ty; maps compose by matrix product."""
    return np.array([[sx, 0.0, tx], [0.0, sy, ty], [0.0, 0.0, 1.0]])


# --- strokes ---------------------------------------------------------------------------------------


def _strokes_in_box(strokes: Strokes) -> tuple[np.ndarray, np.ndarray]:
    """Draw the strokes into the 80-px box with the normalised pen; return it and drawing -> box.

    The pen adds half its width around the points' bounding box, so the points are scaled to fill
    80 - pen: the inked box is then exactly 80 on its longer side, whatever the original pen was.
    """
    # float64 and finite only: extreme float32 coordinates must neither overflow nor poison the box.
    finite = [s[np.isfinite(s).all(axis=1)] for s in strokes]
    points = [s.astype(np.float64) for s in finite if len(s)]
    if not points:
        raise EmptyDrawingError("the drawing has no strokes")
    allpts = np.concatenate(points)
    low, high = allpts.min(axis=0), allpts.max(axis=0)
    extent = high - low
    longer = float(extent.max())
    # A drawing that is a single spot has no size to normalise: it becomes one pen dot.
    scale = (_BOX - _PEN) / longer if longer > 0 else 1.0
    if not np.isfinite(scale) or scale <= 0:  # a denormal extent; treat as a spot
        scale, extent = 1.0, np.zeros(2)
    cols, rows = (np.ceil(extent * scale + _PEN - 1e-6)).astype(int).clip(1, _BOX)
    margin = _PEN / 2
    box_from_drawing = _affine(scale, scale, margin - low[0] * scale, margin - low[1] * scale)
    ink = rasterise(
        Strokes(tuple(s for s in finite if len(s))),
        (int(cols), int(rows)),
        _PEN,
        transform=box_from_drawing[:2],
        supersample=4,  # Pillow rounds wide lines to whole pixels: +-1 px would be 10% of this pen
    )
    return ink, box_from_drawing


# --- rasters ---------------------------------------------------------------------------------------


def _raster_in_box(drawing) -> tuple[np.ndarray, np.ndarray]:
    """The raster's ink at working resolution, normalised in width and fitted to the 80-px box."""
    pixels, scale = _as_pixels(drawing)
    background = _background(pixels, scale)
    ink, crop_from_raster = _cropped_ink(pixels, scale, background)
    ink, work_from_crop = _to_box_side(ink, _BOX, shrink="max")
    ink = _harden(ink)
    width = _stroke_width(ink)
    # After the final fit the box shrinks by (80 - pen) / (80 - width) (see _strokes_in_box); aim
    # for the pen width divided by that, so it is the pen width after the fit.
    target = _PEN * (_BOX - width) / (_BOX - _PEN)
    ink, grown_from_work = _morph_to_width(ink, width, target)
    ink, cropped_from_grown = _crop_ink(np.where(ink < _CLEAN, 0.0, ink).astype(np.float32))
    ink, box_from_cropped = _to_box_side(ink, _BOX, shrink="linear")
    box_from_raster = box_from_cropped @ cropped_from_grown @ grown_from_work @ work_from_crop @ crop_from_raster
    return ink, box_from_raster


def _as_pixels(drawing) -> tuple[np.ndarray, float]:
    """The raster as (H, W, C), C = 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA), and its full scale.

    A view of the caller's array whenever possible: a large image is never copied whole.
    """
    pixels = np.asarray(drawing)
    is_bool = pixels.dtype == np.bool_
    if is_bool:
        pixels = pixels.view(np.uint8)  # same bytes, 0/1, and numpy reductions work on it
    if not (np.issubdtype(pixels.dtype, np.integer) or np.issubdtype(pixels.dtype, np.floating)):
        raise DataError(f"an image must hold numbers, not {pixels.dtype}")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 2, 3, 4):
        raise DataError(f"an image must be (H, W), (H, W, 1|2|3|4) pixels, got shape {pixels.shape}")
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise EmptyDrawingError("the image has no pixels")
    return pixels, (1.0 if is_bool else _full_scale(pixels))


def _full_scale(pixels: np.ndarray) -> float:
    """The value that means full intensity: from the dtype, or for plain ints and floats from the data.

    Floats in [0, 1] and in [0, 255], ints holding 8-bit values and 0/1 masks are all common; a value
    range larger than expected is taken as its own scale rather than clipped flat.
    """
    if pixels.dtype == np.uint8:
        return 255.0
    if pixels.dtype == np.uint16:
        return 65535.0
    top = _finite_max(pixels)
    # 1.5 tolerates a float image in [0, 1] that was resampled slightly out of range.
    unit_top = 1.5 if np.issubdtype(pixels.dtype, np.floating) else 1.0
    for scale, limit in ((1.0, unit_top), (255.0, 255.0), (65535.0, 65535.0)):
        if top <= limit:
            return scale
    return top


def _finite_max(pixels: np.ndarray) -> float:
    """Largest finite value (numpy's fmax ignores NaN; infinities need the slow banded pass)."""
    top = float(np.fmax.reduce(pixels, axis=None)) if pixels.size else 0.0
    if np.isfinite(top) or top != top:
        return top if np.isfinite(top) else 0.0
    best = 0.0
    for band in _row_bands(pixels):
        values = band[np.isfinite(band)]
        if values.size:
            best = max(best, float(values.max()))
    return best


def _row_bands(pixels: np.ndarray, multiple: int = 1):
    """Row slices of about _BAND_PIXELS pixels (a whole number of ``multiple`` rows each)."""
    rows = max(multiple, (_BAND_PIXELS // max(1, pixels.shape[1])) // multiple * multiple)
    for top in range(0, pixels.shape[0], rows):
        yield pixels[top : top + rows]


def _unit_channel(values: np.ndarray, scale: float) -> np.ndarray:
    """One channel (any shape, original dtype) as a new float32 array in [0, 1]."""
    if values.dtype.kind == "f" and values.dtype.itemsize > 4:
        # Scaled while still wide: values beyond float32's range would overflow in the cast.
        unit = np.clip(values * (1 / scale), 0.0, 1.0).astype(np.float32)
    else:
        unit = values.astype(np.float32)
        unit *= np.float32(1 / scale)
    if values.dtype.kind == "f" and not np.isfinite(unit).all():
        np.nan_to_num(unit, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
    if values.dtype not in (np.uint8, np.uint16):  # these cannot leave [0, scale]
        np.clip(unit, 0.0, 1.0, out=unit)
    return unit


def _channels(pixels: np.ndarray, scale: float):
    """The channels of (..., C) pixels as float32 in [0, 1], colour premultiplied by alpha if present.

    Premultiplying makes fully transparent pixels equal whatever colour they store, so black ink on a
    transparent (RGB all 0) background differs from it through alpha alone, as it should. Channels
    are produced one at a time as contiguous arrays: numpy works on the interleaved channel axis an
    order of magnitude more slowly.
    """
    count = pixels.shape[-1]
    alpha = _unit_channel(pixels[..., -1], scale) if count in (2, 4) else None
    for channel in range(count - (alpha is not None)):
        unit = _unit_channel(pixels[..., channel], scale)
        if alpha is not None:
            unit *= alpha
        yield unit
    if alpha is not None:
        yield alpha


def _background(pixels: np.ndarray, scale: float) -> np.ndarray:
    """Per-channel median of the border pixels: the paper, whichever its colour or transparency."""
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return np.array([np.median(channel) for channel in _channels(border, scale)], dtype=np.float32)


def _contrast(band: np.ndarray, scale: float, background: np.ndarray) -> np.ndarray:
    """float32 (rows, W): the largest per-channel difference from the background, in [0, 1].

    Taking the difference (not darkness) makes either polarity work: dark ink on light paper and light
    ink on dark paper as MNIST stores it, and any ink colour.
    """
    result = None
    for unit, paper in zip(_channels(band, scale), background):
        unit -= paper
        np.abs(unit, out=unit)
        result = unit if result is None else np.maximum(result, unit, out=result)
    return result


def _cropped_ink(pixels: np.ndarray, scale: float, background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ink map in [0, 1] of the ink's bounding box and the affine raster -> that map.

    Margins of pure paper are dropped first, on the original dtype. Then a banded pass finds the ink's
    rows and columns and keeps the contrast only when the image is small; a large image is converted
    a second time, cropped first and block-max reduced as it goes.
    """
    pixels, r_off, c_off = _without_paper_margins(pixels, scale, background)
    height, width = pixels.shape[:2]
    keep = height * width <= _KEEP_PIXELS
    row_max = np.empty(height, np.float32)
    col_max = np.zeros(width, np.float32)
    kept = []
    top = 0
    for band in _row_bands(pixels):
        contrast = _contrast(band, scale, background)
        row_max[top : top + len(band)] = contrast.max(axis=1)
        np.maximum(col_max, contrast.max(axis=0), out=col_max)
        top += len(band)
        if keep:
            kept.append(contrast)
    strongest = float(row_max.max())
    if strongest < _MIN_CONTRAST:
        raise EmptyDrawingError("the image is blank: it has no ink on its background")
    floor = _INK_FLOOR * strongest
    rows = np.flatnonzero(row_max > floor)
    cols = np.flatnonzero(col_max > floor)
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if keep:
        contrast = kept[0] if len(kept) == 1 else np.concatenate(kept)
        contrast, factor = contrast[r0:r1, c0:c1], 1
    else:
        contrast, factor = _reduced_contrast(pixels[r0:r1, c0:c1], scale, background)
    ink = np.clip((contrast - floor) * np.float32(1 / (strongest - floor)), 0.0, 1.0)
    r0, c0 = r0 + r_off, c0 + c_off
    return ink, _affine(1 / factor, 1 / factor, -c0 / factor, -r0 / factor)


def _without_paper_margins(pixels: np.ndarray, scale: float, background: np.ndarray) -> tuple[np.ndarray, int, int]:
    """A view without the outer rows and columns whose pixels all equal the paper exactly, and its offset.

    Comparing the original integers is several times cheaper than converting to float, and a drawing
    on a canvas usually leaves most of it untouched. The paper value is one the border really holds
    (per channel, the middle of its sorted values); when it is not exactly the float background (a
    noisy border), nothing is dropped and the float pass does all the work.
    """
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    paper = np.partition(border, len(border) // 2, axis=0)[len(border) // 2]
    if _contrast(paper[None, None, :], scale, background).max() > 0:
        return pixels, 0, 0
    rows = np.zeros(pixels.shape[0], dtype=bool)
    cols = np.zeros(pixels.shape[1], dtype=bool)
    top = 0
    # Each row is compared as one long run of interleaved channels against the paper repeated along
    # it: numpy's loops are fast on long runs and slow on many short (per-pixel) ones.
    paper_row = np.tile(paper, pixels.shape[1])
    for band in _row_bands(pixels):
        differs = band.reshape(len(band), -1) != paper_row
        rows[top : top + len(band)] = differs.any(axis=1)
        cols |= differs.any(axis=0).reshape(pixels.shape[1], -1).any(axis=1)
        top += len(band)
    if not rows.any():
        raise EmptyDrawingError("the image is blank: it has no ink on its background")
    r0, r1 = np.flatnonzero(rows)[[0, -1]]
    c0, c1 = np.flatnonzero(cols)[[0, -1]]
    return pixels[r0 : r1 + 1, c0 : c1 + 1], int(r0), int(c0)


def _reduced_contrast(region: np.ndarray, scale: float, background: np.ndarray) -> tuple[np.ndarray, int]:
    """Contrast of a large region, band by band, block-max reduced by an integer factor as it goes."""
    factor = max(1, max(region.shape[:2]) // _REDUCED_SIDE)
    reduced = [_block_max(_contrast(band, scale, background), factor) for band in _row_bands(region, factor)]
    return np.concatenate(reduced), factor


def _block_max(values: np.ndarray, factor: int) -> np.ndarray:
    """Maximum of each factor x factor block (edges padded with no-ink zeros)."""
    if factor == 1:
        return values
    rows, cols = values.shape
    padded = np.zeros((-(-rows // factor) * factor, -(-cols // factor) * factor), np.float32)
    padded[:rows, :cols] = values
    return padded.reshape(padded.shape[0] // factor, factor, -1, factor).max(axis=(1, 3))


def _harden(ink: np.ndarray) -> np.ndarray:
    """Turn soft edges into (nearly) hard ones, like the pen of the strokes path at this resolution.

    A small raster grown to working size has edges blurred over several pixels; eroding such a ridge
    would dim its core instead of thinning it, and the average-down would blur it twice. The ramp is
    centred below half (0.4) so that faint but real strokes survive, and one pixel wide so that the edge keeps
    its sub-pixel position; the anti-aliasing comes back in the final average-down.
    """
    return np.clip((ink - _HARD_LOW) * np.float32(1 / (_HARD_HIGH - _HARD_LOW)), 0.0, 1.0)


def _crop_ink(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-zero part of an ink map and the affine map -> cropped map."""
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    if not len(rows):
        raise EmptyDrawingError("the drawing has no ink")
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return ink[r0:r1, c0:c1], _affine(1, 1, -c0, -r0)


def _to_box_side(ink: np.ndarray, side: int, shrink: str) -> tuple[np.ndarray, np.ndarray]:
    """Resample so the longer side is ``side``, keeping the aspect ratio; with the affine old -> new.

    Shrinking uses the block maximum (``shrink="max"``), which keeps a one-pixel line at full strength
    where averaging would fade it, or linear interpolation for a mild final fit; growing is linear.
    """
    rows, cols = ink.shape
    ratio = side / max(rows, cols)
    new_rows, new_cols = max(1, round(rows * ratio)), max(1, round(cols * ratio))
    out = _resample_axis(ink, new_rows, axis=0, shrink=shrink)
    out = _resample_axis(out, new_cols, axis=1, shrink=shrink)
    return out, _affine(new_cols / cols, new_rows / rows, 0, 0)


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


def _stroke_width(ink: np.ndarray) -> float:
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


def _morph_to_width(ink: np.ndarray, width: float, target: float) -> tuple[np.ndarray, np.ndarray]:
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
        steps = (target - _stroke_width(ink)) / 2
        if steps > 0:
            ink = np.pad(ink, int(np.ceil(steps)) + 1)
            margin += int(np.ceil(steps)) + 1
        ink = _morph(ink, steps)
    return ink, _affine(1, 1, margin, margin)


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
