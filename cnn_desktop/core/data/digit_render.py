"""A generated digit as an image file would hold it: the other input ``cnn-desktop predict`` takes.

Rasters of the drawings of ``digit_styles`` are rendered with thin and thick pens, anti-aliased or not,
as grey, RGB or RGBA images, so that the digits model is tested on image files as well as on strokes.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from cnn_desktop.core.data.digit_styles import DigitDrawing
from cnn_desktop.core.data.strokes import rasterise

# Pens used for rasters: "thin" is a 1-3 px line whatever the canvas (a mouse in a paint program),
# "thick" a marker of 7-18% of the digit's height.
RASTER_PENS = ("thin", "thick")


def render_digit(
    drawing: DigitDrawing, rng: np.random.Generator, pen: str | None = None
) -> tuple[np.ndarray, str]:
    """The drawing as an image file would hold it: uint8 (H, W), (H, W, 3) or (H, W, 4), and a description.

    The pen is thin or thick; the image is dark ink on white paper (grey or RGB, any dark colour),
    or ink on a transparent background (RGBA, as a canvas exports it), drawn anti-aliased or with
    hard edges (Pillow's own wide lines).
    """
    pen = pen or RASTER_PENS[int(rng.integers(len(RASTER_PENS)))]
    x0, y0, x1, y1 = drawing.strokes.bounds()
    height = max(y1 - y0, x1 - x0, 1.0)
    width = rng.uniform(1.0, 3.0) if pen == "thin" else rng.uniform(0.07, 0.18) * height
    mode = ("L", "RGB", "RGBA")[int(rng.integers(3))]
    smooth = rng.random() < 0.5
    size = drawing.canvas
    if smooth:
        coverage = rasterise(drawing.strokes, size, width, supersample=4)
    else:
        image = Image.new("L", size, 0)
        draw = ImageDraw.Draw(image)
        for stroke in drawing.strokes:
            points = [(float(x) - 0.5, float(y) - 0.5) for x, y in stroke]
            pen_px = max(1, round(width))
            if len(points) > 1:
                draw.line(points, fill=255, width=pen_px, joint="curve")
            if pen_px > 2:  # round caps
                for x, y in (points[0], points[-1]):
                    draw.ellipse([x - pen_px / 2, y - pen_px / 2, x + pen_px / 2, y + pen_px / 2], fill=255)
        coverage = np.asarray(image, dtype=np.float32) / 255
    cover = coverage[..., None]
    if mode == "RGBA":
        ink = rng.integers(0, 120, 3)
        rgb = np.broadcast_to(ink.astype(np.float32), coverage.shape + (3,))
        pixels = np.concatenate([rgb * (cover > 0), cover * 255], axis=2)  # transparent paper
    else:
        ink = rng.integers(0, 90, 3) if mode == "RGB" else np.full(3, rng.integers(0, 90))
        paper = np.full(3, 255.0)
        pixels = paper * (1 - cover) + ink * cover
        if mode == "L":
            pixels = pixels[..., 0]
    description = f"{mode} {pen} {width:.1f}px {'anti-aliased' if smooth else 'aliased'} {size[0]}x{size[1]}"
    return np.round(pixels).astype(np.uint8), description
