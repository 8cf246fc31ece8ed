"""The filters of every conv layer, kept up to date from the session.

(The feature maps of the drawing are in the network overview, gui/panels/network_overview.py.)
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from cnn_desktop.core.app.messages import Filters
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.inspection.presentation import filter_tiles, filter_title, strongest_slices
from cnn_desktop.gui.panels.image_grid import ImageGridPanel, default_columns
from cnn_desktop.gui.panels.layers import LayerStackPanel


class FilterSlices(QDialog):
    """One filter of a deeper conv layer: its k×k slice for every input map it reads."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.layer, self.index = "", 0
        self.grid = ImageGridPanel("")
        layout = QVBoxLayout(self)
        layout.addWidget(self.grid)
        self.resize(520, 420)

    def show_filter(self, layer: str, index: int, weights: np.ndarray) -> None:
        """Filter ``index`` of ``layer`` from the layer's ``weights`` (out, in, k, k)."""
        self.layer, self.index = layer, index
        slices = weights[index]
        strongest = int(np.square(slices).sum(axis=(1, 2)).argmax())
        k = slices.shape[-1]
        self.setWindowTitle(f"{layer} filter {index}")
        self.grid.tile_names = [f"input map {i}" + (" (strongest)" if i == strongest else "")
                                for i in range(len(slices))]
        self.grid.show_grid(slices, diverging=True, columns=default_columns(len(slices)),
                            title=f"{layer} filter {index}: its {len(slices)} slices of {k}×{k}, one per "
                                  f"input map (strongest: map {strongest})")


class FiltersView(LayerStackPanel):
    """The kernels of every conv layer, red positive and blue negative: conv1's whole, a deeper layer's
    as one tile per filter (its strongest slice) that a click opens into all its slices."""

    def __init__(self, session: Session | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self._weights: dict[str, np.ndarray] = {}
        self.slices: FilterSlices | None = None  # made on the first click
        self.clicked.connect(self.open_filter)
        if session is not None:
            session.filters_changed.connect(self.show_filters)

    def show_filters(self, message: Filters) -> None:
        layers = [(name, filter_title(weights)) for name, weights, _ in message.layers]
        if self.layer_names() != [name for name, _ in layers]:
            self.set_layers(layers)
        self._weights = {name: weights for name, weights, _ in message.layers}
        for name, weights, _ in message.layers:
            tiles, columns = filter_tiles(weights)
            grid = self.grid(name)
            if weights.shape[1] > 1:
                _, which = strongest_slices(weights)
                grid.tile_names = [f"filter {i} (its slice for input map {m})" for i, m in enumerate(which)]
            else:
                grid.tile_names = [f"filter {i}" for i in range(len(weights))]
            self.show_layer(name, tiles, diverging=True, columns=columns)
        if self.slices is not None and self.slices.isVisible() and self.slices.layer in self._weights:
            self.slices.show_filter(self.slices.layer, self.slices.index, self._weights[self.slices.layer])

    def open_filter(self, layer: str, index: int, _y: int = 0, _x: int = 0) -> FilterSlices | None:
        """Open filter ``index`` of a deeper conv ``layer`` as its slices; None for a one-input layer
        (its tile is already the whole filter)."""
        weights = self._weights.get(layer)
        if weights is None or weights.shape[1] == 1 or not 0 <= index < len(weights):
            return None
        if self.slices is None:
            self.slices = FilterSlices(self.window())
        self.slices.show_filter(layer, index, weights)
        self.slices.show()
        self.slices.raise_()
        return self.slices
