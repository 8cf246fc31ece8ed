"""Thumbnails of stored drawings, to select and then delete or relabel: the editor that the collection
view and the Mistakes panel (gui/inspection/confusion_view.py) both show.

The selected drawings are deleted with the Delete button, the Del key while the thumbnails have the
focus, or the right-click menu; relabelled with the "Relabel as" button and its class box, or the
right-click menu. The editor changes the store itself and says what happened with ``edited`` (and
``failed``); what to show then, and whom to tell, is the view's.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.errors import CnnDesktopError

# Reading thumbnails happens on the GUI thread, so a view shows the newest few hundred; a collection
# imported from MNIST can hold thousands.
MAX_SHOWN = 300
THUMB = 56


def thumbnail(raster: np.ndarray) -> QPixmap:
    grey = np.ascontiguousarray(255 - np.clip(raster * 255, 0, 255).astype(np.uint8))
    image = QImage(grey.data, grey.shape[1], grey.shape[0], grey.strides[0], QImage.Format.Format_Grayscale8)
    return QPixmap.fromImage(image.copy()).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.SmoothTransformation)


class DrawingEditor(QWidget):
    # After each delete or relabel of a selection: how many drawings changed (0 when the first one
    # failed), and what was done ("deleted", "relabelled as tick"). Their thumbnails are gone already.
    edited = Signal(int, str)
    failed = Signal(str)  # one line, sent before ``edited``: the drawings after it were left as they were

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store: DrawingStore | None = None
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 14, THUMB + 22))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        # Only while the thumbnails have the focus: two editors in one window (the collection and the
        # Mistakes docks side by side) would otherwise make Del ambiguous, and Qt then runs neither.
        QShortcut(QKeySequence.StandardKey.Delete, self.list, self.delete_selected,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected drawings from your collection (Del)")
        self.delete_button.clicked.connect(self.delete_selected)
        self.relabel_box = QComboBox()
        self.relabel_box.setToolTip("Move the selected drawings to another class")
        self.relabel_button = QPushButton("Relabel as")
        self.relabel_button.setToolTip("Move the selected drawings to another class")
        self.relabel_button.clicked.connect(lambda: self.relabel_selected(self.relabel_box.currentText()))

        actions = QHBoxLayout()
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        actions.addWidget(self.relabel_button)
        actions.addWidget(self.relabel_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(actions)
        self._enable_actions()

    def set_store(self, store: DrawingStore | None) -> None:
        """Edit this collection's drawings (None: none); the thumbnails are cleared."""
        self._store = store
        self.relabel_box.clear()
        if store is not None:
            self.relabel_box.addItems(list(store.classes))
        self.clear()

    def clear(self) -> None:
        self.list.clear()
        self._enable_actions()

    def add(self, example_id: str, caption: str, tooltip: str, icon: QIcon | None = None) -> QIcon | None:
        """Show one drawing, with ``icon`` or else its thumbnail read from the store; returns the icon,
        or None (and shows nothing) when the drawing cannot be read (damaged, or gone since)."""
        if icon is None:
            if self._store is None:
                return None
            try:
                icon = QIcon(thumbnail(self._store.raster(example_id)))
            except CnnDesktopError:
                return None
        item = QListWidgetItem(icon, caption)
        item.setData(Qt.ItemDataRole.UserRole, example_id)
        item.setToolTip(tooltip)
        self.list.addItem(item)
        self._enable_actions()
        return icon

    def selected_ids(self) -> list[str]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()]

    def delete_selected(self) -> None:
        self._apply(lambda store, example_id: store.remove(example_id), "deleted")

    def relabel_selected(self, label: str) -> None:
        if label:
            self._apply(lambda store, example_id: store.relabel(example_id, label), f"relabelled as {label}")

    def _apply(self, action: Callable[[DrawingStore, str], object], done: str) -> None:
        items = self.list.selectedItems()
        if self._store is None or not items:
            return
        count = 0
        for item in items:
            try:
                action(self._store, item.data(Qt.ItemDataRole.UserRole))
            except CnnDesktopError as error:
                self.failed.emit(str(error))
                break
            self.list.takeItem(self.list.row(item))
            count += 1
        self._enable_actions()
        self.edited.emit(count, done)

    def context_menu(self) -> QMenu | None:
        """The right-click menu for the selected drawings (None without any): Delete, Relabel as ▸."""
        if not self.selected_ids() or self._store is None:
            return None
        menu = QMenu(self)
        menu.addAction("Delete", self.delete_selected)
        relabel = menu.addMenu("Relabel as")
        for name in self._store.classes:
            relabel.addAction(name, lambda n=name: self.relabel_selected(n))
        return menu

    def _context_menu(self, position) -> None:
        menu = self.context_menu()
        if menu is not None:
            menu.exec(self.list.mapToGlobal(position))
            menu.deleteLater()

    def _enable_actions(self) -> None:
        has_items = self.list.count() > 0
        self.delete_button.setEnabled(has_items)
        self.relabel_button.setEnabled(has_items)
        self.relabel_box.setEnabled(has_items)


class HasDrawingEditor:
    """For a view that shows a ``DrawingEditor`` as ``self.editor``: its thumbnails, controls and
    actions under the view's own names (``view.list``, ``view.delete_selected()``...)."""

    editor: DrawingEditor

    list = property(lambda self: self.editor.list)
    delete_button = property(lambda self: self.editor.delete_button)
    relabel_box = property(lambda self: self.editor.relabel_box)
    relabel_button = property(lambda self: self.editor.relabel_button)

    def selected_ids(self) -> list[str]:
        return self.editor.selected_ids()

    def delete_selected(self) -> None:
        self.editor.delete_selected()

    def relabel_selected(self, label: str) -> None:
        self.editor.relabel_selected(label)
