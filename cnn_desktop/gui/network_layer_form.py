"""The network editor's form for the selected layer: its kind, and the numbers that kind has.

Only the fields of the layer's kind are shown (filters, kernel, stride and padding for a conv; window
and stride for a pool; units for fc; p for dropout). Every change, keystroke by keystroke, becomes a
new frozen layer sent out by ``edited``; the editor measures the network again at once.
"""

from __future__ import annotations

from dataclasses import fields, replace

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from cnn_desktop.core.app.network_editing import new_layer
from cnn_desktop.core.network.spec import LAYER_KINDS, Layer, layer_kind

KIND_TEXT = {
    "conv": "conv: filters slide over the maps", "relu": "relu: max(0, x)", "tanh": "tanh: squash to (-1, 1)",
    "sigmoid": "sigmoid: squash to (0, 1)", "pool": "pool: max of each window",
    "avgpool": "avgpool: average of each window",
    "flatten": "flatten: maps to one vector", "fc": "fc: fully connected", "dropout": "dropout (training only)",
}
# Wide enough for every design worth trying; what these allow but the limits do not is refused inline.
# In the order shown: a conv reads filters, kernel, stride, padding; a pool window, stride.
RANGES = {"filters": (1, 512), "kernel": (1, 15), "window": (1, 8), "stride": (1, 8), "padding": (0, 7),
          "units": (1, 4096)}
TIPS = {
    "filters": "How many kernels, hence maps: each filter looks for one pattern everywhere",
    "kernel": "Side of each filter, in the pixels of the maps it reads",
    "stride": "Step between two neighbouring windows: 2 halves the maps",
    "padding": "Zeros added around the maps first: 2 keeps a 5x5 conv's maps their size",
    "window": "Side of the block each output summarises",
    "units": "Outputs of the layer; each sees every input",
    "p": "Share of the units dropped at each training step",
}


class LayerForm(QWidget):
    edited = Signal(object)  # the layer as the form now has it

    def __init__(self) -> None:
        super().__init__()
        self.kind = QComboBox()
        for kind in LAYER_KINDS:
            self.kind.addItem(KIND_TEXT[kind], kind)
        self.kind.setToolTip("The kind of the selected layer; its numbers follow it")
        self.kind.currentIndexChanged.connect(self._kind_chosen)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Selected layer:"))
        layout.addWidget(self.kind)
        self.boxes: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self.labels: dict[str, QLabel] = {}
        for name in (*RANGES, "p"):
            box = QDoubleSpinBox() if name == "p" else QSpinBox()
            if name == "p":
                box.setRange(0.0, 0.95)
                box.setSingleStep(0.05)
            else:
                box.setRange(*RANGES[name])
            box.setToolTip(TIPS[name])
            box.valueChanged.connect(self._number_changed)
            label = QLabel(name)
            label.setBuddy(box)
            layout.addWidget(label)
            layout.addWidget(box)
            self.boxes[name], self.labels[name] = box, label
        layout.addStretch(1)
        self.layer: Layer | None = None
        self.show_layer(None)

    def show_layer(self, layer: Layer | None) -> None:
        """Show ``layer``'s kind and numbers (None: no layer selected, the form is off)."""
        self.layer = layer
        self.setEnabled(layer is not None)
        blockers = [QSignalBlocker(self.kind)] + [QSignalBlocker(b) for b in self.boxes.values()]
        own = {f.name for f in fields(layer)} if layer is not None else set()
        if layer is not None:
            self.kind.setCurrentIndex(self.kind.findData(layer_kind(layer)))
        for name, box in self.boxes.items():
            box.setVisible(name in own)
            self.labels[name].setVisible(name in own)
            if name in own:
                box.setValue(getattr(layer, name))
        del blockers

    def set_field(self, name: str, value) -> None:
        """As if the person typed ``value`` into ``name``'s box (tests, scripts)."""
        self.boxes[name].setValue(value)

    def set_kind(self, kind: str) -> None:
        self.kind.setCurrentIndex(self.kind.findData(kind))

    def _kind_chosen(self, _index: int) -> None:
        if self.layer is None:
            return
        layer = new_layer(self.kind.currentData(), like=self.layer)
        self.show_layer(layer)
        self.edited.emit(layer)

    def _number_changed(self, _value) -> None:
        if self.layer is None:
            return
        own = {f.name for f in fields(self.layer)}
        values = {name: box.value() for name, box in self.boxes.items() if name in own}
        self.layer = replace(self.layer, **values)
        self.edited.emit(self.layer)
