"""The error loop: which of the collection's drawings the network gets wrong, and fixing them.

"Check my drawings" asks the engine to classify the collection's validation split (the drawings the
last training held out). The answer is a confusion matrix: one row per true class, one column per
guess. Clicking a cell lists the drawings in it; from there a drawing can be deleted (a bad drawing)
or relabelled (a wrong label), and the network retrained.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnn_desktop.core.app.messages import CollectionEvaluation
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.gui.drawing_editor import MAX_SHOWN, THUMB, DrawingEditor, HasDrawingEditor

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


class ConfusionPanel(HasDrawingEditor, QWidget):
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
        self.editor = DrawingEditor()
        self.editor.failed.connect(self.cell_label.setText)
        self.editor.edited.connect(self._edited)
        self.editor.list.setFixedHeight(THUMB + 28)  # one row of thumbnails; the matrix gets the rest

        top = QHBoxLayout()
        top.addWidget(self.check_button)
        top.addStretch(1)
        top.addWidget(self.retrain_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.cell_label)
        layout.addWidget(self.editor)

    def set_store(self, store: DrawingStore | None) -> None:
        self._store = store
        self.editor.set_store(store)
        self._result = None
        self._cell = None
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.summary.setText(INTRO)
        self.cell_label.setText("")

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
        self.editor.clear()
        self.cell_label.setText("")
        if self._cell is not None and self._cell[0] < len(classes) and self._cell[1] < len(classes):
            self.show_cell(*self._cell)

    def show_cell(self, true: int, guess: int) -> None:
        """List the drawings labelled ``true`` that the network guessed as ``guess``."""
        self.editor.clear()
        if self._result is None or self._store is None:
            return
        self._cell = (true, guess)
        classes = self._result.classes
        ids = self._result.example_ids[true][guess]
        verdict = "right" if true == guess else "wrong"
        self.cell_label.setText(
            f"Labelled {classes[true]}, guessed {classes[guess]} ({verdict}): {len(ids)}."
            + (" Select, then delete or relabel." if ids else ""))
        for example_id in list(ids)[:MAX_SHOWN]:  # one deleted or moved since the check is left out
            self.editor.add(example_id, classes[true],
                            f"labelled {classes[true]}, guessed {classes[guess]} · {example_id}")

    # --- fixing (the editor deletes and relabels) ---

    def _edited(self, count: int, done: str) -> None:
        if count:
            self.cell_label.setText(f"{count} drawing(s) {done}. Retrain, then check again.")
            self.changed.emit()
