"""The training dock: the controls, the loss and accuracy curves, and the timeline under them, kept
up to date from the session."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from cnn_desktop.core.app.messages import TrainingEpoch, TrainingStarted, TrainingSteps
from cnn_desktop.core.app.session import Session
from cnn_desktop.gui.panels.curves import CurvesPanel
from cnn_desktop.gui.training_controls import TrainingControls


class TrainingView(QWidget):
    def __init__(self, session: Session, timeline: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controls = TrainingControls()
        self.curves = CurvesPanel()
        row = QHBoxLayout(self)
        row.addWidget(self.controls)
        column = QVBoxLayout()
        column.addWidget(self.curves, 1)
        column.addWidget(timeline)
        row.addLayout(column, 1)

        self.controls.start_requested.connect(session.start_training)
        self.controls.pause_requested.connect(session.pause_training)
        self.controls.resume_requested.connect(session.resume_training)
        self.controls.stop_requested.connect(session.stop_training)
        session.task_changed.connect(lambda task: self.controls.set_defaults(task.app_train_config))
        session.run_state_changed.connect(self.controls.set_state)
        session.training_started.connect(self._started)
        session.training_steps.connect(self._steps)
        session.training_epoch.connect(self._epoch)

    def _started(self, message: TrainingStarted) -> None:
        self.curves.clear(message.total_steps)  # lets the x axes show how far the run has to go
        self.controls.training_started(message.total_steps, message.config.epochs, message.train_size,
                                       message.val_size)

    def _steps(self, message: TrainingSteps) -> None:
        steps = message.steps
        self.curves.add_steps([s.step for s in steps], [s.loss for s in steps], [s.accuracy for s in steps])
        self.controls.show_step(message.last)  # the status line only ever shows the newest

    def _epoch(self, message: TrainingEpoch) -> None:
        info = message.info
        self.curves.add_epoch(info.epoch, info.step, info.train_loss, info.train_accuracy, info.val_loss,
                              info.val_accuracy)
        self.controls.show_epoch(info)
