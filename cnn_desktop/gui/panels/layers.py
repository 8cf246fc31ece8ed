"""The network layer by layer: one titled image grid per layer, stacked top to bottom in a scroll area.

Reading down the stack follows the drawing through the network, from the first filters to the last
feature maps.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from cnn_desktop.gui.panels.image_grid import ImageGridPanel

MIN_WIDTH = 260


def layer_title(name: str, description: str) -> str:
    return f"{name} — {description}" if description else name


class LayerStackPanel(QWidget):
    """A scrollable column of ``ImageGridPanel``s, one per layer, in network order."""

    hovered = Signal(str, int, int, int)  # (layer name, tile index, y, x); index -1 when leaving
    clicked = Signal(str, int, int, int)  # (layer name, tile index, y, x) of a click on a tile

    def __init__(self, layers: Sequence[tuple[str, str]] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layers: list[tuple[str, str]] = []
        self._grids: dict[str, ImageGridPanel] = {}

        self._column = QWidget()
        self._column_layout = QVBoxLayout(self._column)
        self._column_layout.setContentsMargins(0, 0, 0, 0)
        self._column_layout.addStretch(1)  # keeps few grids at the top instead of spread out

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(self._column)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll_area)
        # Scrolling moves the grids under a still pointer without any hover event, so the unit named in
        # the details would be one no longer under it ("conv1 map 6" over relu1). Forget the hover; the
        # next pointer move names the unit really under it.
        self.scroll_area.verticalScrollBar().valueChanged.connect(self._forget_hover)
        # A scroll area asks for almost no width; below this, titles and tiles become unreadable.
        self.setMinimumWidth(MIN_WIDTH)

        self.set_layers(layers)

    def set_layers(self, layers: Sequence[tuple[str, str]]) -> None:
        """Build one grid per (layer name, description); the same list again keeps the grids as they are."""
        layers = [(str(name), str(description)) for name, description in layers]
        if layers == self._layers:
            return
        for grid in self._grids.values():
            self._column_layout.removeWidget(grid)
            grid.deleteLater()
        self._grids.clear()
        for position, (name, description) in enumerate(layers):
            grid = ImageGridPanel(layer_title(name, description))
            # Bind the name now: a plain closure over the loop variable would see only the last one.
            grid.hovered.connect(lambda index, y, x, name=name: self.hovered.emit(name, index, y, x))
            grid.clicked.connect(lambda index, y, x, name=name: self.clicked.emit(name, index, y, x))
            self._column_layout.insertWidget(position, grid)
            self._grids[name] = grid
        self._layers = layers

    def _forget_hover(self) -> None:
        for grid in self._grids.values():
            grid.forget_hover()

    def layer_names(self) -> list[str]:
        return [name for name, _ in self._layers]

    def grid(self, name: str) -> ImageGridPanel:
        """The panel showing layer ``name``; KeyError for a layer not in the stack."""
        try:
            return self._grids[name]
        except KeyError:
            raise KeyError(f"no layer named {name!r} in the stack {self.layer_names()}") from None

    def show_layer(self, name: str, images: np.ndarray, diverging: bool, columns: int | None = None) -> None:
        """Show ``images`` (n, h, w) for layer ``name``: filters (diverging) or feature maps."""
        description = dict(self._layers).get(name, "")
        self.grid(name).show_grid(images, diverging=diverging, title=layer_title(name, description),
                                  columns=columns)
