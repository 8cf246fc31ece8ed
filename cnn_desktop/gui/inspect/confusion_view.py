"""The error loop: which of the collection's drawings the network gets wrong, and fixing them.

"Check my drawings" asks the engine to classify the collection's validation split (the drawings the
last training held out). The answer is a confusion matrix: one row per true class, one column per
guess. Clicking a cell lists the drawings in it; from there a drawing can be deleted (a bad drawing)
or relabelled (a wrong label), and the network retrained.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.app.messages import CollectionEvaluation
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.gui.collection_view import MAX_SHOWN, THUMB, thumbnail

INTRO = ("Which of your drawings does the network get wrong? Click “Check my drawings”: the drawings "
         "held out from training are classified, one row per true label, one column per guess.")


def cell_colour(count: int, row_total: int, correct: bool) -> QColor:
    """Green on the diagonal (right), red off it (wrong); stronger for a larger share of the row."""
    share = count / row_total if row_total else 0.0
    if count == 0:
        return QColor(255, 255, 255)
    strength = 0.25 + 0.75 * share
    base = (47, 158, 68) if correct else (224, 49, 49)
    return QColor(*(round(255 - (255 - c) * strength) for c in base))


class ConfusionPanel(QWidget):
    evaluate_requested = Signal()
    retrain_requested = Signal()
    changed = Signal()  # drawings were deleted or relabelled here

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store: DrawingStore | None = None
        self._result: CollectionEvaluation | None = None
        self._cell: tuple[int, int] | None = None
        self.check_button = QPushButton("Check my drawings")
        self.check_button.setToolTip("Classify the drawings held out from training and show the mistakes")
        self.check_button.clicked.connect(self.evaluate_requested)
        self.retrain_button = QPushButton("Retrain")
        self.retrain_button.setToolTip("Train again on the collection as it is now (same as the Train button)")
        self.retrain_button.clicked.connect(self.retrain_requested)
        self.summary = QLabel(INTRO)
        self.summary.setWordWrap(True)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.cellClicked.connect(self.show_cell)
        font = self.table.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.table.setFont(font)
        self.table.verticalHeader().setMinimumSectionSize(14)
        self.table.horizontalHeader().setMinimumSectionSize(14)
        self.cell_label = QLabel("")
        self.cell_label.setWordWrap(True)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 14, THUMB + 22))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setFixedHeight(THUMB + 28)  # one row of thumbnails; the matrix gets the rest
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected drawings from your collection")
        self.delete_button.clicked.connect(self.delete_selected)
        self.relabel_box = QComboBox()
        self.relabel_button = QPushButton("Relabel as")
        self.relabel_button.setToolTip("Move the selected drawings to another class")
        self.relabel_button.clicked.connect(lambda: self.relabel_selected(self.relabel_box.currentText()))

        top = QHBoxLayout()
        top.addWidget(self.check_button)
        top.addStretch(1)
        top.addWidget(self.retrain_button)
        actions = QHBoxLayout()
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        actions.addWidget(self.relabel_button)
        actions.addWidget(self.relabel_box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.cell_label)
        layout.addWidget(self.list)
        layout.addLayout(actions)
        self._enable_actions()

    def set_store(self, store: DrawingStore | None) -> None:
        self._store = store
        self.relabel_box.clear()
        if store is not None:
            self.relabel_box.addItems(list(store.classes))
        self._result = None
        self._cell = None
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.list.clear()
        self.summary.setText(INTRO)
        self.cell_label.setText("")
        self._enable_actions()

    def set_busy(self) -> None:
        self.summary.setText("Checking your drawings…")

    # --- the matrix ---

    def show_result(self, result: CollectionEvaluation) -> None:
        self._result = result
        confusion = result.confusion
        classes = result.classes
        n = int(confusion.sum())
        correct = int(np.trace(confusion))
        which = "held-out drawings" if result.split == "validation" else "drawings"
        text = f"{correct} of {n} {which} right ({correct / n:.0%})." if n else "No drawings to check."
        if n and correct < n:
            text += " Click a red cell."
        if result.note:
            text += " " + result.note
        self.summary.setText(text)
        self.table.clear()
        self.table.setRowCount(len(classes))
        self.table.setColumnCount(len(classes))
        self.table.setHorizontalHeaderLabels([f"→ {c}" for c in classes])
        self.table.setVerticalHeaderLabels([f"{c}" for c in classes])
        self.table.horizontalHeaderItem(0).setToolTip("Columns: what the network guessed")
        self.table.setToolTip("Rows: the label you gave · columns (→): the network's guess")
        self.table.setCornerButtonEnabled(False)
        # Every row on screen at once: the matrix is read as a whole, never scrolled.
        row_height = self.table.verticalHeader().minimumSectionSize()
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height() + len(classes) * row_height + 4)
        totals = confusion.sum(axis=1)
        for t in range(len(classes)):
            for g in range(len(classes)):
                count = int(confusion[t, g])
                item = QTableWidgetItem(str(count) if count else "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(cell_colour(count, int(totals[t]), t == g)))
                item.setToolTip(f"{count} drawing(s) labelled {classes[t]}, guessed {classes[g]}")
                self.table.setItem(t, g, item)
        self.list.clear()
        self.cell_label.setText("")
        if self._cell is not None and self._cell[0] < len(classes) and self._cell[1] < len(classes):
            self.show_cell(*self._cell)
        self._enable_actions()

    def show_cell(self, true: int, guess: int) -> None:
        """List the drawings labelled ``true`` that the network guessed as ``guess``."""
        self.list.clear()
        if self._result is None or self._store is None:
            return
        self._cell = (true, guess)
        classes = self._result.classes
        ids = self._result.example_ids[true][guess]
        verdict = "right" if true == guess else "wrong"
        self.cell_label.setText(
            f"Labelled {classes[true]}, guessed {classes[guess]} ({verdict}): {len(ids)}."
            + (" Select, then delete or relabel." if ids else ""))
        for example_id in list(ids)[:MAX_SHOWN]:
            try:
                icon = QIcon(thumbnail(self._store.raster(example_id)))
            except CnnDesktopError:
                continue  # deleted or moved since the check
            item = QListWidgetItem(icon, classes[true])
            item.setData(Qt.ItemDataRole.UserRole, example_id)
            item.setToolTip(f"labelled {classes[true]}, guessed {classes[guess]} · {example_id}")
            self.list.addItem(item)
        self._enable_actions()

    # --- fixing ---

    def selected_ids(self) -> list[str]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()]

    def delete_selected(self) -> None:
        self._apply(lambda store, example_id: store.remove(example_id), "deleted")

    def relabel_selected(self, label: str) -> None:
        if label:
            self._apply(lambda store, example_id: store.relabel(example_id, label), f"relabelled as {label}")

    def _apply(self, action, done: str) -> None:
        items = self.list.selectedItems()
        if self._store is None or not items:
            return
        count = 0
        for item in items:
            try:
                action(self._store, item.data(Qt.ItemDataRole.UserRole))
            except CnnDesktopError as error:
                self.cell_label.setText(str(error))
                break
            self.list.takeItem(self.list.row(item))
            count += 1
        if count:
            self.cell_label.setText(f"{count} drawing(s) {done}. Retrain, then check again.")
            self.changed.emit()
        self._enable_actions()

    def _enable_actions(self) -> None:
        has_items = self.list.count() > 0
        self.delete_button.setEnabled(has_items)
        self.relabel_button.setEnabled(has_items)
        self.relabel_box.setEnabled(has_items)
