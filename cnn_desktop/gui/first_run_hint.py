"""Three steps for someone who has never used the app: draw, label, train.

One slim row above the canvas, not a dialog: a dialog would stand between the person and the canvas
the hint is about. Each step ticks itself off when the person does it; the hint goes when they press
"Got it" or soon after the third step, and it never comes back (remembered in window.ini).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget
from superqt import QElidingLabel

from cnn_desktop.core.app.session import Session

DISMISSED_KEY = "hint/dismissed"
STEPS = (
    "Draw on the canvas",
    "Press its class's key to label it",
    "Press Train",
)
# Long enough to see the third step ticked, short enough not to linger once it is no longer news.
GONE_AFTER_LAST_STEP_MS = 2500
_STYLE = "FirstRunHint { background: #fff6d6; border: 1px solid #e8d48a; border-radius: 4px; }"


class FirstRunHint(QFrame):
    dismissed = Signal()

    def __init__(self, session: Session, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.setStyleSheet(_STYLE)
        self.done = [False] * len(STEPS)
        # One line that elides ("…", full text in the tooltip) where the canvas is narrow. Wrapped labels
        # made the window taller than the screen (their height-for-width is asked at a narrow width
        # while the window is laid out), and unwrapped ones set the canvas's minimum width to ~740 px.
        self.text = QElidingLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        layout.addWidget(self.text, 1)
        self.close_button = QPushButton("Got it")
        self.close_button.setToolTip("Hide these steps for good")
        self.close_button.clicked.connect(self.dismiss)
        layout.addWidget(self.close_button)
        self._show_steps()
        session.prediction_changed.connect(lambda message: message.image is not None and self.step_done(0))
        session.drawing_added.connect(lambda _: self.step_done(1))
        session.training_started.connect(lambda _: self.step_done(2))

    @staticmethod
    def wanted(settings: QSettings) -> bool:
        """Whether to show the hint at all: not once it was dismissed, in this or any earlier launch."""
        return not settings.value(DISMISSED_KEY, False, type=bool)

    def step_done(self, index: int) -> None:
        if self.done[index] or self.isHidden():
            return
        self.done[index] = True
        self._show_steps()
        if all(self.done):
            QTimer.singleShot(GONE_AFTER_LAST_STEP_MS, self, self.dismiss)

    def dismiss(self) -> None:
        if self.isHidden() and self._settings.value(DISMISSED_KEY, False, type=bool):
            return
        self._settings.setValue(DISMISSED_KEY, True)
        self._settings.sync()
        self.hide()
        self.dismissed.emit()

    def _show_steps(self) -> None:
        # A done step keeps its place with a tick for its number: the line does not reflow under the pointer.
        steps = [f"{'✓' if done else number}  {text}" for number, (text, done) in enumerate(zip(STEPS, self.done), 1)]
        line = "New here?     " + "     ".join(steps)
        self.text.setText(line)
        self.text.setToolTip(line)
