"""One button per class, with its key and its example count: a click, or the key, labels the drawing.

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
        self._keys: dict[str, str | None] = {}
        session.task_changed.connect(self._set_task)
        session.counts_changed.connect(self._set_counts)

    def button(self, name: str) -> QToolButton:
        """The button of the class shown as ``name``."""
        return self._buttons[name]

    def _set_task(self, task: Task) -> None:
        for button in self._buttons.values():
            self._layout.removeWidget(button)
            button.deleteLater()
        for shortcut in self._shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._buttons, self._shortcuts, self._keys = {}, [], {}
        # Drawings are labelled by class id (a person's project keeps it when a class is renamed);
        # the button shows the display name and the key.
        for name, class_id, key in zip(task.classes, task.class_ids, task.keys):
            button = QToolButton()
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setMinimumWidth(28)  # ten digit buttons must fit under a narrow canvas
            how = f"key {key}" if key else "no key: click this button"
            button.setToolTip(f"Add the drawing to your collection as '{name}' ({how})")
            button.clicked.connect(lambda _=False, c=class_id: self.session.add_drawing(c))
            self._layout.addWidget(button)
            self._buttons[name] = button
            self._keys[name] = key
            if key:
                # The key works anywhere in the window, not only when this bar has the focus.
                shortcut = QShortcut(QKeySequence(key), self, context=Qt.ShortcutContext.WindowShortcut)
                shortcut.activated.connect(lambda c=class_id: self.session.add_drawing(c))
                self._shortcuts.append(shortcut)
        self._set_counts({})

    def _set_counts(self, counts: dict[str, int]) -> None:
        for name, button in self._buttons.items():
            button.setText(button_text(name, self._keys.get(name), counts.get(name, 0)))


def button_text(name: str, key: str | None, count: int) -> str:
    """"circle (3)  [C]": the key in brackets, except where it is the name itself ("7 (3)": a digit's key
    is the digit, and ten buttons with it twice would be too wide for the canvas above them)."""
    shown_key = f"  [{key}]" if key and key != name.upper() else ""
    return f"{name} ({count}){shown_key}"
