"""Training controls: the settings, start / pause / resume / stop, a progress bar and a status line,
and a warning when some class has too few drawings."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cnn_desktop.core.network.spec import TrainConfig
from cnn_desktop.core.training.progress import EpochInfo, StepInfo

# The step line (epoch, step, loss, speed) changes at most 4 times a second: the steps come 10 times
# a second, faster than anyone reads numbers, and each new text of this word-wrapped label lays the
# controls out again on the GUI thread that training shares (the progress bar still moves each time).
STATUS_INTERVAL_S = 0.25

class TrainingControls(QWidget):
    start_requested = Signal(object, bool)  # (TrainConfig, from_scratch)
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._state = "idle"
        self._epochs_total = 0
        # What the line after a run says: when it started, its held-out size, its last epoch, and the
        # k-fold estimate (set by the training view when it comes).
        self._started_at: float | None = None
        self._status_at = 0.0  # when the step line last changed (show_step)
        self._val_size = 0
        self._last_epoch: EpochInfo | None = None
        self.estimate = ""
        # The settings last given as defaults: the fields not shown (augmentation's slant, say) come from
        # them, and while the widgets still show them the person has chosen nothing (``customised``).
        self._defaults = TrainConfig(epochs=10, batch_size=32, learning_rate=0.002)

        self.epochs = QSpinBox(minimum=1, maximum=1000, value=10)
        self.learning_rate = QDoubleSpinBox(decimals=4, minimum=0.0001, maximum=1000.0, singleStep=0.0005, value=0.002)
        self.batch_size = QSpinBox(minimum=1, maximum=4096, value=32)
        self.optimizer = QComboBox()
        self.optimizer.addItems(["adam", "sgd"])
        self.augment = QCheckBox("Augment (rotate, scale, shift, thicken)")
        self.augment.setChecked(True)
        self.from_scratch = QCheckBox("From scratch (else fine-tune the current model)")
        self.device = QComboBox()  # filled and remembered by gui/device_setting.py
        for widget, tip in [
            (self.epochs, "Passes over your collection"),
            (self.learning_rate, "How big each weight update is; too big and the loss explodes"),
            (self.batch_size, "Drawings per weight update"),
            (self.optimizer, "Adam adapts the step size per weight; SGD uses one step size with momentum"),
        ]:
            widget.setToolTip(tip)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Epochs", self.epochs)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Device", self.device)

        self.start_button = QPushButton("Train")
        self.start_button.setToolTip("Train the network on your collection (Ctrl+T)")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.start_button.clicked.connect(self._start_clicked)
        self.pause_button.clicked.connect(self._pause_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)

        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        self.defaults_note = QLabel("")  # why the defaults are what they are (a small collection's)
        self.defaults_note.setWordWrap(True)
        self.defaults_note.hide()
        # A class with few drawings: said before training and when it starts, never blocking.
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #a05a00;")
        self.warning.hide()
        self.status = QLabel("Not trained yet in this session.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.setMaximumWidth(330)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.augment)
        layout.addWidget(self.from_scratch)
        layout.addWidget(self.defaults_note)
        layout.addLayout(buttons)
        layout.addWidget(self.warning)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.set_state("idle")

    # --- reading the settings ---

    def config(self) -> TrainConfig:
        return self._defaults.with_(
            epochs=self.epochs.value(),
            learning_rate=self.learning_rate.value(),
            batch_size=self.batch_size.value(),
            optimizer=self.optimizer.currentText(),
            augment=self.augment.isChecked(),
        )

    def set_defaults(self, config: TrainConfig, note: str = "") -> None:
        """Show ``config``'s settings; ``note`` says why they are these ("" for the mode's usual ones)."""
        self._defaults = config
        self.epochs.setValue(config.epochs)
        self.learning_rate.setValue(config.learning_rate)
        self.batch_size.setValue(config.batch_size)
        self.optimizer.setCurrentText(config.optimizer)
        self.augment.setChecked(config.augment)
        self.defaults_note.setText(note)
        self.defaults_note.setVisible(bool(note))

    @property
    def customised(self) -> bool:
        """Whether the person changed a setting since the defaults were last given."""
        shown, given = self.config(), self._defaults
        return (shown.with_(learning_rate=given.learning_rate) != given
                or not math.isclose(shown.learning_rate, given.learning_rate, rel_tol=1e-6))

    def show_warning(self, line: str) -> None:
        self.warning.setText(line)
        self.warning.setVisible(bool(line))

    # --- showing the engine's news ---

    @property
    def state(self) -> str:
        return self._state

    def set_state(self, state: str, message: str = "") -> None:
        """idle / starting / running / paused / finished / stopped / failed."""
        self._state = state
        active = state in ("starting", "running", "paused")
        self.start_button.setEnabled(not active)
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(active)
        for widget in (self.epochs, self.learning_rate, self.batch_size, self.optimizer, self.augment, self.from_scratch,
                       self.device):
            widget.setEnabled(not active)
        if state == "paused":
            if not self.status.text().startswith("Paused."):
                self.status.setText("Paused. " + self.status.text())
        elif state in ("finished", "stopped"):  # (the engine's line on the estimate is under the curves)
            self.status.setText(self._what_happened(state))
        elif message:
            self.status.setText(message)

    def _what_happened(self, state: str) -> str:
        """One line that stays after a run: a few-shot run takes 0.3 s, and its step-by-step messages were
        gone before anyone could read them. E.g. "Trained 15 steps in 0.3 s, validation 9/10 right." """
        steps, total = self.progress.value(), self.progress.maximum()
        seconds = time.monotonic() - self._started_at if self._started_at is not None else 0.0
        done = (f"Trained {steps} steps in {seconds:.1f} s" if state == "finished"
                else f"Stopped after {steps} of {total} steps ({seconds:.1f} s)")
        epoch = self._last_epoch
        if epoch is not None and epoch.val_accuracy is not None and self._val_size:
            done += f", validation {round(epoch.val_accuracy * self._val_size)}/{self._val_size} right"
        if self.estimate:
            done += f", {self.estimate}"
        return done + "."

    def training_started(self, total_steps: int, epochs: int, train_size: int, val_size: int,
                         device_line: str = "") -> None:
        self._epochs_total = epochs
        self._started_at, self._val_size, self._last_epoch, self.estimate = time.monotonic(), val_size, None, ""
        self.progress.setRange(0, total_steps)
        self.progress.setValue(0)
        self._status_at = 0.0  # the first step's line shows at once
        checking = f", checking on {val_size} held out" if val_size else " (all of them)"
        on = f" ({device_line})" if device_line and not device_line.startswith("device: cpu") else ""
        self.status.setText(f"Training on {train_size} drawings{checking}{on}...")
        self.device.setToolTip(device_line or "Where training computes")

    def show_step(self, info: StepInfo) -> None:
        self.progress.setValue(info.step)
        now = time.monotonic()
        if now - self._status_at < STATUS_INTERVAL_S:
            return
        self._status_at = now
        self.status.setText(
            f"epoch {info.epoch}/{self._epochs_total} · step {info.step}/{info.total_steps} · "
            f"loss {info.loss:.4f} · batch accuracy {info.accuracy:.0%} · {info.samples_per_second:,.0f} drawings/s"
        )

    def show_epoch(self, info: EpochInfo) -> None:
        self._last_epoch = info
        self.status.setToolTip(
            f"last epoch: loss {info.train_loss:.4f}, accuracy {info.train_accuracy:.1%}"
            + (f", validation accuracy {info.val_accuracy:.1%}" if info.val_accuracy is not None else "")
        )

    # --- buttons ---

    def _start_clicked(self) -> None:
        self.set_state("starting")
        self.start_requested.emit(self.config(), self.from_scratch.isChecked())

    def _pause_clicked(self) -> None:
        if self._state == "paused":
            self.resume_requested.emit()
        else:
            self.pause_requested.emit()
