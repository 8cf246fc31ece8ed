"""The person's collection as thumbnails per class; delete or relabel any drawing."""

from __future__ import annotations

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
        # Thumbnails of the examples shown, by (label, id), which name one file. An example's file is
        # never rewritten in place (a relabel moves it to another label), so its thumbnail stays right;
        # decoding all of them again after every added drawing cost up to 300 PNG reads, 150 ms per key.
        self._icons: dict[tuple[str, str], QIcon] = {}
        self._shown: tuple[str, list[tuple[str, str]]] = ("", [])  # the class shown and its drawings, newest first
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

    def set_store(self, store: DrawingStore, refresh: bool = True) -> None:
        self._store = store
        self._icons, self._shown = {}, ("", [])
        with QSignalBlocker(self.filter):
            self.filter.clear()
            self.filter.addItems([ALL, *store.classes])
        self.editor.set_store(store)
        if refresh:
            self.refresh()

    def refresh(self) -> None:
        """Show the newest drawings of the chosen class. The store answers from what it keeps (no file
        is listed or read unless its folders changed), and when the only change since the last refresh
        is drawings added (a label key), only their thumbnails are inserted at the top: a refresh after
        each label key then costs the same with 60 drawings or 60,000."""
        if self._store is None:
            self.editor.clear()
            return
        label = self.filter.currentText()
        shown, total = self._store.newest(None if label in (ALL, "") else label, MAX_SHOWN)
        keys = [(example.label, example.id) for example in shown]  # cheaper to compare than Paths
        new = self._only_added(label, keys)
        if new is None:
            self.editor.clear()
            new = len(shown)
        else:
            for _ in range(self.editor.list.count() - (len(keys) - new)):
                self.editor.list.takeItem(self.editor.list.count() - 1)  # the oldest go
        kept = set(keys[new:])
        icons = {key: icon for key, icon in self._icons.items() if key in kept}
        for row, example in enumerate(shown[:new]):
            icon = self.editor.add(example.id, example.label, f"{example.label} · {example.path.name}",
                                   self._icons.get(keys[row]))
            if icon is None:  # a damaged file: the store reports it in its problems
                continue
            icons[keys[row]] = icon
            self.editor.list.insertItem(row, self.editor.list.takeItem(self.editor.list.count() - 1))
        self._icons = icons  # only what is shown: memory stays bounded by MAX_SHOWN
        self._shown = (label, [key for key in keys if key in icons])
        more = f" (showing the newest {len(shown)})" if len(shown) < total else ""
        self.summary.setText(f"{total} drawings{more}. Right-click to delete or relabel.")

    def _only_added(self, label: str, keys: list[tuple[str, str]]) -> int | None:
        """How many drawings at the top of ``keys`` are new, when all that changed since the last refresh
        (same class shown, same list on screen) is drawings added; else None (show all again)."""
        shown_label, before = self._shown
        if shown_label != label or not before or len(before) != self.editor.list.count():
            return None
        new = next((i for i, key in enumerate(keys) if key == before[0]), None)
        if new is None or keys[new:] != before[: len(keys) - new]:
            return None
        return new

    def _edited(self, count: int, done: str) -> None:
        self.refresh()
        self.changed.emit()
