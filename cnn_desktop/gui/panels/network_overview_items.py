"""The graphics items of one overview column: its title, one ImageItem holding all its maps (or its
strip of units), and for the output the class names with their probability bars.

Items are made once per network and only moved on a resize and given new pixels on a redraw; one
ImageItem per column keeps a redraw to one texture upload per layer, however many maps it has.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem, QGraphicsScene, QGraphicsSimpleTextItem

from cnn_desktop.gui.panels.image_grid import activation_levels, pack_tiles, symmetric_levels
from cnn_desktop.gui.panels.map_image import MapImage
from cnn_desktop.gui.panels.network_overview_layout import ColumnBox, ColumnPlan, tile_gap
from cnn_desktop.gui.panels.plot_style import ACCENT, DIVERGING_MAP, TEXT_COLOUR, lookup_table

TITLE_POINT_SIZE = 8
BAR_COLOUR = QColor(ACCENT).lighter(170)
CELL_BACKDROP = QColor(236, 236, 240)  # behind the maps: a blank (cleared) map is this, not a colour of the scale
# Values >= 0 (after a ReLU, a pool of them) go from white at 0 to red: the positive half of the
# signed columns' map, so a colour means the same in every column (white 0, red high, blue negative)
# instead of viridis' dark purple filling most of the picture with zeros.
POSITIVE_TABLE = lookup_table(DIVERGING_MAP)[len(lookup_table(DIVERGING_MAP)) // 2:]
POSITIVE_TABLE = np.ascontiguousarray(
    np.stack([np.interp(np.linspace(0, len(POSITIVE_TABLE) - 1, 256), np.arange(len(POSITIVE_TABLE)),
                        POSITIVE_TABLE[:, channel]) for channel in range(POSITIVE_TABLE.shape[1])], axis=1)
).astype(np.uint8)
# The drawing in black on white, as "The network sees" shows it.
INK_TABLE = np.repeat(np.linspace(255, 0, 256).astype(np.uint8)[:, None], 3, axis=1)


def title_font() -> QFont:
    font = QFont()
    font.setPointSize(TITLE_POINT_SIZE)
    font.setBold(True)
    return font


class OverviewColumn:
    """One layer's picture in the overview scene."""

    def __init__(self, scene: QGraphicsScene, plan: ColumnPlan, description: str) -> None:
        self.plan = plan
        self.box: ColumnBox | None = None
        self.title = QGraphicsSimpleTextItem(plan.name)
        self.title.setFont(title_font())
        self.title.setBrush(QColor(TEXT_COLOUR))
        self.title.setToolTip(description)
        self.backdrop = QGraphicsPathItem()  # every cell's place, one item: a blank map is a grey square
        self.backdrop.setPen(QPen(Qt.PenStyle.NoPen))
        self.backdrop.setBrush(CELL_BACKDROP)
        self.image_item = MapImage(axisOrder="row-major")
        if plan.role == "input":
            self.image_item.setLookupTable(INK_TABLE)
        else:
            self.image_item.setLookupTable(lookup_table(DIVERGING_MAP) if plan.signed else POSITIVE_TABLE)
        self.values: np.ndarray | None = None  # what is shown: (maps, h, w) or (units,)
        self.bars: list[QGraphicsRectItem] = []
        self.names: list[QGraphicsSimpleTextItem] = []
        for item in (self.backdrop, self.image_item, self.title):
            scene.addItem(item)
        if plan.role == "output":
            for _ in range(plan.count):
                bar = QGraphicsRectItem()
                bar.setPen(QPen(Qt.PenStyle.NoPen))
                bar.setBrush(BAR_COLOUR)
                name = QGraphicsSimpleTextItem()
                scene.addItem(bar)
                scene.addItem(name)
                self.bars.append(bar)
                self.names.append(name)

    def set_classes(self, classes) -> None:
        for item, name in zip(self.names, classes):
            text = str(name)
            item.setText(text if len(text) <= 8 else text[:7] + "…")
            item.setToolTip(text)

    def place(self, box: ColumnBox, title_row: int, title_line: float, scene_width: float) -> None:
        """Move the column to ``box``; its title on line ``title_row`` (0 or 1) of the band above."""
        self.box = box
        title_width = self.title.boundingRect().width()
        x = box.x + box.cells_width / 2 - title_width / 2 if self.plan.role != "output" else box.x
        self.title.setPos(min(max(x, 0.0), max(scene_width - title_width, 0.0)), title_row * title_line)
        cells = QPainterPath()
        if self.plan.role in ("input", "maps"):
            for index in range(self.plan.count):
                cells.addRect(QRectF(*box.cell_rect(index)))
        else:
            cells.addRect(QRectF(box.x, box.y, box.cells_width, box.height))
        self.backdrop.setPath(cells)
        self._place_image()
        if self.bars:
            font = QFont()
            font.setPointSizeF(max(5.0, min(8.0, box.cell_height * 0.55)))
            for index, name in enumerate(self.names):
                x, y, w, h = box.cell_rect(index)
                name.setFont(font)
                name.setPos(x + w + 3, y + (h - name.boundingRect().height()) / 2)
                name.setVisible(box.cell_height >= 7)  # unreadable below; the tooltip still names it
            self._place_bars()

    def show(self, values: np.ndarray | None, probabilities: np.ndarray | None = None) -> None:
        """New values for this column (None: blank, the drawing was cleared)."""
        self.values = None if values is None else np.asarray(values, np.float32)
        box = self.box
        if self.values is None or box is None:
            self.image_item.setImage(np.full((1, 1), np.nan, np.float32), autoLevels=False, levels=(0, 1))
            self._probabilities = None
        else:
            image = self._packed(self.values, box)
            if self.plan.role == "input":
                levels = (0.0, 1.0)
            elif self.plan.signed:
                levels = symmetric_levels(self.values)
            else:
                levels = activation_levels(self.values)
            # Fixed levels per redraw: pyqtgraph's auto-levels would also rescale, but over the NaN gaps.
            self.image_item.setImage(image, autoLevels=False, levels=levels)
            self._probabilities = probabilities
        self._place_image()
        self._place_bars()

    _probabilities: np.ndarray | None = None

    def _packed(self, values: np.ndarray, box: ColumnBox) -> np.ndarray:
        if self.plan.role in ("input", "maps"):
            maps = values if values.ndim == 3 else values[None]
            return pack_tiles(maps, box.sub_columns, gap=tile_gap(box.cell_width, self.plan.size)[0])
        flat = values.reshape(-1)
        cells = np.full(box.rows * box.sub_columns, np.nan, np.float32)
        cells[: min(flat.size, cells.size)] = flat[: cells.size]
        return cells.reshape(box.rows, box.sub_columns)

    def _place_image(self) -> None:
        if self.box is not None and self.values is not None:
            self.image_item.setRect(QRectF(self.box.x, self.box.y, self.box.cells_width, self.box.height))
        elif self.box is not None:
            self.image_item.setRect(QRectF(self.box.x, self.box.y, 1, 1))

    def _place_bars(self) -> None:
        if not self.bars or self.box is None:
            return
        probabilities = self._probabilities
        top = int(np.argmax(probabilities)) if probabilities is not None and len(probabilities) else -1
        for index, bar in enumerate(self.bars):
            x, y, w, h = self.box.cell_rect(index)
            share = float(probabilities[index]) if probabilities is not None and index < len(probabilities) else 0.0
            bar.setRect(QRectF(x + w + 1, y + 1, max(0.0, share) * (self.box.extra_width - 2), max(h - 2, 1)))
            bar.setBrush(QBrush(QColor(ACCENT) if index == top else BAR_COLOUR))
            self.names[index].setBrush(QColor(TEXT_COLOUR))

    def remove(self, scene: QGraphicsScene) -> None:
        for item in [self.backdrop, self.image_item, self.title, *self.bars, *self.names]:
            scene.removeItem(item)
