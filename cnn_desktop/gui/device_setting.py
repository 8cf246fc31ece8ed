"""The Device setting of the training controls: auto, CPU, CUDA or MPS, remembered between launches.

The choice is kept in the window's settings file (``<data home>/window.ini``, gui/window_settings.py)
and handed to the session, which sends it with every StartTraining; the engine resolves it
(core/training/device.py). Every choice is listed: finding out which GPUs are here needs torch, which
the window's thread never imports (the compute thread does). A device that is not here fails the run
with the engine's one line, shown under the Train button.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox

from cnn_desktop.core.app.session import Session
from cnn_desktop.core.training.device import CHOICES
from cnn_desktop.gui.window_settings import window_settings

SETTING_KEY = "training/device"
DEFAULT = "auto"
_WORDS = {"auto": "Auto (GPU only where it pays)", "cpu": "CPU", "cuda": "CUDA GPU", "mps": "Apple GPU (MPS)"}


class DeviceSetting:
    """Fills ``box`` with the devices, shows the saved choice, and keeps session and file up to date."""

    def __init__(self, session: Session, box: QComboBox) -> None:
        self.session, self.box = session, box
        self._settings = window_settings(session.home)
        with QSignalBlocker(box):
            box.clear()
            for choice in CHOICES:
                box.addItem(_WORDS[choice], choice)
        box.setToolTip("Where training computes. Auto trains on a GPU only for networks big enough to gain "
                       "from one; small networks train faster on the CPU.")
        saved = str(self._settings.value(SETTING_KEY, DEFAULT))
        self.choose(saved if saved in CHOICES else DEFAULT, remember=False)
        box.currentIndexChanged.connect(lambda _: self.choose(box.currentData()))

    @property
    def choice(self) -> str:
        return self.session.device

    def choose(self, choice: str, remember: bool = True) -> None:
        self.session.device = choice
        with QSignalBlocker(self.box):
            self.box.setCurrentIndex(self.box.findData(choice))
        if remember:
            self._settings.setValue(SETTING_KEY, choice)
            self._settings.sync()
