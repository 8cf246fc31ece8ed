"""How the walkthrough paints numbers: grids of coloured cells (with their values where the cells are
big enough), outlines, wrapped text; and its colours.

Signed values take the filter panels' diverging colour map (``plot_style.DIVERGING_MAP``), so a weight
has the same colour in the walkthrough as in the filters panel; the drawing itself is grey ink on
white paper, as on the canvas.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from cnn_desktop.gui.panels.plot_style import DIVERGING_MAP, map_colours

HIGHLIGHT = QColor(230, 90, 0)
NOT_YET = QColor(204, 204, 210)  # cells not computed yet: a neutral grey, unlike any colour of the map
TEXT = QColor(34, 34, 40)
MUTED_TEXT = QColor(85, 85, 95)
PADDING_COLOUR = QColor(222, 226, 240)
GRID_FRAME = QColor(180, 180, 190)
CELL_BORDER = QColor(255, 255, 255)


def _rgb(colour: QColor) -> tuple[int, int, int]:
    return colour.red(), colour.green(), colour.blue()


class Diverging:
    """The diverging colour map at levels (-extent, +extent), per value (QColor) or per array (RGB)."""

    def __init__(self, extent: float) -> None:
        self.extent = extent if extent > 0 else 1.0

    def __call__(self, value: float) -> QColor:
        if not np.isfinite(value):
            return NOT_YET
        return QColor(*(int(c) for c in self.rgb(np.array(value))))

    def rgb(self, values: np.ndarray) -> np.ndarray:
        """(..., 3) uint8, a writable copy."""
        return map_colours(values, -self.extent, self.extent, DIVERGING_MAP)


class Ink:
    """The input as the canvas shows it: dark ink (1) on white paper (0)."""

    def __call__(self, value: float) -> QColor:
        return QColor(*(int(c) for c in self.rgb(np.array(value))))

    def rgb(self, values: np.ndarray) -> np.ndarray:
        grey = np.round(255 * (1 - np.clip(np.nan_to_num(values), 0, 1))).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)


def text_colour_on(colour: QColor) -> QColor:
    return QColor(255, 255, 255) if colour.lightnessF() < 0.45 else TEXT


def number(value: float) -> str:
    """Short enough for a cell: 2 decimals, 3 for small values, "≈0" rather than a misleading "-0.00"."""
    size = abs(value)
    if size == 0:
        return "0"
    if size < 0.0005:
        return "≈0"
    if size < 0.1:
        return f"{value:.3f}"
    return f"{value:.2f}" if size < 10 else f"{value:.1f}"


def grid(painter: QPainter, x: float, y: float, cell: float, values: np.ndarray, colour,
         numbers: bool = False, title: str = "", shown: int | None = None, pad: int = 0) -> QRectF:
    """Draw ``values`` (h, w) as cells coloured by ``colour`` (a ``Diverging`` or ``Ink``); ``shown``
    cells (row-major) only, the rest "not yet"; ``pad`` outer rings drawn as padding; each cell's
    number if ``numbers``. Returns the grid's rectangle."""
    h, w = values.shape
    if title:
        painter.setPen(TEXT)
        painter.drawText(QRectF(x, y - 20, max(w * cell, 340), 18),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, title)
    if numbers:
        _cells_with_numbers(painter, x, y, cell, values, colour, shown, pad)
    else:
        _cells_as_image(painter, x, y, cell, values, colour, shown, pad)
    frame = QRectF(x, y, w * cell, h * cell)
    painter.setPen(QPen(GRID_FRAME, 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(frame)
    if cell >= 14:  # cell borders help reading numbers; on small cells they would hide the colours
        painter.setPen(QPen(CELL_BORDER, 1))
        for i in range(1, w):
            painter.drawLine(x + i * cell, y, x + i * cell, y + h * cell)
        for i in range(1, h):
            painter.drawLine(x, y + i * cell, x + w * cell, y + i * cell)
    return frame


def _cells_with_numbers(painter: QPainter, x: float, y: float, cell: float, values: np.ndarray, colour,
                        shown: int | None, pad: int) -> None:
    h, w = values.shape
    font = painter.font()
    small = QFont(font)
    small.setPointSizeF(max(6.5, min(10.0, cell / 3.6)))
    painter.setFont(small)
    painter.setPen(Qt.PenStyle.NoPen)
    for r in range(h):
        for c in range(w):
            index = r * w + c
            rect = QRectF(x + c * cell, y + r * cell, cell, cell)
            if shown is not None and index > shown:
                fill = NOT_YET
            elif pad and (r < pad or c < pad or r >= h - pad or c >= w - pad):
                fill = PADDING_COLOUR
            else:
                fill = colour(float(values[r, c]))
            painter.fillRect(rect, fill)
            if shown is None or index <= shown:
                label = number(float(values[r, c]))
                wide = painter.fontMetrics().horizontalAdvance(label) > cell - 3
                if wide:  # a long number gets a smaller font rather than spilling into its neighbours
                    tight = QFont(small)
                    advance = painter.fontMetrics().horizontalAdvance(label)
                    tight.setPointSizeF(small.pointSizeF() * (cell - 3) / advance)
                    painter.setFont(tight)
                painter.setPen(text_colour_on(fill))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
                painter.setPen(Qt.PenStyle.NoPen)
                if wide:
                    painter.setFont(small)
    painter.setFont(font)


def _cells_as_image(painter: QPainter, x: float, y: float, cell: float, values: np.ndarray, colour,
                    shown: int | None, pad: int) -> None:
    """A grid without numbers as one image: a few hundred cells in one draw instead of one each."""
    h, w = values.shape
    rgb = colour.rgb(values)
    if pad:
        ring = np.zeros((h, w), bool)
        ring[:pad], ring[-pad:], ring[:, :pad], ring[:, -pad:] = True, True, True, True
        rgb[ring] = _rgb(PADDING_COLOUR)
    hidden = ~np.isfinite(values)
    if shown is not None:
        hidden |= (np.arange(h * w) > shown).reshape(h, w)
    rgb[hidden] = _rgb(NOT_YET)
    rgb = np.ascontiguousarray(rgb)
    image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.drawImage(QRectF(x, y, w * cell, h * cell), image)
    painter.restore()


def outline(painter: QPainter, x: float, y: float, cell: float, row: int, col: int, rows: int, cols: int,
            width: float = 2.5) -> None:
    """The highlight around ``rows`` x ``cols`` cells of a grid drawn at (x, y), from cell (row, col)."""
    painter.setPen(QPen(HIGHLIGHT, width))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(QRectF(x + col * cell, y + row * cell, cols * cell, rows * cell))


def text(painter: QPainter, rect: QRectF, words: str, bold: bool = False, size: float = 1.0,
         colour: QColor = TEXT, flags=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) -> None:
    """Wrapped text in ``rect``, ``size`` times the painter's font size."""
    font = QFont(painter.font())
    font.setBold(bold)
    font.setPointSizeF(font.pointSizeF() * size)
    old = painter.font()
    painter.setFont(font)
    painter.setPen(colour)
    painter.drawText(rect, int(flags) | int(Qt.TextFlag.TextWordWrap), words)
    painter.setFont(old)


def arrow(painter: QPainter, frame: QRectF) -> None:
    """The "→" between a grid (``frame``) and the one it becomes, 90 px to its right."""
    text(painter, QRectF(frame.right() + 8, frame.top() + frame.height() / 2 - 20, 80, 40), "→", size=2.2,
         flags=Qt.AlignmentFlag.AlignCenter)
