"""The compute thread: the engine's loop in a thread of its own, its messages delivered as a Qt signal.

The engine (core/app/engine.py) owns the model and does all the computing; this wrapper only gives it a
thread and turns its messages into a signal. Qt queues a signal emitted from another thread onto the
receiver's thread, so every slot connected to ``message`` runs on the GUI thread.

The engine module (and with it torch, about a second to import) is imported inside the thread, so the
window shows at once and becomes interactive while torch loads; commands sent meanwhile are kept and
handed over in order.
"""

from __future__ import annotations

import gc
import os
import threading

from PySide6.QtCore import QObject, Signal

from cnn_desktop.core.app.messages import Command


class ComputeWorker(QObject):
    message = Signal(object)  # any message dataclass from core/app/messages.py

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.engine = None  # the Engine, once the thread has imported and created it
        self._early: list[Command] = []  # commands sent before the engine existed
        self._lock = threading.Lock()
        self._shutdown_requested = False
        # A daemon thread: even if a step hung, it could not keep the process alive after the window
        # has closed.
        self._thread = threading.Thread(target=self._run, name="cnn-desktop-compute", daemon=True)

    def start(self) -> None:
        """Start the thread (and so the torch import); does nothing if started already or shut down."""
        with self._lock:
            if self._shutdown_requested or self.started:
                return
            self._thread.start()

    def submit(self, command: Command) -> None:
        """Queue a command; never blocks."""
        with self._lock:
            if self.engine is None:
                self._early.append(command)
                return
            engine = self.engine
        engine.submit(command)

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Finish queued commands, stop training, and wait for the thread; True if it ended in time."""
        with self._lock:
            self._shutdown_requested = True
            engine = self.engine
        if engine is not None:
            engine.request_shutdown()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait(self, timeout: float) -> bool:
        """Wait for the thread to end (after ``shutdown``); True if it has (or never started)."""
        if not self.started:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def started(self) -> bool:
        """Whether the thread was ever started (it may have ended since)."""
        return self._thread.ident is not None

    def _run(self) -> None:
        import torch  # noqa: F401  (~1 s: here, not on the GUI thread)

        # torch leaves ~170,000 objects for the cyclic garbage collector, which every full collection
        # then walks, in whichever thread happens to allocate: 80-100 ms with nothing else running, a
        # stall of the window or of a training step. Everything alive now (torch, Qt, the window's
        # widgets) lives as long as the app, so it is moved out of the collector's sight: a full
        # collection then takes ~2 ms, and importing the engine 0.06 s instead of 0.14 s.
        gc.freeze()
        from cnn_desktop.core.app.engine import Engine
        from cnn_desktop.core.network.model import configure_torch

        # Leave one core to the GUI thread. With two torch threads on a busy two-core machine, training
        # steps ran about 6x slower than with one (21 vs 130 steps/s, measured here): the threads spin
        # waiting for a core the window (or anything else) is using.
        configure_torch(max(1, (os.cpu_count() or 2) - 1))
        engine = Engine(emit=self.message.emit)
        with self._lock:
            self.engine = engine
            early, self._early = self._early, []
            shutting_down = self._shutdown_requested
        for command in early:
            engine.submit(command)
        if shutting_down:
            engine.request_shutdown()
        engine.run()
