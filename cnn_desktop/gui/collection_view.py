"""The person's collection as thumbnails per class; delete or relabel any drawing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.gui.drawing_editor import MAX_SHOWN, DrawingEditor, HasDrawingEditor

ALL = "All classes"


class CollectionView(HasDrawingEditor, QWidget):
    changed = Signal()  # examples were deleted or relabelled
    problem = Signal(str)  # one-line message for the person

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._store: DrawingStore | None = None
        # Thumbnails of the examples shown, by file. An example's file is never rewritten in place (a
        # relabel moves it to another path), so a path's thumbnail stays right; decoding all of them
        # again after every added drawing cost up to 300 PNG reads, 150 ms per key press.
        self._icons: dict[Path, QIcon] = {}
        self.filter = QComboBox()
        self.filter.currentIndexChanged.connect(self.refresh)
        self.summary = QLabel()
        self.editor = DrawingEditor()
        self.editor.failed.connect(self.problem)
        self.editor.edited.connect(self._edited)

        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.editor, 1)

    def set_store(self, store: DrawingStore) -> None:
        self._store = store
        self._icons = {}
        with QSignalBlocker(self.filter):
            self.filter.clear()
            self.filter.addItems([ALL, *store.classes])
        self.editor.set_store(store)
        self.refresh()

    def refresh(self) -> None:
        self.editor.clear()
        if self._store is None:
            return
        label = self.filter.currentText()
        examples = self._store.examples(None if label in (ALL, "") else label)
        shown = examples[-MAX_SHOWN:][::-1]  # newest first
        icons = {}
        for example in shown:
            icon = self.editor.add(example.id, example.label, f"{example.label} · {example.path.name}",
                                   self._icons.get(example.path))
            if icon is not None:  # else a damaged file: the store reports it in its problems
                icons[example.path] = icon
        self._icons = icons  # only what is shown: memory stays bounded by MAX_SHOWN
        more = f" (showing the newest {len(shown)})" if len(shown) < len(examples) else ""
        self.summary.setText(f"{len(examples)} drawings{more}. Right-click to delete or relabel.")

    def _edited(self, count: int, done: str) -> None:
        self.refresh()
        self.changed.emit()
