"""The "not sure" threshold: below it the prediction's headline hedges instead of guessing."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from cnn_desktop.core.explain import DEFAULT_SURE_THRESHOLD


class ThresholdSlider(QWidget):
    threshold_changed = Signal(float)  # in [0, 1]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100,
                              value=round(DEFAULT_SURE_THRESHOLD * 100))
        self.slider.setToolTip(
            "When the top class gets less than this probability, the network says it is not sure.\n"
            "The top probability (maximum softmax) is used because it means the same for every model;\n"
            "a drawing unlike anything the network knows usually spreads its probability out.")
        self.label = QLabel()
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("Not sure below 100%"))
        self.slider.valueChanged.connect(self._changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.slider, 1)
        self._changed(self.slider.value())

    @property
    def threshold(self) -> float:
        return self.slider.value() / 100

    def _changed(self, value: int) -> None:
        self.label.setText(f"Not sure below {value}%")
        self.threshold_changed.emit(value / 100)
