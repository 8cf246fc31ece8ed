"""Project > Network…: the network of the mode's project, as a list of layers and as JSON text.

The person adds, removes, reorders (buttons, or dragging a row) and edits layers, picks the input
size, or loads a preset; every change is measured at once (summary.py, no torch: rows, totals, the
first refusal in the row it names) and written to the text view, and text typed there updates the
list. Apply hands the design to the session (core/app/network_editing.py), which keeps it as a new
version with fresh weights and loads it; it is on only for a usable design that differs from the one
in use, in a window that may write the project, with no run training. The limits are stated under
the totals.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QAction, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox, QDialog, QHBoxLayout, QLabel, QMenu, QPlainTextEdit, QPushButton, QSplitter, QToolButton,
    QVBoxLayout, QWidget,
)

from cnn_desktop.core.app.network_editing import design_text, new_layer, read_design
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.presets import PRESETS
from cnn_desktop.core.network.spec import INPUT_PADDING, LAYER_KINDS, ModelSpec
from cnn_desktop.core.network.summary import LIMITS_NOTE, MAX_MACS, MAX_PARAMS, MAX_VALUES, NetworkSummary
from cnn_desktop.gui.network_layer_form import KIND_TEXT, LayerForm
from cnn_desktop.gui.network_table import LayersTable

ERROR_STYLE = "color: #b00020;"
PRESET_TIPS = {
    "default": "Today's network: 16 and 32 5x5 filters, ReLU, max pooling, fc 64",
    "lenet5": "LeNet-5 as published: 32x32 input, 6 and 16 5x5 filters, tanh, average pooling, fc 120 and 84",
    "tiny": "4 filters per conv layer: every map fits on screen",
    "deeper": "Like Keras's CIFAR-10 example: 32, 64, 64 3x3 filters and fc 64",
}


class NetworkEditor(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Network")
        self.setMinimumSize(900, 560)
        self.resize(1240, 700)  # within a 1280x800 screen, with room for both views
        self.layers: list = []
        self.input_size = 28
        self.classes: tuple[str, ...] = ()
        self.summary: NetworkSummary | None = None
        self._loaded: ModelSpec | None = None  # the network in use when last loaded
        self._result, self._result_failed = "", False  # what the last Apply said

        self.presets: dict[str, QPushButton] = {}
        top = QHBoxLayout()
        top.addWidget(QLabel("Presets:"))
        for name in PRESETS:
            button = QPushButton(name)
            button.setToolTip(PRESET_TIPS.get(name, ""))
            button.clicked.connect(lambda _=False, n=name: self.load_preset(n))
            top.addWidget(button)
            self.presets[name] = button
        top.addStretch(1)
        top.addWidget(QLabel("Input:"))
        self.input_box = QComboBox()
        for size in INPUT_PADDING:
            self.input_box.addItem(f"{size}x{size}" + (" (drawing padded)" if INPUT_PADDING[size] else ""), size)
        self.input_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.input_box.currentIndexChanged.connect(self._input_chosen)
        top.addWidget(self.input_box)

        self.table = LayersTable()
        self.table.currentCellChanged.connect(lambda row, *_: self._selected(row))
        self.table.moved.connect(self.move_layer)
        self.text = QPlainTextEdit()
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setToolTip("The description as JSON (without the classes: the project's). "
                             "Edit it here or in the list")
        self.text.textChanged.connect(self._text_edited)
        self.text_error = QLabel()
        self.text_error.setWordWrap(True)
        self.text_error.setStyleSheet(ERROR_STYLE)
        text_side = QWidget()
        text_layout = QVBoxLayout(text_side)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.addWidget(QLabel("As text (JSON):"))
        text_layout.addWidget(self.text, 1)
        text_layout.addWidget(self.text_error)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(text_side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([630, 600])  # the text has a layer a line: a conv's is 80 characters

        self.form = LayerForm()
        self.form.edited.connect(self._layer_edited)
        self.add_button = QToolButton()
        self.add_button.setText("Add layer")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolTip("Add a layer after the selected one")
        menu = QMenu(self.add_button)
        for kind in LAYER_KINDS:
            action = QAction(KIND_TEXT[kind], menu)
            action.triggered.connect(lambda _=False, k=kind: self.add_layer(k))
            menu.addAction(action)
        self.add_button.setMenu(menu)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_layer)
        self.up_button = QPushButton("Move up")
        self.up_button.clicked.connect(lambda: self._move_selected(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.clicked.connect(lambda: self._move_selected(1))
        edit_row = QHBoxLayout()
        for widget in (self.add_button, self.remove_button, self.up_button, self.down_button):
            edit_row.addWidget(widget)
        edit_row.addSpacing(12)
        edit_row.addWidget(self.form, 1)

        self.totals = QLabel()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.limits = QLabel(LIMITS_NOTE)
        self.limits.setWordWrap(True)
        self.limits.setStyleSheet("color: palette(placeholder-text);")
        self.apply_note = QLabel()
        self.apply_note.setWordWrap(True)
        self.apply_button = QPushButton("Apply as a new version")
        self.apply_button.setToolTip("Keep this design as a new version of the model, with fresh weights, and use it")
        self.apply_button.clicked.connect(self.apply)
        self.revert_button = QPushButton("Back to the network in use")
        self.revert_button.clicked.connect(self.load_from_session)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.apply_note, 1)
        for button in (self.revert_button, self.apply_button, close):
            bottom.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(edit_row)
        layout.addWidget(self.totals)
        layout.addWidget(self.error)
        layout.addWidget(self.limits)
        layout.addLayout(bottom)

        session.task_changed.connect(lambda _task: self.load_from_session())
        session.versions_changed.connect(self._versions_changed)
        session.run_state_changed.connect(lambda *_: self._update_apply())
        self.load_from_session()

    # --- what the person does ---

    def load_from_session(self) -> None:
        """Show the network in use (after a mode switch, an Apply, or "Back to the network in use")."""
        spec = self.session.network_spec()
        if spec is not None:
            self.setWindowTitle(f"Network of {self.session.task.title}")
            self._set_spec(spec, loaded=True)

    def load_preset(self, name: str) -> None:
        self._set_spec(ModelSpec.from_dict({**PRESETS[name], "classes": list(self.classes)}))

    def add_layer(self, kind: str) -> None:
        at = self._selected_layer() + 1 if self._selected_layer() >= 0 else len(self.layers)
        self.layers.insert(at, new_layer(kind))
        self._changed(select=at)

    def remove_layer(self) -> None:
        index = self._selected_layer()
        if index >= 0:
            del self.layers[index]
            self._changed(select=min(index, len(self.layers) - 1))

    def move_layer(self, index: int, to: int) -> None:
        if 0 <= index < len(self.layers) and 0 <= to < len(self.layers) and index != to:
            self.layers.insert(to, self.layers.pop(index))
            self._changed(select=to)

    def select_layer(self, index: int) -> None:
        self.table.setCurrentCell(index + 1, 0)  # row 0 is the input

    def apply(self) -> None:
        line = self.session.apply_network(self.spec())
        if not line:
            self.load_from_session()
        self._result = line or f"Kept as {self.session.project.current_version()} and in use: train it."
        self._result_failed = bool(line)
        self._update_apply()

    def spec(self) -> ModelSpec:
        return ModelSpec(self.classes, tuple(self.layers), self.input_size)

    # --- keeping the list, the text and the figures together ---

    def _set_spec(self, spec: ModelSpec, loaded: bool = False) -> None:
        self.classes, self.layers, self.input_size = tuple(spec.classes), list(spec.layers), spec.input_size
        if loaded:
            self._loaded = spec
        self._changed(select=-1)

    def _changed(self, select: int | None = None, write_text: bool = True) -> None:
        spec = self.spec()
        self.summary = summary = self.session.summarise_design(spec)
        with QSignalBlocker(self.input_box):
            self.input_box.setCurrentIndex(self.input_box.findData(self.input_size))
        row = self.table.currentRow() if select is None else select + 1
        with QSignalBlocker(self.table):
            self.table.fill(spec, summary)
            if row >= 0:
                self.table.setCurrentCell(row, 0)
        if select is not None or not write_text:  # (while a number is typed, the form keeps its box)
            self._selected(self.table.currentRow())
        if write_text:
            with QSignalBlocker(self.text):
                self.text.setPlainText(design_text(spec))
            self.text_error.setText("")
        totals = summary.totals
        parts = [f"{totals.layers} layers", f"{totals.params:,} of at most {MAX_PARAMS:,} parameters",
                 f"{totals.macs:,} of at most {MAX_MACS:,} multiply-adds per drawing",
                 f"{totals.values:,} of at most {MAX_VALUES:,} values"]
        self.totals.setText("Total: " + " · ".join(parts) + ("" if summary.ok else " (up to the refused layer)"))
        self.error.setText(f"Cannot run: {summary.error}" if summary.error else "")
        self.error.setVisible(bool(summary.error))
        self._result, self._result_failed = "", False  # what the last Apply said is about another design
        self._update_apply()

    def _update_apply(self) -> None:
        refusal = self.session.can_edit_network()
        in_use = self.session.network_spec()
        usable = self.summary is not None and self.summary.ok and not self.text_error.text()
        self.apply_button.setEnabled(bool(usable and self.spec() != in_use and not refusal))
        self.revert_button.setEnabled(self.spec() != in_use)
        self.apply_note.setStyleSheet(ERROR_STYLE if self._result_failed and not refusal else "")
        self.apply_note.setText(refusal or self._result)

    def _versions_changed(self, _rows) -> None:
        """Another version was made current (the versions list, a run kept): an unedited editor follows."""
        if self.spec() == self._loaded:
            self.load_from_session()
        else:
            self._update_apply()

    def _text_edited(self) -> None:
        try:
            spec = read_design(self.text.toPlainText(), self.classes)
        except CnnDesktopError as error:
            self.text_error.setText(str(error))
            self._update_apply()
            return
        self.text_error.setText("")
        self.layers, self.input_size = list(spec.layers), spec.input_size
        self._changed(write_text=False)

    def _input_chosen(self, _index: int) -> None:
        self.input_size = self.input_box.currentData()
        self._changed()

    def _layer_edited(self, layer) -> None:
        index = self._selected_layer()
        if index >= 0:
            self.layers[index] = layer
            self._changed()

    def _selected(self, row: int) -> None:
        index = row - 1
        layer = self.layers[index] if 0 <= index < len(self.layers) else None
        self.form.show_layer(layer)
        for button in (self.remove_button, self.up_button, self.down_button):
            button.setEnabled(layer is not None)
        self.up_button.setEnabled(layer is not None and index > 0)
        self.down_button.setEnabled(layer is not None and index < len(self.layers) - 1)

    def _selected_layer(self) -> int:
        index = self.table.currentRow() - 1
        return index if 0 <= index < len(self.layers) else -1

    def _move_selected(self, step: int) -> None:
        index = self._selected_layer()
        if index >= 0:
            self.move_layer(index, index + step)
