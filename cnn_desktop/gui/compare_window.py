"""Training > Compare two networks…: train A and B side by side on the project's drawings and see what
the difference does: curves overlaid, accuracy per class, both guesses while you draw on the main
canvas, and the held-out drawings they disagree on.

The window only builds and wires: the state lives in the Qt-free ``ComparisonSession``, the computing
in the comparison's own thread (core/app/comparison.py), whose messages reach this thread through a
queued Qt signal. The main window's engine keeps serving the main window meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QMenu, QPushButton, QSpinBox, QSplitter,
    QVBoxLayout, QWidget,
)

from cnn_desktop.core.app.comparison_messages import ComparisonStarted
from cnn_desktop.core.app.comparison_session import DEFAULT_EPOCHS, Choice, ComparisonSession
from cnn_desktop.core.app.comparison_text import describe_pair, describe_settings, describe_spec
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.gui.compare_gallery import DisagreementGallery, GuessesView
from cnn_desktop.gui.compare_plots import COLOURS, CompareCurves, PerClassBars

SHUTDOWN_SECONDS = 0.5  # the comparison thread's share of the one second the app has to close


class SidePicker(QGroupBox):
    """A or B: which network, how many epochs, and the network in words."""

    def __init__(self, side: str, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(f"Network {side}", parent)
        self.setStyleSheet(f"QGroupBox {{ font-weight: bold; color: {colour}; }}")
        self.network = QComboBox()
        self.network.setToolTip("A ready-made design, this project's own network, or one of its versions")
        self.epochs = QSpinBox(minimum=1, maximum=500, value=DEFAULT_EPOCHS)
        self.epochs.setToolTip("Passes over the training drawings")
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet("font-weight: normal; color: #222228;")
        form = QFormLayout(self)
        form.addRow("Network", self.network)
        form.addRow("Epochs", self.epochs)
        form.addRow(self.description)

    def set_choices(self, choices: list[Choice], preferred: str) -> None:
        """Fill the list, keeping the current pick when it is still there (else ``preferred``)."""
        keep = self.network.currentText() or preferred
        self.network.blockSignals(True)
        self.network.clear()
        for choice in choices:
            self.network.addItem(choice.label, choice)
        index = self.network.findText(keep)
        self.network.setCurrentIndex(index if index >= 0 else max(0, self.network.findText(preferred)))
        self.network.blockSignals(False)

    def choice(self) -> Choice | None:
        return self.network.currentData()

    def select(self, label: str) -> None:
        self.network.setCurrentIndex(self.network.findText(label))


class CompareWindow(QWidget):
    message = Signal(object)  # from the comparison thread; queued onto this thread

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        from cnn_desktop.core.app.comparison import ComparisonThread  # torch: loaded by the app already

        self.setWindowTitle("Compare two networks")
        self.session = session
        self.thread = ComparisonThread(self.message.emit)
        self.comparison = ComparisonSession(session, self.thread.submit)
        self.message.connect(self.comparison.handle)
        self._forwarded = None  # the last drawing handed to the comparison
        self._shut = False
        self._build()
        self._wire()
        self._refresh_choices()
        self.forward_drawing()
        if parent is not None:
            parent.installEventFilter(self)  # the main window closing closes this one, within its second

    # --- construction ---

    def _build(self) -> None:
        self.pickers = [SidePicker("A", COLOURS[0]), SidePicker("B", COLOURS[1])]
        self.from_scratch = QCheckBox("Fresh weights for both")
        self.from_scratch.setChecked(True)
        self.from_scratch.setToolTip("Checked: a version is compared by its network, trained from the same random "
                                     "start as the other. Unchecked: a version goes on from its own weights.")
        self.train_button = QPushButton("Train both")
        self.train_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        buttons = QVBoxLayout()
        buttons.addWidget(self.from_scratch)
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.pickers[0], 1)
        top.addWidget(self.pickers[1], 1)
        top.addLayout(buttons)

        self.pair = QLabel()
        self.pair.setWordWrap(True)
        self.status = QLabel("Pick two networks and press Train both. Both learn from the same drawings, "
                             "in the same order, and are judged on the same held-out drawings.")
        self.status.setWordWrap(True)

        self.curves = CompareCurves()
        self.per_class = PerClassBars()
        self.guesses = GuessesView()
        self.gallery = DisagreementGallery()
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.curves)
        upper.addWidget(self.per_class)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 2)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.guesses)
        lower.addWidget(self.gallery)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 3)
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(upper)
        body.addWidget(lower)
        body.setStretchFactor(0, 5)
        body.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pair)
        layout.addWidget(self.status)
        layout.addWidget(body, 1)
        self.resize(1180, 760)

    def _wire(self) -> None:
        comparison, session = self.comparison, self.session
        self.train_button.clicked.connect(self.train_both)
        self.stop_button.clicked.connect(comparison.stop)
        for picker in self.pickers:
            picker.network.currentIndexChanged.connect(self._describe)
            picker.epochs.valueChanged.connect(self._describe)
        comparison.started.connect(self._started)
        comparison.steps.connect(self.curves.add_steps)
        comparison.epoch.connect(self.curves.add_epoch)
        comparison.epoch.connect(self.per_class.add_epoch)
        comparison.predictions_changed.connect(self.guesses.show_predictions)
        comparison.disagreements_changed.connect(self.gallery.show_disagreements)
        comparison.state_changed.connect(self._state_changed)
        comparison.problem.connect(self._problem)
        # Where the main window's drawing goes: every prediction the session shows follows a drawing,
        # and that drawing is handed on here (the newest wins in the comparison thread too).
        session.prediction_changed.connect(self.forward_drawing)
        session.versions_changed.connect(self._refresh_choices)
        session.task_changed.connect(self._task_changed)

    # --- what the person does ---

    def train_both(self) -> None:
        try:
            a, b = (self.comparison.contender(p.choice(), p.epochs.value(), self.from_scratch.isChecked())
                    for p in self.pickers)
        except (CnnDesktopError, AttributeError) as error:
            self._problem(str(error) if isinstance(error, CnnDesktopError) else "Pick a network for A and for B.")
            return
        if self.comparison.start(a, b):
            self.gallery.clear()
            self.train_button.setEnabled(False)
            self.stop_button.setEnabled(True)
            self.status.setText("Reading the drawings…")

    def forward_drawing(self, *_) -> None:
        drawing = self.session.drawing
        if drawing is not self._forwarded:
            self._forwarded = drawing
            self.comparison.drawing_changed(drawing)

    # --- what the comparison says ---

    def _started(self, message: ComparisonStarted) -> None:
        self.curves.start(message)
        self.per_class.start(message)
        settings = " — ".join(f"{side}: {describe_settings(s.config)}, {s.parameters:,} parameters"
                              for side, s in zip("AB", message.sides))
        self.status.setText(f"Training both on {message.train_size} drawings, taking turns step by step; "
                            f"{message.val_size} held out. {settings}.")

    def _state_changed(self, state: str, line: str) -> None:
        running = state in ("starting", "running")
        self.train_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        if not running:
            self.curves.flush()
        kept = self.comparison.kept_versions
        if state == "finished" and kept:
            line += (" " + ", ".join(f"{'AB'[side]} is version {kept[side]}" for side in sorted(kept))
                     + " (not in use: View > Versions, Use this version, to draw with it).")
        elif state == "finished" and not self.comparison.keeps_versions:
            line += " Not kept: this window has the project read-only."
        if line:
            self.status.setText(line)

    def _problem(self, line: str) -> None:
        self.status.setText(line)

    # --- following the main window ---

    def _refresh_choices(self, *_) -> None:
        choices = self.comparison.choices()
        self.pickers[0].set_choices(choices, "default preset")
        self.pickers[1].set_choices(choices, "tiny preset")
        self._describe()

    def _describe(self, *_) -> None:
        try:
            specs = [self.comparison.spec_of(p.choice()) for p in self.pickers]
        except (CnnDesktopError, AttributeError):
            return
        for picker, spec in zip(self.pickers, specs):
            picker.description.setText(describe_spec(spec))
        self.pair.setText(f"<b>{describe_pair(*specs)}</b>")

    def _task_changed(self, _task) -> None:
        self.comparison.stop()  # its drawings and versions belong to the mode left behind
        self._refresh_choices()

    # --- closing ---

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Close:
            self.shut_down()
        return super().eventFilter(watched, event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shut_down()
        super().closeEvent(event)

    def shut_down(self) -> None:
        """Stop training and let the thread go (nothing half-trained is kept); the window may open again."""
        if self._shut:
            return
        self._shut = True
        self.comparison.close()
        if self.thread.running:
            self.thread.shutdown(SHUTDOWN_SECONDS)
        for signal, slot in ((self.session.prediction_changed, self.forward_drawing),
                             (self.session.versions_changed, self._refresh_choices),
                             (self.session.task_changed, self._task_changed)):
            signal.disconnect(slot)


class CompareOpener(QObject):
    """The menu action's side: one compare window at a time, made when first asked for."""

    def __init__(self, main_window) -> None:
        super().__init__(main_window)
        self.main_window = main_window
        self.window: CompareWindow | None = None

    def open(self) -> CompareWindow:
        if self.window is None or not self.window.thread.running:
            if self.window is not None:
                self.window.deleteLater()
            self.window = CompareWindow(self.main_window.session, self.main_window)
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()
        return self.window


def add_compare_action(menu: QMenu, main_window) -> CompareOpener:
    """Training > Compare two networks…, opening the compare window for the main window's session."""
    opener = CompareOpener(main_window)
    action = QAction("&Compare two networks…", main_window)
    action.setToolTip("Train two networks side by side on your drawings and see what the difference does")
    action.triggered.connect(opener.open)
    menu.addAction(action)
    opener.action = action
    return opener
