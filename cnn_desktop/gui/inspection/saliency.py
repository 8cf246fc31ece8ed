"""The "Show what the network looks at" switch: which class to explain, and how.

The engine computes the heat map (it needs gradients) only while this is on; the window asks for it
with every drawing it sends.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLabel, QWidget

from cnn_desktop.core.app.messages import TOP_CLASS

TOP = TOP_CLASS  # explain whichever class the network guesses
METHODS = (
    ("gradcam", "as regions",
     "Grad-CAM: the last conv layer's maps, weighted by how much each one raises the class's score.\n"
     "Shows which regions of the drawing speak for the class, at the resolution of that layer."),
    ("gradient-x-input", "as strokes",
     "Gradient × input: for each pixel of ink, how much the class's score would drop without it.\n"
     "Red ink speaks for the class, blue ink against it."),
)


class SaliencyControls(QWidget):
    changed = Signal()  # switched on or off, or another class or method chosen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QCheckBox("Show what the network looks at")
        self.toggle.setToolTip("A heat map over your drawing: where the network finds evidence for a class")
        self.class_box = QComboBox()
        self.class_box.setToolTip("The class to explain")
        self.method_box = QComboBox()
        for key, text, tip in METHODS:
            self.method_box.addItem(text, key)
            self.method_box.setItemData(self.method_box.count() - 1, tip, role=3)  # Qt.ToolTipRole
        self.method_box.setToolTip("Regions: Grad-CAM on the last conv layer. Strokes: gradient × input, pixel by pixel.\n"
                                   "(Hover the choices for details.)")
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color: #55555f;")
        self.legend.hide()  # shown with something to say: an empty line would take room in a full dock
        for box in (self.class_box, self.method_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(8)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle, 0, 0, 1, 2)
        layout.addWidget(self.class_box, 1, 0)
        layout.addWidget(self.method_box, 1, 1)
        layout.addWidget(self.legend, 2, 0, 1, 2)
        self.toggle.toggled.connect(self._changed)
        self.class_box.currentIndexChanged.connect(self._changed)
        self.method_box.currentIndexChanged.connect(self._changed)
        self._classes: list[str] = []
        self._changed()

    def set_classes(self, classes: Sequence[str]) -> None:
        self._classes = [str(c) for c in classes]
        with QSignalBlocker(self.class_box):
            self.class_box.clear()
            self.class_box.addItem("for its guess", TOP)
            for index, name in enumerate(self._classes):
                self.class_box.addItem(f"for {name}", index)
        self._changed()

    @property
    def enabled(self) -> bool:
        return self.toggle.isChecked()

    @property
    def method(self) -> str:
        return self.method_box.currentData() or METHODS[0][0]

    def request(self) -> tuple[int | str | None, str]:
        """(saliency_class, saliency_method) for the next Predict: None when switched off."""
        if not self.enabled:
            return None, self.method
        wanted = self.class_box.currentData()
        return (TOP if wanted is None else wanted), self.method

    def _say(self, text: str) -> None:
        self.legend.setText(text)
        self.legend.setVisible(bool(text))

    def explain(self, class_index: int | None, empty: bool = False) -> None:
        """Say what the heat map on screen shows (class_index: the class the engine explained)."""
        if not self.enabled:
            self._say("")
            return
        if class_index is None or not 0 <= class_index < len(self._classes):
            self._say("Draw something to see where the network looks.")
            return
        name = self._classes[class_index]
        if empty:
            self._say(f"Nothing in this drawing raises the score of {name}.")
        elif self.method == "gradcam":
            self._say(f"Yellow to red: the regions that speak most for {name} (Grad-CAM).")
        else:
            self._say(f"Red ink speaks for {name}, blue ink against it (gradient × input).")

    def _changed(self, *_) -> None:
        on = self.enabled
        self.class_box.setEnabled(on)
        self.method_box.setEnabled(on)
        if not on:
            self._say("")
        self.changed.emit()
