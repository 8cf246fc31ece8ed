"""One button per class, with its example count: a click, or the class's key, labels the drawing.

What a label key does, start to end: the key (or button) calls ``Session.add_drawing``, which stores
the drawing on screen in the collection and announces ``drawing_added`` (the window then clears the
canvas) and ``counts_changed`` (these buttons then show the new counts).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from cnn_desktop.core.tasks import Task
from cnn_desktop.core.app.session import Session


class LabelBar(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._title = QLabel("Add as:")
        self._title.setToolTip("Label the drawing: click a class, or press its key")
        self._layout.addWidget(self._title)
        self._buttons: dict[str, QToolButton] = {}
        self._shortcuts: list[QShortcut] = []
        session.task_changed.connect(self._set_task)
        session.counts_changed.connect(self._set_counts)

    def button(self, name: str) -> QToolButton:
        return self._buttons[name]

    def _set_task(self, task: Task) -> None:
        for button in self._buttons.values():
            self._layout.removeWidget(button)
            button.deleteLater()
        for shortcut in self._shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._buttons, self._shortcuts = {}, []
        for name, key in zip(task.classes, task.keys):
            button = QToolButton()
            button.setText(name)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setMinimumWidth(28)  # ten digit buttons must fit under a narrow canvas
            button.setToolTip(f"Add the drawing to your collection as '{name}' (key {key})")
            button.clicked.connect(lambda _=False, n=name: self.session.add_drawing(n))
            self._layout.addWidget(button)
            self._buttons[name] = button
            # The key works anywhere in the window, not only when this bar has the focus.
            shortcut = QShortcut(QKeySequence(key), self, context=Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda n=name: self.session.add_drawing(n))
            self._shortcuts.append(shortcut)

    def _set_counts(self, counts: dict[str, int]) -> None:
        for name, button in self._buttons.items():
            button.setText(f"{name} ({counts.get(name, 0)})")
