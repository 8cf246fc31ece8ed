"""Many small images (a conv layer's filters, or its feature maps) shown as one packed image.

Packing every tile into a single array drawn by a single ImageItem keeps a redraw to one texture upload,
however many filters a layer has; one item per tile would mean hundreds of items to update per frame.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from cnn_desktop.gui.panels.colour_scale import ColourScale
from cnn_desktop.gui.panels.map_image import MapImage
from cnn_desktop.gui.panels.plot_style import (
    AXIS_COLOUR, BACKGROUND, DIVERGING_MAP, SEQUENTIAL_MAP, TEXT_COLOUR, style_title_label)
from cnn_desktop.gui.throttle import Throttle

REDRAW_INTERVAL_MS = 33
NOTHING_YET = "Nothing to show yet."
COLOUR_BAR_SPACE = 75  # pixels the colour bar and its tick labels take beside the tiles
MIN_IMAGE_HEIGHT = 90  # keeps the colour bar's labels readable under a wide, flat grid
MAX_IMAGE_HEIGHT = 520
PREFERRED_WIDTH = 320
GAP = 1  # pixels between tiles
GAP_COLOUR = QColor(196, 196, 204)  # shows through the NaN gaps; distinct from white (zero weight)


def default_columns(count: int) -> int:
    """A near-square grid without empty slots when possible: 16 -> 4, 32 -> 8 (8 x 4), 6 -> 3."""
    if count <= 0:
        return 1
    side = math.ceil(math.sqrt(count))
    for columns in range(side, 2 * side + 1):
        if count % columns == 0:
            return columns
    return side


def pack_tiles(images: np.ndarray, columns: int, gap: int = GAP) -> np.ndarray:
    """Lay ``images`` (n, h, w) out row-major in ``columns`` columns, ``gap`` pixels apart.

    Returns float32 of shape (rows * h + (rows - 1) * gap, columns * w + (columns - 1) * gap) with NaN
    in the gaps and in unused slots of the last row, so they render transparent rather than as a value.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise ValueError(f"expected images of shape (n, h, w), got {images.shape}")
    n, h, w = images.shape
    columns = max(1, min(columns, n)) if n else 1
    rows = max(1, math.ceil(n / columns))
    # One block assignment instead of a loop over tiles (conv2's filters are 512 tiles): a grid of
    # (h + gap) x (w + gap) cells, NaN everywhere, each tile written into the top-left of its cell,
    # then the gap after the last row and column cut off.
    cells = np.full((rows * columns, h + gap, w + gap), np.nan, np.float32)
    cells[:n, :h, :w] = images
    packed = cells.reshape(rows, columns, h + gap, w + gap).transpose(0, 2, 1, 3)
    packed = packed.reshape(rows * (h + gap), columns * (w + gap))
    return np.ascontiguousarray(packed[: rows * (h + gap) - gap, : columns * (w + gap) - gap])


def tile_at(x: float, y: float, count: int, tile_shape: tuple[int, int], columns: int,
            gap: int = GAP) -> tuple[int, int, int] | None:
    """Which tile pixel of a ``pack_tiles`` image lies at packed-image coordinates (x, y).

    Returns (tile index, y in tile, x in tile), or None over a gap, an empty slot or outside.
    """
    h, w = tile_shape
    if x < 0 or y < 0:
        return None
    column, x_in = divmod(int(x), w + gap)
    row, y_in = divmod(int(y), h + gap)
    index = row * columns + column
    if column >= columns or x_in >= w or y_in >= h or index >= count:
        return None
    return index, y_in, x_in


def symmetric_levels(images: np.ndarray) -> tuple[float, float]:
    """Levels centred on 0, so white always means a zero weight whatever the filters' scale."""
    extent = float(np.nanmax(np.abs(images))) if images.size else 0.0
    extent = extent if extent > 0 and math.isfinite(extent) else 1.0
    return -extent, extent


def activation_levels(images: np.ndarray) -> tuple[float, float]:
    """0 .. max (or min .. max when some values are negative, as before a ReLU)."""
    if not images.size:
        return 0.0, 1.0
    low = min(0.0, float(np.nanmin(images)))
    high = float(np.nanmax(images))
    return (low, high) if high > low else (low, low + 1.0)


class _HoverReportingImage(MapImage):
    """An ImageItem that reports the image pixel under the pointer ((x, y), or None on leaving) and
    the one clicked."""

    def __init__(self, on_hover, on_click=None) -> None:
        super().__init__(axisOrder="row-major")
        self._on_hover = on_hover
        self._on_click = on_click
        self.setAcceptHoverEvents(True)

    def mouseClickEvent(self, event) -> None:
        if self._on_click is not None and event.button() == Qt.MouseButton.LeftButton:
            event.accept()
            self._on_click((event.pos().x(), event.pos().y()))

    def hoverEvent(self, event) -> None:
        if event.isExit():
            self._on_hover(None)
        else:
            position = event.pos()
            self._on_hover((position.x(), position.y()))


class _TilesView(pg.GraphicsLayoutWidget):
    """The plot area, as tall as the packed image needs at the width it gets.

    Stacked in a scroll area, a wide grid of two rows then takes little height instead of floating in
    a tall empty box. (Layouts ask the widget that has no layout of its own, hence this subclass.)
    """

    def __init__(self) -> None:
        super().__init__()
        self._aspect = 0.5  # height / width of the packed image; a guess until the first images
        policy = self.sizePolicy()
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_aspect(self, aspect: float) -> None:
        self._aspect = aspect
        self.updateGeometry()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        image_height = int(max(width - COLOUR_BAR_SPACE, 1) * self._aspect)
        return min(max(image_height, MIN_IMAGE_HEIGHT), MAX_IMAGE_HEIGHT)

    def sizeHint(self) -> QSize:
        return QSize(PREFERRED_WIDTH, self.heightForWidth(PREFERRED_WIDTH))


class ImageGridPanel(QWidget):
    """A titled grid of small images with a colour bar; reports the tile pixel under the pointer."""

    hovered = Signal(int, int, int)  # (tile index, y, x) in tile pixels; (-1, -1, -1) when leaving
    clicked = Signal(int, int, int)  # (tile index, y, x) of a left click on a tile

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tile_names: list[str] | None = None  # what the hover caption calls each tile; "#index" if None
        self._images = np.zeros((0, 1, 1), np.float32)
        self._columns = 1
        self._diverging: bool | None = None
        self._last_hover: tuple[int, int, int] | None = None
        self._pending: tuple[np.ndarray, int, bool] | None = None

        self.title_label = QLabel(title)
        style_title_label(self.title_label)
        # "Nothing to show yet" until the first images, then the value under the pointer.
        self.caption = QLabel(NOTHING_YET)
        self.caption.setStyleSheet(f"color: {AXIS_COLOUR};")

        self.graphics = _TilesView()
        self.graphics.setBackground(BACKGROUND)
        self.graphics.setMinimumSize(120, MIN_IMAGE_HEIGHT)
        self.view = self.graphics.addViewBox(row=0, col=0, lockAspect=True, invertY=True,
                                             enableMouse=False, enableMenu=False)
        self.view.setDefaultPadding(0.01)
        self.gap_backdrop = QGraphicsRectItem()  # sized to the packed image; the NaN gaps show it
        self.gap_backdrop.setBrush(GAP_COLOUR)
        self.gap_backdrop.setPen(pg.mkPen(None))
        self.view.addItem(self.gap_backdrop, ignoreBounds=True)
        self.image_item = _HoverReportingImage(self._on_pixel_hovered, self._on_pixel_clicked)
        self.view.addItem(self.image_item)
        self.colour_bar = ColourScale(SEQUENTIAL_MAP, width=12, axis_colour=AXIS_COLOUR, text_colour=TEXT_COLOUR)
        self.graphics.addItem(self.colour_bar, row=0, col=1)
        self.colour_bar.hide()  # a scale for no image would only puzzle; shown with the first images

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title_label)
        layout.addWidget(self.graphics, stretch=1)
        layout.addWidget(self.caption)

        self._redraw = Throttle(REDRAW_INTERVAL_MS, self._draw, leading=False, parent=self)

    def set_title(self, title: str) -> None:
        self.title_label.setText(title)

    def show_grid(self, images: np.ndarray, *, diverging: bool, title: str,
                  columns: int | None = None) -> None:
        """Show ``images`` (n, h, w) as tiles: filters with ``diverging=True`` (DIVERGING_MAP, colour for
        the sign, levels +-max|w|), activations with ``diverging=False`` (SEQUENTIAL_MAP, levels 0..max)."""
        images = np.array(images, dtype=np.float32)  # a copy: the caller may reuse its buffer
        if images.ndim != 3:
            raise ValueError(f"expected images of shape (n, h, w), got {images.shape}")
        self.set_title(title)
        self._pending = (images, columns or default_columns(len(images)), diverging)
        self._redraw.request()

    def blank(self) -> None:
        """Show the tiles shown now, all zero: the grid keeps its size and place (no jump), but no longer
        shows maps of a drawing that is gone. Nothing shown yet: nothing to do."""
        images, columns, diverging = self._pending or (self._images, self._columns, self._diverging)
        if images.size:
            self._pending = (np.zeros_like(images), columns, bool(diverging))
            self._redraw.request()

    def _draw(self) -> None:
        if self._pending is None:
            return
        images, columns, diverging = self._pending
        self._pending = None
        packed = pack_tiles(images, columns)
        levels = symmetric_levels(images) if diverging else activation_levels(images)
        if diverging != self._diverging:
            self.image_item.setColorMap(self.colour_bar.set_colour_map(DIVERGING_MAP if diverging else SEQUENTIAL_MAP))
            self._diverging = diverging
        previous = self.image_item.image
        reshaped = previous is None or previous.shape != packed.shape
        # Fixed levels: a pyqtgraph auto-level would rescale each update and hide real changes in scale.
        self.image_item.setImage(packed, autoLevels=False, levels=levels)
        self.colour_bar.set_levels(*levels)
        if not self.colour_bar.isVisible():
            self.colour_bar.show()
            self.caption.setText(" ")  # a space, not "": the line keeps its height for hover values
        self._images, self._columns = images, columns
        if reshaped:
            height, width = packed.shape
            self.gap_backdrop.setRect(QRectF(0, 0, width, height))
            self.view.autoRange()
            self.graphics.set_aspect(height / width)

    def forget_hover(self) -> None:
        """The tiles moved under the pointer (a scroll): what it pointed at is no longer there."""
        self._on_pixel_hovered(None)

    def _on_pixel_hovered(self, position: tuple[float, float] | None) -> None:
        n, h, w = self._images.shape
        hit = tile_at(*position, n, (h, w), self._columns) if position is not None else None
        if hit == self._last_hover:
            return
        self._last_hover = hit
        if hit is None:
            self.caption.setText(" ")
            self.hovered.emit(-1, -1, -1)
        else:
            index, y, x = hit
            name = self.tile_names[index] if self.tile_names and index < len(self.tile_names) else f"#{index}"
            self.caption.setText(f"{name}  row {y}, column {x}:  {self._images[index, y, x]:.3g}")
            self.hovered.emit(index, y, x)

    def _on_pixel_clicked(self, position: tuple[float, float]) -> None:
        n, h, w = self._images.shape
        hit = tile_at(*position, n, (h, w), self._columns)
        if hit is not None:
            self.clicked.emit(*hit)
