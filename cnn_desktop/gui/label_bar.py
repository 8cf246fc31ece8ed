"""One button per class, with its key and its example count: a click, or the key, labels the drawing.

What a label key does, start to end: the key (or button) calls ``Session.add_drawing``, which stores
the drawing on screen in the collection and announces ``drawing_added`` (the window then clears the
canvas) and ``counts_changed`` (these buttons then show the new counts).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QToolButton, QWidget
from superqt import QFlowLayout

from cnn_desktop.core.tasks import Task
from cnn_desktop.core.app.session import Session


# A project may have up to 50 classes: the buttons wrap into rows (superqt's flow layout), and past
# this many rows they scroll, so that the canvas above keeps most of the window at 1280x800.
MAX_ROWS = 3


class LabelBar(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self._title = QLabel("Add as:")
        self._title.setToolTip("Label the drawing: click a class, or press its key")
        row.addWidget(self._title, 0, Qt.AlignmentFlag.AlignTop)
        self._holder = QWidget()
        self._layout = QFlowLayout(self._holder)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setHorizontalSpacing(3)  # the style's 6 px pushed the tenth digit onto a second row
        self._layout.setVerticalSpacing(3)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(self._holder)
        self.scroll_area.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # One row until the buttons are laid out: a scroll area's own size hint is a guess that, while
        # the window was first laid out, made it 80 px taller than a 1280x800 screen.
        self.scroll_area.setFixedHeight(QToolButton().sizeHint().height())
        row.addWidget(self.scroll_area, 1)
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
            button = QToolButton()  # its own width: ten digit buttons fit one row under a 550 px canvas
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

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_rows()

    def _fit_rows(self) -> None:
        """As tall as the rows the buttons need at this width, up to MAX_ROWS; beyond, they scroll."""
        width = max(self.scroll_area.viewport().width(), 1)
        needed = self._layout.heightForWidth(width) if self._buttons else 0
        row = next(iter(self._buttons.values())).sizeHint().height() if self._buttons else 0
        most = MAX_ROWS * row + (MAX_ROWS - 1) * max(self._layout.verticalSpacing(), 0)
        self.scroll_area.setFixedHeight(max(min(needed, most), row))

    def _set_counts(self, counts: dict[str, int]) -> None:
        for name, button in self._buttons.items():
            button.setText(button_text(name, self._keys.get(name), counts.get(name)))
        # New buttons are shown, and so take room in the flow, only once the event loop runs again.
        QTimer.singleShot(0, self, self._fit_rows)  # and a longer count can move a button down a row


def button_text(name: str, key: str | None, count: int | None) -> str:
    """"circle (3)  [C]": the key in brackets, except where it is the name itself ("7 (3)": a digit's key
    is the digit, and ten buttons with it twice would be too wide for the canvas above them)."""
    shown_key = f"  [{key}]" if key and key != name.upper() else ""
    counted = "…" if count is None else count  # None: not counted yet (a large project's first count)
    return f"{name} ({counted}){shown_key}"
