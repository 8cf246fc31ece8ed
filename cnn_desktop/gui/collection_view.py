"""The person's collection as thumbnails per class; delete or relabel any drawing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.data.store import DrawingStore

# Reading thumbnails happens on the GUI thread, so a view shows the newest few hundred; a collection
# imported from MNIST can hold thousands.
MAX_SHOWN = 300
THUMB = 56
ALL = "All classes"


def thumbnail(raster: np.ndarray) -> QPixmap:
    grey = np.ascontiguousarray(255 - np.clip(raster * 255, 0, 255).astype(np.uint8))
    image = QImage(grey.data, grey.shape[1], grey.shape[0], grey.strides[0], QImage.Format.Format_Grayscale8)
    return QPixmap.fromImage(image.copy()).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.SmoothTransformation)


class CollectionView(QWidget):
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
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 14, THUMB + 22))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected drawings (Del)")
        self.delete_button.clicked.connect(self.delete_selected)
        self.relabel_box = QComboBox()
        self.relabel_box.setToolTip("Move the selected drawings to another class")
        self.relabel_button = QPushButton("Relabel as")
        self.relabel_button.clicked.connect(lambda: self.relabel_selected(self.relabel_box.currentText()))
        QShortcut(QKeySequence.StandardKey.Delete, self.list, self.delete_selected)

        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        actions.addWidget(self.relabel_button)
        actions.addWidget(self.relabel_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addLayout(actions)

    def set_store(self, store: DrawingStore) -> None:
        self._store = store
        self._icons = {}
        with QSignalBlocker(self.filter):
            self.filter.clear()
            self.filter.addItems([ALL, *store.classes])
        self.relabel_box.clear()
        self.relabel_box.addItems(list(store.classes))
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        if self._store is None:
            return
        label = self.filter.currentText()
        examples = self._store.examples(None if label in (ALL, "") else label)
        shown = examples[-MAX_SHOWN:][::-1]  # newest first
        icons = {}
        for example in shown:
            icon = self._icons.get(example.path)
            if icon is None:
                try:
                    icon = QIcon(thumbnail(self._store.raster(example.id)))
                except CnnDesktopError:
                    continue  # a damaged file: the store reports it in its problems
            icons[example.path] = icon
            item = QListWidgetItem(icon, example.label)
            item.setData(Qt.ItemDataRole.UserRole, example.id)
            item.setToolTip(f"{example.label} · {example.path.name}")
            self.list.addItem(item)
        self._icons = icons  # only what is shown: memory stays bounded by MAX_SHOWN
        more = f" (showing the newest {len(shown)})" if len(shown) < len(examples) else ""
        self.summary.setText(f"{len(examples)} drawings{more}. Right-click to delete or relabel.")

    def selected_ids(self) -> list[str]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()]

    def delete_selected(self) -> None:
        self._apply(lambda store, example_id: store.remove(example_id))

    def relabel_selected(self, label: str) -> None:
        if label:
            self._apply(lambda store, example_id: store.relabel(example_id, label))

    def _apply(self, action) -> None:
        ids = self.selected_ids()
        if self._store is None or not ids:
            return
        try:
            for example_id in ids:
                action(self._store, example_id)
        except CnnDesktopError as error:
            self.problem.emit(str(error))
        self.refresh()
        self.changed.emit()

    def _context_menu(self, position) -> None:
        if not self.selected_ids() or self._store is None:
            return
        menu = QMenu(self)
        menu.addAction("Delete", self.delete_selected)
        relabel = menu.addMenu("Relabel as")
        for name in self._store.classes:
            relabel.addAction(name, lambda n=name: self.relabel_selected(n))
        menu.exec(self.list.mapToGlobal(position))
