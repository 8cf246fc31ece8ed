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
* rasters are cropped to their ink (with numpy, on the original dtype: ``raster_ink``), resampled
  there (block maximum when shrinking, so a one-pixel line survives), their stroke width is measured
  and brought to the normalised width by dilation or erosion, then they are scaled to the 80-px box
  (``ink_maps``);

and the result is averaged down by ``OVERSAMPLE``, which anti-aliases it.

Coordinates are continuous everywhere: pixel (column c, row r) covers [c, c+1) x [r, r+1), so its
centre is (c + 0.5, r + 0.5). ``Preprocessed.to_input`` maps drawing coordinates (canvas pixels for
strokes, column/row for rasters) to 28x28 input coordinates in that convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_desktop.core.errors import EmptyDrawingError
from cnn_desktop.core.data.ink_maps import affine, crop_ink, harden, morph_to_width, stroke_width, to_box_side
from cnn_desktop.core.data.raster_ink import raster_ink
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

# A cropped raster bigger than this (longer side) is block-max reduced by an integer factor while it
# is converted, leaving enough resolution for the 80-px working box.
_REDUCED_SIDE = 4 * _BOX
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
    input_from_box = affine(1 / OVERSAMPLE, 1 / OVERSAMPLE, dx / OVERSAMPLE, dy / OVERSAMPLE)
    return Preprocessed(image=image, to_input=(input_from_box @ box_from_drawing)[:2])




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
    box_from_drawing = affine(scale, scale, margin - low[0] * scale, margin - low[1] * scale)
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
    ink, crop_from_raster = raster_ink(drawing, _REDUCED_SIDE)
    ink, work_from_crop = to_box_side(ink, _BOX, shrink="max")
    ink = harden(ink)
    width = stroke_width(ink)
    # After the final fit the box shrinks by (80 - pen) / (80 - width) (see _strokes_in_box); aim
    # for the pen width divided by that, so it is the pen width after the fit.
    target = _PEN * (_BOX - width) / (_BOX - _PEN)
    ink, grown_from_work = morph_to_width(ink, width, target)
    ink, cropped_from_grown = crop_ink(np.where(ink < _CLEAN, 0.0, ink).astype(np.float32))
    ink, box_from_cropped = to_box_side(ink, _BOX, shrink="linear")
    box_from_raster = box_from_cropped @ cropped_from_grown @ grown_from_work @ work_from_crop @ crop_from_raster
    return ink, box_from_raster
