"""Driving the real main window offscreen: the application, a temporary home with a filled collection,
a stroke driver that moves the mouse over the canvas like a hand, and hooks on the probabilities panel.

Nothing here changes the app: the window is the one ``cnn-desktop`` opens, and the hooks only wrap
methods of this one window's panel instances.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject, QPointF, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def application() -> QApplication:
    """The QApplication, set up as ``cnn_desktop.gui.app.main`` sets it up."""
    from cnn_desktop.gui.app import configure_pyqtgraph

    app = QApplication.instance() or QApplication(["cnn-desktop-benchmark"])
    app.setApplicationName("cnn-desktop")
    app.setOrganizationName("cnn-desktop")
    configure_pyqtgraph()
    return app


def spin(seconds: float) -> None:
    """Run the event loop for ``seconds`` (processing events as the app would)."""
    app = QApplication.instance()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.0005)


def spin_until(predicate: Callable[[], bool], timeout: float) -> bool:
    app = QApplication.instance()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        app.processEvents()
        time.sleep(0.0005)
    return predicate()


def run_loop(seconds: float) -> None:
    """Run the real event loop (``exec``) for ``seconds``: timers then fire as they do in the app."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


class TempHome:
    """A throw-away CNN_DESKTOP_HOME; with ``examples``, the digits collection holds that many MNIST
    digits (or random images when MNIST is absent)."""

    def __init__(self, examples: int = 0):
        self._dir = tempfile.TemporaryDirectory(prefix="cnn-bench-")
        self.path = Path(self._dir.name) / "home"
        os.environ["CNN_DESKTOP_HOME"] = str(self.path)
        self.examples = 0
        self.source = ""
        if examples:
            self.fill(examples)

    def fill(self, n: int) -> None:
        from benchmarks.common import digits_data
        from cnn_desktop.core.projects.builtin import builtin_project_dir, open_or_create_builtin
        from cnn_desktop.core.tasks import TASKS

        task = TASKS["digits"]
        images, labels, source = digits_data(n)
        # The digits mode's own project, as the app opens it (its drawings are the collection trained on).
        with open_or_create_builtin(task, builtin_project_dir(task, self.path)) as project:
            project.store.add_many((task.classes[label], image, None) for image, label in zip(images, labels))
        self.examples, self.source = len(labels), source

    @property
    def collection(self) -> Path:
        from cnn_desktop.core.projects.builtin import builtin_project_dir
        from cnn_desktop.core.tasks import TASKS

        return builtin_project_dir(TASKS["digits"], self.path) / "drawings"

    def cleanup(self) -> None:
        self._dir.cleanup()


def open_window(home: TempHome, width: int = 1280, height: int = 800):
    """The app's main window, shown, with its (untrained or saved) model ready."""
    from cnn_desktop.gui.main_window import MainWindow

    window = MainWindow(home=home.path)
    window.resize(width, height)
    window.show()
    if not spin_until(lambda: "Model:" in window.model_label.text(), 30):
        raise RuntimeError("the window's model did not become ready within 30 s")
    spin(0.2)
    return window


def close_window(window) -> None:
    window.close()
    spin(0.05)


def digit_like_path(index: int, width: float, height: float, points: int = 40) -> list[tuple[float, float]]:
    """A hand-like stroke in canvas pixels: an ellipse-ish loop ("0"), a zig-zag ("2"/"7") or a hook,
    drawn in the middle of the canvas with a little deterministic wobble."""
    rng = np.random.default_rng(index)
    cx, cy = width / 2, height / 2
    rx, ry = 0.18 * width, 0.32 * height
    kind = index % 3
    out = []
    for i in range(points):
        t = i / (points - 1)
        if kind == 0:
            angle = 2 * math.pi * t * 0.95 - math.pi / 2
            x, y = cx + rx * math.cos(angle), cy + ry * math.sin(angle)
        elif kind == 1:
            if t < 0.5:
                x, y = cx - rx + 2 * rx * (t / 0.5), cy - ry
            else:
                s = (t - 0.5) / 0.5
                x, y = cx + rx - rx * s, cy - ry + 2 * ry * s
        else:
            angle = math.pi * (1.2 * t) - math.pi / 2
            x, y = cx + rx * math.cos(angle) * 0.8, cy - ry + 2 * ry * t
        out.append((x + rng.normal(0, 1.5), y + rng.normal(0, 1.5)))
    return out


def _mouse(kind: QEvent.Type, x: float, y: float, button: Qt.MouseButton, buttons: Qt.MouseButton) -> QMouseEvent:
    pos = QPointF(x, y)
    return QMouseEvent(kind, pos, pos, pos, button, buttons, Qt.KeyboardModifier.NoModifier)


class StrokeDriver(QObject):
    """Draws strokes on the canvas from a precise timer: press, one move every ``interval_ms`` (8 ms =
    a 125 Hz mouse), release, a pause, clear the canvas (as Esc does), a pause, the next stroke.

    ``on_move(sequence, t)`` is called just before each move is delivered; ``moves`` counts them.
    """

    def __init__(self, canvas, interval_ms: int = 8, points: int = 40, pause_ms: int = 150,
                 on_move: Callable[[int, float], None] | None = None):
        super().__init__()
        self.canvas = canvas
        self.interval_ms = interval_ms
        self.points = points
        self.pause_ticks = max(1, pause_ms // interval_ms)
        self.on_move = on_move
        self.moves = 0
        self.strokes = 0
        self._plan: list = []
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self.canvas._drawing:  # finish a stroke in progress so the canvas is left consistent
            from PySide6.QtWidgets import QApplication as _App

            x, y = self.canvas._live_points[-1]
            _App.sendEvent(self.canvas, _mouse(QEvent.Type.MouseButtonRelease, x, y, Qt.MouseButton.LeftButton,
                                               Qt.MouseButton.NoButton))

    def _next_plan(self) -> list:
        path = digit_like_path(self.strokes, self.canvas.width(), self.canvas.height(), self.points)
        self.strokes += 1
        plan = [("press", *path[0])] + [("move", *p) for p in path[1:]] + [("release", *path[-1])]
        plan += [("wait",)] * self.pause_ticks + [("clear",)] + [("wait",)] * self.pause_ticks
        return plan

    def _tick(self) -> None:
        if not self._plan:
            self._plan = self._next_plan()
        step = self._plan.pop(0)
        kind = step[0]
        left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
        if kind == "press":
            QApplication.sendEvent(self.canvas, _mouse(QEvent.Type.MouseButtonPress, step[1], step[2], left, left))
        elif kind == "move":
            self.moves += 1
            if self.on_move is not None:
                self.on_move(self.moves, time.perf_counter())
            QApplication.sendEvent(self.canvas, _mouse(QEvent.Type.MouseMove, step[1], step[2], none, left))
        elif kind == "release":
            QApplication.sendEvent(self.canvas, _mouse(QEvent.Type.MouseButtonRelease, step[1], step[2], left, none))
        elif kind == "clear":
            self.canvas.clear()


class ProbabilitiesProbe:
    """Times when the probabilities panel puts a prediction on screen, and which request it answered.

    Wraps two methods of this window's panel instance: the throttled ``_draw`` (the callback its
    Throttle calls; it sets the bars and the headline) and the plot's ``paintEvent`` (the bars reaching
    the screen). A draw is "on screen" when the next paint of the plot after it has finished.
    """

    def __init__(self, window):
        self.window = window
        panel = window.probabilities
        self.draws: list[tuple[float, int]] = []  # (time the draw finished, request id shown)
        self.on_screen: list[tuple[float, int]] = []  # (time the paint after a draw finished, request id)
        self._pending: int | None = None
        original_draw = panel._draw
        original_paint = panel.plot_widget.paintEvent

        def draw():
            original_draw()
            if panel._shown is not None:
                self.draws.append((time.perf_counter(), window.session.shown_request_id))
                self._pending = window.session.shown_request_id

        def paint(event):
            original_paint(event)
            if self._pending is not None:
                self.on_screen.append((time.perf_counter(), self._pending))
                self._pending = None

        panel._redraw._callback = draw  # the Throttle holds the bound method it was given
        panel.plot_widget.paintEvent = paint


class RequestLog:
    """Which mouse moves each Predict request includes: connected to the canvas after the window, so
    ``window.session.last_request_id`` is the id the window just gave the drawing."""

    def __init__(self, window):
        self.window = window
        self.moves_sent = 0
        self.move_times: dict[int, float] = {}
        self.included: dict[int, int] = {}  # request id -> number of moves the drawing contains
        window.canvas.strokes_changed.connect(self._on_strokes)

    def on_move(self, sequence: int, t: float) -> None:
        self.moves_sent = sequence
        self.move_times[sequence] = t

    def _on_strokes(self, _strokes) -> None:
        self.included[self.window.session.last_request_id] = self.moves_sent

    def latencies(self, shown: list[tuple[float, int]], first_move: int = 1, last_move: int | None = None) -> list[float]:
        """Seconds from each move to the first on-screen prediction whose drawing contains it."""
        out = []
        events = sorted(shown)
        last_move = last_move if last_move is not None else self.moves_sent
        j = 0
        for move in range(first_move, last_move + 1):
            t_move = self.move_times.get(move)
            if t_move is None:
                continue
            while j < len(events) and self.included.get(events[j][1], -1) < move:
                j += 1
            if j == len(events):
                break
            out.append(events[j][0] - t_move)
        return out


def set_training_controls(window, epochs: int = 1000, batch_size: int | None = None, augment: bool | None = None):
    controls = window.training
    controls.epochs.setValue(epochs)
    if batch_size is not None:
        controls.batch_size.setValue(batch_size)
    if augment is not None:
        controls.augment.setChecked(augment)
    return controls.config()


def click_train(window, timeout: float = 60) -> None:
    """Click Train and wait for the first training steps."""
    window.training.start_button.click()
    if not spin_until(lambda: (window.worker.engine.trainer is not None
                               and window.worker.engine.trainer.step_count >= 3), timeout):
        raise RuntimeError(f"training did not start within {timeout} s (state {window.training.state!r}: "
                           f"{window.training.status.text()})")


def stop_training(window) -> None:
    if window.training.stop_button.isEnabled():
        window.training.stop_button.click()
    spin_until(lambda: window.worker.engine.trainer is None, 10)
    spin(0.1)


def steps_now(window) -> int:
    trainer = window.worker.engine.trainer
    return trainer.step_count if trainer is not None else 0
