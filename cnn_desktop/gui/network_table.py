"""The network editor's list of layers: one row per layer with what it makes of one drawing.

Rows are the input, the hidden layers in order, then "out" (one unit per class, added by the app).
Each shows the layer's settings, its output shape, parameters, multiply-adds and receptive field, as
core/network/summary.py measures them. The first layer that cannot run (or breaks a limit) has the
refusal written across its figures, in red; the layers after it cannot be measured and show dashes.
Hidden layers can be dragged to a new place; the table only says where (``moved``): the editor owns
the layers and fills the table again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from cnn_desktop.core.app.network_editing import layer_settings
from cnn_desktop.core.network.spec import ModelSpec
from cnn_desktop.core.network.summary import LayerRow, NetworkSummary

COLUMNS = ("Layer", "Settings", "Output", "Parameters", "Multiply-adds", "Receptive field")
LAYER, SETTINGS, OUTPUT, PARAMS, MACS, FIELD = range(len(COLUMNS))
ERROR_COLOUR = QColor("#b00020")
ERROR_BACKGROUND = QColor("#fde8ec")
UNMEASURED = "—"


class LayersTable(QTableWidget):
    moved = Signal(int, int)  # a hidden layer's index, and the index it was dropped at

    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)  # edited in the form below
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDragEnabled(True)
        self.setDropIndicatorShown(True)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SETTINGS, QHeaderView.ResizeMode.Stretch)
        # Fixed, so that a refusal written across the figures does not widen the shape's column.
        header.setSectionResizeMode(OUTPUT, QHeaderView.ResizeMode.Fixed)
        self.setColumnWidth(OUTPUT, self.fontMetrics().horizontalAdvance("512x28x28") + 16)
        self.error_row = -1  # the table row showing the refusal; -1 when the design is usable

    def fill(self, spec: ModelSpec, summary: NetworkSummary) -> None:
        """Show ``spec``'s layers with ``summary``'s figures (the rows it could measure)."""
        names = spec.layer_names()
        measured = {row.name: row for row in summary.rows}
        failed = _failing_layer(summary.error, names) if summary.error else None
        lines = [("input", f"{spec.input_size}x{spec.input_size} grey" +
                  (" (the 28x28 drawing, zero-padded)" if spec.input_size == 32 else ""))]
        lines += [(name, layer_settings(layer)) for name, layer in zip(names, spec.layers)]
        lines.append(("out", f"{len(spec.classes)} classes, softmax"))
        self.clearSpans()
        self.setRowCount(len(lines))
        self.error_row = -1
        for row, (name, settings) in enumerate(lines):
            figures = _figures(measured.get(name))
            if name == failed:
                self.error_row = row
            cells = [name, settings, *figures]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                if 0 < row < len(lines) - 1:
                    flags |= Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled
                item.setFlags(flags)
                if column >= PARAMS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(row, column, item)
        if self.error_row >= 0:  # the refusal, where the figures of the layer would be
            item = QTableWidgetItem(summary.error)
            item.setForeground(QBrush(ERROR_COLOUR))
            item.setBackground(QBrush(ERROR_BACKGROUND))
            item.setToolTip(summary.error)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.setItem(self.error_row, OUTPUT, item)
            self.setSpan(self.error_row, OUTPUT, 1, len(COLUMNS) - OUTPUT)
            for column in (LAYER, SETTINGS):
                self.item(self.error_row, column).setForeground(QBrush(ERROR_COLOUR))

    def row_text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text() if item is not None else ""

    def dropEvent(self, event: QDropEvent) -> None:
        # Qt's own move would shuffle cells; the editor reorders its layers and fills the table again.
        source = self.currentRow()
        target = self.indexAt(event.position().toPoint()).row()
        last_layer = self.rowCount() - 2
        target = last_layer if target < 0 or target > last_layer else max(target, 1)
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if 1 <= source <= last_layer and target != source:
            self.moved.emit(source - 1, target - 1)


def _figures(row: LayerRow | None) -> list[str]:
    if row is None:
        return [UNMEASURED] * 4
    return [row.shape_text, f"{row.params:,}", f"{row.macs:,}", row.field_text]


def _failing_layer(error: str, names: list[str]) -> str | None:
    """The layer a refusal names ("pool2: its 1x1 maps ..."), or "input"; None when it names none
    (too many layers), which the editor shows under the table only."""
    head = error.split(":", 1)[0].strip()
    return head if head in names or head == "input" else None
