"""Explanations drawn over the drawing: a receptive field's box and a heat map, on the canvas (mapped
back through the preprocessing's affine) and on the 28x28 input view.

The canvas has one overlay slot: while the pointer is on a feature-map unit its receptive field is
shown; otherwise the heat map, if one is switched on.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from cnn_desktop.core.inspection.receptive_fields import input_box_to_drawing

FIELD_FILL = QColor(255, 140, 0, 90)
FIELD_EDGE = QColor(230, 90, 0, 255)
HEAT_SCALE = 4  # heat maps are interpolated to 112x112 so they look smooth when stretched over the canvas


def box_rect(to_input: np.ndarray, box: tuple[int, int, int, int]) -> QRectF:
    """Input pixels (top, left, bottom, right) as a rectangle in drawing (canvas) coordinates."""
    x0, y0, x1, y1 = input_box_to_drawing(to_input, box)
    return QRectF(x0, y0, x1 - x0, y1 - y0)


def field_image(width: int, height: int) -> QImage:
    """A translucent orange box with a solid edge, the size it will be drawn at."""
    width, height = max(int(width), 4), max(int(height), 4)
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(FIELD_FILL)
    painter = QPainter(image)
    edge = max(2, min(width, height) // 40)
    painter.setPen(QPen(FIELD_EDGE, edge))
    painter.drawRect(QRectF(edge / 2, edge / 2, width - edge, height - edge))
    painter.end()
    return image


def _upsample(values: np.ndarray, scale: int) -> np.ndarray:
    """Bilinear, pixel centres aligned, edges held: (n, n) -> (n * scale, n * scale)."""
    n = values.shape[0]
    centres = (np.arange(n * scale) + 0.5) / scale - 0.5
    low = np.clip(np.floor(centres).astype(int), 0, n - 1)
    high = np.clip(low + 1, 0, n - 1)
    t = np.clip(centres - np.floor(centres), 0, 1)
    t = np.where(centres < 0, 0.0, np.where(centres > n - 1, 0.0, t))
    rows = values[low] * (1 - t)[:, None] + values[high] * t[:, None]
    return rows[:, low] * (1 - t)[None, :] + rows[:, high] * t[None, :]


def heat_rgba(heat: np.ndarray, signed: bool, scale: int = HEAT_SCALE) -> np.ndarray:
    """(n*scale, n*scale, 4) uint8 RGBA: yellow-to-red with opacity growing with the value; signed maps
    red for positive, blue for negative. Zero is fully transparent, so the drawing shows through."""
    values = _upsample(np.asarray(heat, np.float64), scale)
    rgba = np.zeros(values.shape + (4,), np.uint8)
    if signed:
        strength = np.clip(np.abs(values), 0, 1)
        positive = values >= 0
        rgba[..., 0] = np.where(positive, 215, 30)
        rgba[..., 1] = np.where(positive, 40, 90)
        rgba[..., 2] = np.where(positive, 30, 220)
    else:
        strength = np.clip(values, 0, 1)
        rgba[..., 0] = 235
        rgba[..., 1] = (215 * (1 - strength) + 30 * strength).astype(np.uint8)
        rgba[..., 2] = 20
    # Weak values stay invisible: a faint wash over the whole field would hide where the strong ones are.
    low, span = (0.04, 0.35) if signed else (0.12, 0.6)  # signed maps sit on dark ink: show them sooner
    alpha = np.clip((strength - low) / span, 0, 1)
    # Faded over the outer two input pixels, so the edge of the network's field is not a hard cut.
    side = values.shape[0]
    edge = np.minimum(np.arange(side) + 0.5, side - np.arange(side) - 0.5) / scale
    alpha *= np.clip(np.minimum.outer(edge, edge) / 2, 0, 1)
    rgba[..., 3] = (255 * alpha).astype(np.uint8)
    return rgba


def rgba_image(rgba: np.ndarray) -> QImage:
    rgba = np.ascontiguousarray(rgba)
    height, width = rgba.shape[:2]
    return QImage(rgba.data, width, height, rgba.strides[0], QImage.Format.Format_RGBA8888).copy()


class OverlayManager(QObject):
    """Decides what the canvas and the input view show over the drawing."""

    def __init__(self, canvas, input_view, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.input_view = input_view
        self._to_input: np.ndarray | None = None
        self._heat: QImage | None = None
        self._heat_size = 28
        self._box: tuple[int, int, int, int] | None = None

    def set_transform(self, to_input: np.ndarray | None) -> None:
        """The affine of the drawing now shown (None: empty canvas, nothing to draw over)."""
        self._to_input = None if to_input is None else np.asarray(to_input, np.float64)
        self._update()

    def set_heat(self, heat: np.ndarray | None, signed: bool = False) -> None:
        self._heat = None if heat is None else rgba_image(heat_rgba(heat, signed))
        if heat is not None:
            self._heat_size = int(np.shape(heat)[0])
        self.input_view.set_overlay(self._heat)
        self._update()

    def set_field(self, box: tuple[int, int, int, int] | None) -> None:
        self._box = box
        self.input_view.set_highlight(box)
        self._update()

    def _update(self) -> None:
        if self._to_input is None:
            self.canvas.set_overlay(None)
        elif self._box is not None:
            rect = box_rect(self._to_input, self._box)
            self.canvas.set_overlay(field_image(rect.width(), rect.height()), rect)
        elif self._heat is not None:
            last = self._heat_size - 1  # the heat map covers the whole input field
            self.canvas.set_overlay(self._heat, box_rect(self._to_input, (0, 0, last, last)))
        else:
            self.canvas.set_overlay(None)
