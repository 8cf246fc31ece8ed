"""The "not sure" threshold slider: below it the prediction's headline hedges instead of guessing.

The threshold itself is the session's (one owner); this slider shows it and sets it.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from cnn_desktop.core.app.session import Session


class ThresholdSlider(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100)
        self.slider.setToolTip(
            "When the top class gets less than this probability, the network says it is not sure.\n"
            "The top probability (maximum softmax) is used because it means the same for every model;\n"
            "a drawing unlike anything the network knows usually spreads its probability out.")
        self.label = QLabel()
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("Not sure below 100%"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.slider, 1)
        self.slider.valueChanged.connect(lambda value: session.set_threshold(value / 100))
        session.threshold_changed.connect(self._show)
        self._show(session.threshold)

    @property
    def threshold(self) -> float:
        return self.session.threshold

    def _show(self, threshold: float) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(round(threshold * 100))
        self.label.setText(f"Not sure below {round(threshold * 100)}%")
