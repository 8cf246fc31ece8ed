"""One map enlarged, opened by a click in the network overview: the map, the kernel(s) that computed
it, and the receptive field of a unit drawn on the drawing. Pointing at the enlarged map moves the
unit; the window follows the live drawing until it is closed.

Fed by messages only: the spec (geometry), the latest Prediction (activations, the drawing) and the
latest Filters (kernels).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cnn_desktop.core.app.messages import Filters, Prediction
from cnn_desktop.core.inspection.presentation import as_tiles, signed_layers
from cnn_desktop.core.inspection.receptive_fields import UnitInfo, describe_unit
from cnn_desktop.core.network.spec import ModelSpec
from cnn_desktop.gui.input_view import InputView
from cnn_desktop.gui.panels.image_grid import ImageGridPanel, default_columns

NO_KERNEL = "A fully connected unit has no kernel: it weighs every unit of the layer before it."


class MapDetail(QDialog):
    """A window showing one map of one layer, large, with its kernel and a unit's receptive field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("A feature map, enlarged")
        self.setModal(False)
        self.spec: ModelSpec | None = None
        self.layer = ""
        self.index = 0
        self.unit: UnitInfo | None = None
        self._prediction: Prediction | None = None
        self._kernels: dict[str, np.ndarray] = {}
        self._point = (0, 0)

        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: bold;")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.map_grid = ImageGridPanel("")
        self.map_grid.setMinimumSize(260, 260)
        self.map_grid.hovered.connect(self._map_hovered)
        self.marker = QGraphicsRectItem()  # the unit whose receptive field is drawn
        self.marker.setPen(QPen(QColor(230, 90, 0), 0))
        self.marker.setZValue(5)
        self.map_grid.view.addItem(self.marker, ignoreBounds=True)
        self.kernel_grid = ImageGridPanel("")
        self.kernel_grid.setMinimumSize(220, 160)
        self.kernel_note = QLabel(NO_KERNEL)
        self.kernel_note.setWordWrap(True)
        self.kernel_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.kernel_note.setStyleSheet("color: #55555f;")
        self.drawing = InputView()
        drawing_column = QVBoxLayout()
        drawing_column.addWidget(QLabel("What the unit sees\nof the drawing:"))
        drawing_column.addWidget(self.drawing)
        drawing_column.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.map_grid, 3)
        kernel_column = QVBoxLayout()
        kernel_column.addWidget(self.kernel_grid, 1)
        kernel_column.addWidget(self.kernel_note)
        row.addLayout(kernel_column, 2)
        row.addLayout(drawing_column)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(row, 1)
        layout.addWidget(self.info)
        self.resize(760, 420)

    def set_filters(self, message: Filters) -> None:
        self._kernels = {name: weights for name, weights, _ in message.layers}
        self._refresh()

    def set_prediction(self, message: Prediction) -> None:
        self._prediction = message
        self._refresh()

    def show_unit(self, spec: ModelSpec, layer: str, index: int, row: int, col: int,
                  prediction: Prediction | None) -> None:
        """Map ``index`` of ``layer`` (a unit index for a flat layer), with unit (row, col) pointed at."""
        self.spec, self.layer, self.index, self._point = spec, layer, index, (row, col)
        self._prediction = prediction
        self._refresh()

    def _activation(self) -> np.ndarray | None:
        if self._prediction is None or self._prediction.image is None:
            return None
        return self._prediction.activations.get(self.layer)

    def _refresh(self) -> None:
        if self.spec is None:
            return
        activation = self._activation()
        signed = self.layer in signed_layers(self.spec)
        flat = activation is not None and activation.ndim == 1
        if activation is None:
            self.map_grid.blank()
            self.heading.setText(f"{self.layer}: nothing to show (the canvas is empty)")
        elif flat:
            tiles, columns = as_tiles(activation)
            self.map_grid.show_grid(tiles, diverging=signed, title=f"{self.layer}: all {activation.size} units",
                                    columns=columns)
            self.heading.setText(f"{self.layer}, unit {self.index}")
        else:
            self.index = min(self.index, len(activation) - 1)
            size = activation.shape[-1]
            self.map_grid.show_grid(activation[self.index: self.index + 1], diverging=signed,
                                    title=f"{self.layer} map {self.index} ({size}×{size})", columns=1)
            self.heading.setText(f"{self.layer}, map {self.index} of {len(activation)}")
        self._describe(activation)

    def _map_hovered(self, tile: int, y: int, x: int) -> None:
        if tile < 0:
            return  # keep the last unit pointed at: the person may move to the kernel or the drawing
        activation = self._activation()
        if activation is not None and activation.ndim == 1:
            self.index = (y * 16 + x) if activation.size > 16 else x
            self._point = (0, 0)
        else:
            self._point = (y, x)
        self._describe(activation)

    def _describe(self, activation: np.ndarray | None) -> None:
        self.unit = None
        if activation is not None:
            if activation.ndim == 1:
                row, col = divmod(self.index, 16) if activation.size > 16 else (0, self.index)
                self.unit = describe_unit(self.spec, self.layer, activation, 0, row, col)
            else:
                self.unit = describe_unit(self.spec, self.layer, activation, self.index, *self._point)
        if self.unit is not None and activation is not None and activation.ndim == 3:
            row, col = self._point
            self.marker.setRect(QRectF(col, row, 1, 1))
            self.marker.show()
        else:
            self.marker.hide()
        self.drawing.show_image(self._prediction.image if self._prediction is not None else None)
        self.drawing.set_highlight(self.unit.box if self.unit is not None else None)
        self.info.setText(self.unit.text if self.unit is not None else "")
        kernels = self._kernels.get(self.unit.kernel_layer) if self.unit and self.unit.kernel_layer else None
        if kernels is not None and self.unit.index[0] < len(kernels):
            kernel = kernels[self.unit.index[0]]  # (input maps, k, k): one slice per map it reads
            k = kernel.shape[-1]
            slices = f", one {k}×{k} slice per input map ({len(kernel)})" if len(kernel) > 1 else f", {k}×{k}"
            self.kernel_grid.show_grid(kernel, diverging=True, columns=default_columns(len(kernel)),
                                       title=f"its kernel: filter {self.unit.index[0]} of {self.unit.kernel_layer}{slices}")
            self.kernel_grid.show()
            self.kernel_note.hide()
        else:
            self.kernel_grid.hide()
            self.kernel_note.show()
