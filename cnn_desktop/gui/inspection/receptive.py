"""Receptive fields: point at any unit of any feature map to see which input pixels it sees (on the
input view and on the canvas), its value, and the kernel that computed it.

Fed by messages only: the spec (for the geometry), the latest Prediction (activations and the
drawing -> input affine) and the latest Filters (kernels).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from cnn_desktop.core.inspection.receptive_fields import UnitInfo, describe_unit
from cnn_desktop.core.app.messages import Filters, Prediction
from cnn_desktop.core.network.spec import ModelSpec
from cnn_desktop.gui.panels.image_grid import ImageGridPanel

KERNEL_HINT = "its kernel: the weights that computed it"
KERNEL_PLACEHOLDER = "Its kernel (the weights that computed it) appears here."
HINT = "Point at any feature map: the part of your drawing that unit sees lights up in orange."


class ReceptiveFieldPanel(QWidget):
    """The description of the unit under the pointer, and its kernel(s)."""

    field_changed = Signal(object)  # (top, left, bottom, right) input pixels, or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spec: ModelSpec | None = None
        self._activations: dict[str, np.ndarray] = {}
        self._kernels: dict[str, np.ndarray] = {}
        self._hovered: tuple[str, int, int, int] | None = None
        self.unit: UnitInfo | None = None
        self.info = QLabel(HINT)
        self.info.setWordWrap(True)
        self.info.setMinimumHeight(2 * self.info.fontMetrics().lineSpacing() + 4)
        self.info.setStyleSheet("color: #222228;")
        self.kernel_grid = ImageGridPanel(KERNEL_HINT)
        self.kernel_placeholder = QLabel(KERNEL_PLACEHOLDER)
        self.kernel_placeholder.setWordWrap(True)
        self.kernel_placeholder.setStyleSheet("color: #8a8a96;")
        self.kernel_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.kernel_stack = QStackedWidget()
        self.kernel_stack.addWidget(self.kernel_placeholder)
        self.kernel_stack.addWidget(self.kernel_grid)
        # A fixed height: the panel must not grow or shrink as the pointer moves over the maps above,
        # or the map under the pointer would move away from it.
        self.kernel_stack.setFixedHeight(140)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.info)
        layout.addWidget(self.kernel_stack)

    def set_spec(self, spec: ModelSpec) -> None:
        self._spec = spec
        self.hover("", -1, -1, -1)

    def set_prediction(self, message: Prediction) -> None:
        self._activations = message.activations if message.image is not None else {}
        if self._hovered is not None:
            self.hover(*self._hovered)  # the same unit, with its new value

    def set_filters(self, message: Filters) -> None:
        self._kernels = {name: weights for name, weights, _ in message.layers}

    def hover(self, layer: str, tile: int, y: int, x: int) -> None:
        """The slot for LayerStackPanel.hovered; tile -1 means the pointer left."""
        activation = self._activations.get(layer)
        unit = None
        if tile >= 0 and activation is not None and self._spec is not None:
            unit = describe_unit(self._spec, layer, activation, tile, y, x)
        self._hovered = (layer, tile, y, x) if unit is not None else None
        self.unit = unit
        if unit is None:
            self.info.setText(HINT)
            self.kernel_placeholder.setText(KERNEL_PLACEHOLDER)
            self.kernel_stack.setCurrentWidget(self.kernel_placeholder)
            self.field_changed.emit(None)
            return
        self.info.setText(unit.text)
        kernels = self._kernels.get(unit.kernel_layer) if unit.kernel_layer else None
        if kernels is not None and unit.index[0] < len(kernels):
            kernel = kernels[unit.index[0]]  # (in maps, k, k): one tile per input map
            title = (f"its kernel: filter {unit.index[0]} of {unit.kernel_layer}"
                     + (f", one 5×5 slice per input map ({len(kernel)})" if len(kernel) > 1 else ""))
            self.kernel_grid.show_grid(kernel, diverging=True, title=title.replace("5×5", f"{kernel.shape[-1]}×{kernel.shape[-1]}"),
                                       columns=min(len(kernel), 8))
            self.kernel_stack.setCurrentWidget(self.kernel_grid)
        else:
            self.kernel_placeholder.setText("A fully connected unit has no kernel: it weighs every unit of the "
                                            "layer before it.")
            self.kernel_stack.setCurrentWidget(self.kernel_placeholder)
        self.field_changed.emit(unit.box)
