"""Reading the ink out of a raster of any size, dtype and layout, without ever copying a large one whole.

The first step of ``preprocess`` for an image (the strokes path draws its own ink): find the paper
(the border's median, whatever its colour or transparency), take each pixel's difference from it as
ink, so either polarity and any ink colour work, and crop to the ink's bounding box. Large images are
cropped on their original dtype first and converted band by band, block-max reduced as they go.
"""

from __future__ import annotations

import numpy as np

from cnn_desktop.core.errors import DataError, EmptyDrawingError
from cnn_desktop.core.data.ink_maps import affine, block_max

# A raster whose strongest difference from its background is below this share of full scale is taken
# as blank (uniform paper with sensor or compression noise), not as a very faint drawing.
_MIN_CONTRAST = 0.02
# Differences below this share of the strongest one are noise or a faint fringe, not ink.
_INK_FLOOR = 0.1
# Rasters are converted to float in bands of about this many pixels, so a 10000x10000 image never has
# a float copy of itself in memory; below _KEEP_PIXELS the first band's result is simply kept.
_BAND_PIXELS = 1 << 20
_KEEP_PIXELS = 1 << 22


def raster_ink(drawing, reduced_side: int) -> tuple[np.ndarray, np.ndarray]:
    """The ink of a raster, cropped to its bounding box, as float32 in [0, 1]; and the affine raster -> it.

    A cropped region whose longer side exceeds ``reduced_side`` is block-max reduced by an integer
    factor while it is converted, so a huge image costs no more than it must.
    """
    pixels, scale = _as_pixels(drawing)
    background = _background(pixels, scale)
    return _cropped_ink(pixels, scale, background, reduced_side)


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


def _cropped_ink(
    pixels: np.ndarray, scale: float, background: np.ndarray, reduced_side: int
) -> tuple[np.ndarray, np.ndarray]:
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
        contrast, factor = _reduced_contrast(pixels[r0:r1, c0:c1], scale, background, reduced_side)
    ink = np.clip((contrast - floor) * np.float32(1 / (strongest - floor)), 0.0, 1.0)
    r0, c0 = r0 + r_off, c0 + c_off
    return ink, affine(1 / factor, 1 / factor, -c0 / factor, -r0 / factor)


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


def _reduced_contrast(
    region: np.ndarray, scale: float, background: np.ndarray, reduced_side: int
) -> tuple[np.ndarray, int]:
    """Contrast of a large region, band by band, block-max reduced by an integer factor as it goes."""
    factor = max(1, max(region.shape[:2]) // reduced_side)
    reduced = [block_max(_contrast(band, scale, background), factor) for band in _row_bands(region, factor)]
    return np.concatenate(reduced), factor
