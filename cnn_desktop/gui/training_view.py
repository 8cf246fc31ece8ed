"""The training dock: the controls, the loss and accuracy curves, and the timeline under them, kept
up to date from the session.

It also keeps the settings honest for the collection at hand: while the person has not changed them,
the controls show the defaults ``core/training/run_plan.default_config`` picks for the drawings there
are (a small collection's, with the reason), and a warning names a class with too few drawings. The
line under the curves says what the accuracy figure is, or why there is none."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from cnn_desktop.core.app.messages import AccuracyEstimate, TrainingEpoch, TrainingStarted, TrainingSteps
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.tasks import TASKS
from cnn_desktop.core.training.run_plan import default_config, few_drawings_warning, settings_chosen
from cnn_desktop.gui.panels.curves import CurvesPanel
from cnn_desktop.gui.device_setting import DeviceSetting
from cnn_desktop.gui.training_controls import TrainingControls


class TrainingView(QWidget):
    def __init__(self, session: Session, timeline: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controls = TrainingControls()
        self.curves = CurvesPanel()
        row = QHBoxLayout(self)
        # The controls scroll rather than squash: a status line wrapping onto three lines once shrank
        # the Epochs, Learning rate and Batch size boxes until their arrows were unusable, and their
        # notes (small-collection defaults, a warning) made the window taller than a 1280x800 screen.
        self.controls_area = QScrollArea()
        self.controls_area.setWidget(self.controls)
        self.controls_area.setWidgetResizable(True)
        self.controls_area.setFrameShape(QFrame.Shape.NoFrame)
        self.controls_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.controls_area.setMinimumWidth(self.controls.sizeHint().width()
                                           + self.controls_area.verticalScrollBar().sizeHint().width())
        row.addWidget(self.controls_area)
        column = QVBoxLayout()
        column.addWidget(self.curves, 1)
        column.addWidget(timeline)
        row.addLayout(column, 1)
        self._task = None
        self._counts: dict[str, int] = {}

        self.device_setting = DeviceSetting(session, self.controls.device)  # remembered in window.ini
        self.controls.start_requested.connect(session.start_training)
        self.controls.pause_requested.connect(session.pause_training)
        self.controls.resume_requested.connect(session.resume_training)
        self.controls.stop_requested.connect(session.stop_training)
        self.controls.from_scratch.toggled.connect(lambda _: self._offer_defaults())
        session.task_changed.connect(self._task_changed)
        session.counts_changed.connect(self._counts_changed)
        session.run_state_changed.connect(self.controls.set_state)
        session.run_state_changed.connect(lambda *_: self._offer_defaults())  # drawings labelled meanwhile
        session.training_started.connect(self._started)
        session.training_steps.connect(self._steps)
        session.training_epoch.connect(self._epoch)
        session.accuracy_estimate.connect(self._estimate)

    def _task_changed(self, task) -> None:
        self._task, self._counts = task, {}
        self.controls.set_defaults(task.app_train_config)  # the mode's own, before its drawings are counted

    def _counts_changed(self, counts: dict) -> None:
        self._counts = dict(counts)
        self.controls.show_warning(few_drawings_warning(self._counts))
        self._offer_defaults()

    def _offer_defaults(self) -> None:
        """The defaults for these drawings, unless the person chose settings (or a run is using them)."""
        if self._task is None or self.controls.customised or self.controls.state in ("starting", "running", "paused"):
            return
        if settings_chosen(self._task.app_train_config, *(task.app_train_config for task in TASKS.values())):
            return  # a project's own settings, written by someone: used as they are
        config, note = default_config(self._task.app_train_config, self._counts, self.controls.from_scratch.isChecked())
        self.controls.set_defaults(config, note)

    def _started(self, message: TrainingStarted) -> None:
        self.curves.clear(message.total_steps)  # lets the x axes show how far the run has to go
        self.curves.set_validation(message.validation == "holdout", message.validation_line)
        self.controls.show_warning(message.warning)
        self.controls.training_started(message.total_steps, message.config.epochs, message.train_size,
                                       message.val_size, message.device_line)

    def _steps(self, message: TrainingSteps) -> None:
        steps = message.steps
        self.curves.add_steps([s.step for s in steps], [s.loss for s in steps], [s.accuracy for s in steps])
        self.controls.show_step(message.last)  # the status line only ever shows the newest

    def _epoch(self, message: TrainingEpoch) -> None:
        info = message.info
        self.curves.add_epoch(info.epoch, info.step, info.train_loss, info.train_accuracy, info.val_loss,
                              info.val_accuracy)
        self.controls.show_epoch(info)

    def _estimate(self, message: AccuracyEstimate) -> None:
        self.curves.show_note(message.line)
        if message.state == "running":
            self.controls.status.setText(message.line)
        elif message.state == "done":
            self.controls.estimate = f"{message.folds}-fold estimate {message.correct}/{message.total} right"
