"""The compute thread: the engine's loop in a thread of its own, its messages delivered as a Qt signal.

The engine (core/engine.py) owns the model and does all the computing; this wrapper only gives it a
thread and turns its messages into a signal. Qt queues a signal emitted from another thread onto the
receiver's thread, so every slot connected to ``message`` runs on the GUI thread.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from cnn_desktop.core.engine import Engine
from cnn_desktop.core.messages import Command


class ComputeWorker(QObject):
    message = Signal(object)  # any message dataclass from core/messages.py

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.engine = Engine(emit=self.message.emit)
        # A daemon thread: even if a step hung, it could not keep the process alive after the window
        # has closed.
        self._thread = threading.Thread(target=self.engine.run, name="cnn-desktop-compute", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, command: Command) -> None:
        """Queue a command; never blocks."""
        self.engine.submit(command)

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Finish queued commands, stop training, and wait for the thread; True if it ended in time."""
        self.engine.request_shutdown()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()
