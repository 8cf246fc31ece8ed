"""One button per class, with its example count: a click (or the class's key) labels the drawing."""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget


class LabelBar(QWidget):
    label_chosen = Signal(str)  # class name

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._title = QLabel("Add as:")
        self._title.setToolTip("Label the drawing: click a class, or press its key")
        self._layout.addWidget(self._title)
        self._buttons: dict[str, QToolButton] = {}

    def set_classes(self, classes: Sequence[str], keys: Sequence[str]) -> None:
        for button in self._buttons.values():
            self._layout.removeWidget(button)
            button.deleteLater()
        self._buttons = {}
        for name, key in zip(classes, keys):
            button = QToolButton()
            button.setText(name)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setMinimumWidth(28)  # ten digit buttons must fit under a narrow canvas
            button.setToolTip(f"Add the drawing to your collection as '{name}' (key {key})")
            button.clicked.connect(lambda _=False, n=name: self.label_chosen.emit(n))
            self._layout.addWidget(button)
            self._buttons[name] = button

    def set_counts(self, counts: dict[str, int]) -> None:
        for name, button in self._buttons.items():
            button.setText(f"{name} ({counts.get(name, 0)})")

    def button(self, name: str) -> QToolButton:
        return self._buttons[name]
