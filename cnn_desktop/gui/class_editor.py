"""Project > Classes…: the classes of a person's project, their keys and drawings, and the trash.

Names and keys are edited in the table; a rename needs no retraining (the output keeps its place).
Add, merge and delete change the output layer only: the line under the table says so. Delete asks
first; its drawings go to the project's trash, listed below, from where Restore brings a class back.
Every edit is the session's (core/app/class_editing.py); a refused one shows its line here, in red,
and the table goes back to what is on disk. Built-in modes show their classes read-only, saying why.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QMessageBox, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from cnn_desktop.core.app.class_editing import NEW_OUTPUT_NOTE
from cnn_desktop.core.app.session import Session

NAME, KEY, DRAWINGS = range(3)
ERROR_STYLE = "color: #b00020;"


class ClassEditor(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Classes")
        self.setMinimumSize(460, 520)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Class", "Key", "Drawings"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.itemChanged.connect(self._cell_edited)
        self.fixed_note = QLabel()
        self.fixed_note.setWordWrap(True)

        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("New class name")
        self.new_name.returnPressed.connect(self.add_class)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add_class)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Delete the selected class; its drawings go to the trash")
        self.delete_button.clicked.connect(self.delete_selected)
        self.merge_target = QComboBox()
        self.merge_button = QPushButton("Merge into")
        self.merge_button.setToolTip("The selected class's drawings become the chosen class's; the class goes")
        self.merge_button.clicked.connect(self.merge_selected)
        add_row, edit_row = QHBoxLayout(), QHBoxLayout()
        add_row.addWidget(self.new_name, 1)
        add_row.addWidget(self.add_button)
        edit_row.addWidget(self.delete_button)
        edit_row.addStretch(1)
        edit_row.addWidget(self.merge_button)
        edit_row.addWidget(self.merge_target)
        self.output_note = QLabel(NEW_OUTPUT_NOTE)
        self.output_note.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)

        self.trash = QListWidget()
        self.trash.setMaximumHeight(self.fontMetrics().lineSpacing() * 5)
        self.restore_button = QPushButton("Restore")
        self.restore_button.setToolTip("Bring the class back with its drawings (as a new output: retrain)")
        self.restore_button.clicked.connect(self.restore_selected)
        trash_row = QHBoxLayout()
        trash_row.addWidget(self.trash, 1)
        trash_row.addWidget(self.restore_button, 0, Qt.AlignmentFlag.AlignTop)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.fixed_note)
        layout.addWidget(self.table, 1)
        layout.addLayout(add_row)
        layout.addLayout(edit_row)
        layout.addWidget(self.output_note)
        layout.addWidget(self.error)
        layout.addWidget(QLabel("Deleted classes (their drawings are kept here):"))
        layout.addLayout(trash_row)
        layout.addWidget(close)
        session.task_changed.connect(self.refresh)
        session.counts_changed.connect(self.refresh)
        self.refresh()

    # --- showing ---

    def refresh(self, *_) -> None:
        """The table and the trash as they are now (after any edit, switch or label)."""
        task, refusal = self.session.task, self.session.can_edit_classes()
        editable = not refusal
        self.fixed_note.setText(refusal)
        self.fixed_note.setVisible(bool(refusal))
        counts = self.session.store.counts() if self.session.store is not None else {}
        with QSignalBlocker(self.table):
            self.table.setRowCount(len(task.classes))
            for row, (name, class_id, key) in enumerate(zip(task.classes, task.class_ids, task.keys)):
                cells = (name, key or "", str(counts.get(class_id, 0)))
                for column, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, class_id)
                    flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                    if editable and column != DRAWINGS:
                        flags |= Qt.ItemFlag.ItemIsEditable
                    item.setFlags(flags)
                    self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.merge_target.clear()
        for name, class_id in zip(task.classes, task.class_ids):
            self.merge_target.addItem(name, class_id)
        for widget in (self.new_name, self.add_button, self.delete_button, self.merge_button, self.merge_target,
                       self.trash, self.restore_button):
            widget.setEnabled(editable)
        self.output_note.setVisible(editable)
        self.trash.clear()
        for entry in self.session.trashed_classes():
            count = entry["drawings"]
            item = QListWidgetItem(f"{entry['name']} · {count} drawing{'s' if count != 1 else ''}"
                                   f" · deleted {str(entry['deleted'] or '?')[:16].replace('T', ' ')}")
            item.setData(Qt.ItemDataRole.UserRole, entry["entry"])
            self.trash.addItem(item)

    def selected_class(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, NAME) if row >= 0 else None
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    # --- editing ---

    def _cell_edited(self, item: QTableWidgetItem) -> None:
        class_id, text = item.data(Qt.ItemDataRole.UserRole), item.text().strip()
        if item.column() == NAME:
            self._show(self.session.rename_class(class_id, text))
        elif item.column() == KEY:
            self._show(self._key_problem(class_id, text) or self.session.set_class_key(class_id, text or None))

    def _key_problem(self, class_id: str, key: str) -> str:
        """Refused before the session is asked: a key another class has, named by that class."""
        for name, other_id, other_key in zip(self.session.task.classes, self.session.task.class_ids,
                                             self.session.task.keys):
            if other_id != class_id and other_key and other_key == key.upper():
                return f"Key {key.upper()} already labels '{name}'; choose another."
        return ""

    def add_class(self) -> None:
        name = self.new_name.text().strip()
        problem = self.session.add_class(name) if name else "Type the new class's name first."
        if not problem:
            self.new_name.clear()
        self._show(problem)

    def delete_selected(self) -> None:
        class_id = self.selected_class()
        if class_id is None:
            self._show("Select the class to delete first.")
            return
        name = self.session.display_name(class_id)
        answer = QMessageBox.question(
            self, "Delete class", f"Delete class '{name}'? Its drawings go to this project's trash, from where "
                                  "Restore brings them back.")
        if answer == QMessageBox.StandardButton.Yes:
            self._show(self.session.delete_class(class_id))

    def merge_selected(self) -> None:
        source, target = self.selected_class(), self.merge_target.currentData()
        if source is None:
            self._show("Select the class to merge first.")
            return
        self._show(self.session.merge_classes(source, target))

    def restore_selected(self) -> None:
        item = self.trash.currentItem()
        if item is None:
            self._show("Select a deleted class to restore first.")
            return
        self._show(self.session.restore_class(item.data(Qt.ItemDataRole.UserRole)))

    def _show(self, problem: str) -> None:
        """The outcome of an edit: its problem in red, and the table as it is on disk either way."""
        self.error.setText(problem)
        self.refresh()
