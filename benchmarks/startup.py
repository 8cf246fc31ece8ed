"""Start-up: from process start to the main window shown, and to the first prediction on screen.

The app runs in a child process exactly as ``python -m cnn_desktop`` runs it (``cnn_desktop.cli.main([])``,
offscreen, an empty temporary CNN_DESKTOP_HOME), with an application-wide event filter installed before
it starts that records timestamps: the first frame of the main window painted ("shown"), then a stroke
drawn on the canvas at once, as an eager person would, and the first paint of the probabilities headline
while the panel holds probabilities ("first prediction"). The clock starts in the parent just before the child is spawned,
so interpreter start-up and every import count. CLOCK_MONOTONIC is shared by all processes on Linux.

Reference, in the same run and interleaved: a bare PySide6 window (``QApplication`` + a 1280x800
``QWidget``), timed the same way. ``import torch`` alone is timed in a fresh process too, and shown
against the app's time to window: the share of start-up it takes.

Bytecode: an app installed by pip starts from compiled bytecode (pip compiles every module at install
time; an editable checkout writes ``__pycache__`` on its first run). Every child here runs with the
app's modules compiled beforehand into a throw-away cache (``PYTHONPYCACHEPREFIX``), whatever
``PYTHONDONTWRITEBYTECODE`` says: these machines set it, which made every launch compile the app's
~170 modules from source (~0.14 s before the window, ~0.07 s more in the compute thread) that no
installed app pays. The app is also launched that way, without bytecode, and shown as a row of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks.common import REPO, Row, median, ratio

NAME = "startup"
TARGET_WINDOW_S = 1.0
TARGET_PREDICTION_S = 2.5

APP_CHILD = r"""
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

T = {"qt_imported": time.monotonic()}
app = QApplication(sys.argv)

def mouse(kind, x, y, button, buttons):
    p = QPointF(x, y)
    return QMouseEvent(kind, p, p, p, button, buttons, Qt.KeyboardModifier.NoModifier)

class Watch(QObject):
    window = None

    def eventFilter(self, obj, event):
        kind = event.type()
        if kind == QEvent.Type.Show and "show_event" not in T and type(obj).__name__ == "MainWindow":
            T["show_event"] = time.monotonic()
        elif kind == QEvent.Type.Paint and isinstance(obj, QWidget):
            top = obj.window()
            if "first_paint" not in T and type(top).__name__ == "MainWindow":
                T["first_paint"] = time.monotonic()
                Watch.window = top
                QTimer.singleShot(0, frame_done)
            elif (Watch.window is not None and "prediction" not in T
                  and obj is Watch.window.probabilities.headline
                  and Watch.window.probabilities._shown is not None):  # a guess, not "Draw something"
                T["prediction"] = time.monotonic()
                QTimer.singleShot(0, finish)
        return False

def frame_done():
    T["shown"] = time.monotonic()
    canvas = Watch.window.canvas
    w, h = canvas.width(), canvas.height()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    QApplication.sendEvent(canvas, mouse(QEvent.Type.MouseButtonPress, w * 0.4, h * 0.3, left, left))
    for i in range(1, 12):
        QApplication.sendEvent(canvas, mouse(QEvent.Type.MouseMove, w * 0.4 + 6 * i, h * 0.3 + 12 * i, none, left))
    T["stroke_sent"] = time.monotonic()

def finish():
    T["prediction_frame_done"] = time.monotonic()
    Watch.window.close()
    app.quit()

watch = Watch()
app.installEventFilter(watch)
QTimer.singleShot(60000, app.quit)  # never hang a benchmark
from cnn_desktop.cli import main
code = main([])
T["exit_code"] = code
print("STARTUP " + json.dumps(T), flush=True)
"""

BARE_CHILD = r"""
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget
T = {}
app = QApplication(sys.argv)
window = QWidget()
window.resize(1280, 800)

class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "first_paint" not in T:
            T["first_paint"] = time.monotonic()
            QTimer.singleShot(0, done)
        return False

def done():
    T["shown"] = time.monotonic()
    app.quit()

watch = Watch()
app.installEventFilter(watch)
QTimer.singleShot(30000, app.quit)
window.show()
app.exec()
print("STARTUP " + json.dumps(T), flush=True)
"""

TORCH_CHILD = r"""
import json, time
t = time.monotonic()
import torch
print("STARTUP " + json.dumps({"import_torch": time.monotonic() - t}), flush=True)
"""


def _spawn(code: str, home: str, bytecode: str | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; ``bytecode``: the compiled-module cache it starts with
    (None: as the environment says, here compiling from source at every start)."""
    env = dict(os.environ)
    if bytecode is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = bytecode
    env["QT_QPA_PLATFORM"] = env.get("QT_QPA_PLATFORM", "offscreen")
    env["CNN_DESKTOP_HOME"] = home
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    for line in done.stdout.splitlines():
        if line.startswith("STARTUP "):
            stamps = json.loads(line[len("STARTUP "):])
            return {k: (v - started if k not in ("import_torch", "exit_code") else v) for k, v in stamps.items()}
    raise RuntimeError(f"start-up child failed (status {done.returncode}): {done.stderr[-2000:]}")


def _compile_bytecode(cache: str) -> None:
    """Compile the app's modules into ``cache``, as pip does at install (not timed)."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "cnn_desktop")], env=env, check=True,
                   capture_output=True, timeout=120)


def run(quick: bool = False) -> list[Row]:
    rounds = 1 if quick else 5
    app_runs, bare_runs, torch_runs, source_runs = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="cnn-bench-startup-") as tmp:
        bytecode = os.path.join(tmp, "bytecode")
        _compile_bytecode(bytecode)
        if not quick:  # warm the disk cache for every child alike, untimed; the app's own run also fills
            # the bytecode cache with whatever it imports that compileall did not reach
            _spawn(TORCH_CHILD, tmp, bytecode), _spawn(BARE_CHILD, tmp, bytecode)
            _spawn(APP_CHILD, os.path.join(tmp, "warm"), bytecode)
        for index in range(rounds):
            home = os.path.join(tmp, f"home{index}")  # empty every time: a first launch's collection and model
            app_runs.append(_spawn(APP_CHILD, home, bytecode))
            bare_runs.append(_spawn(BARE_CHILD, home, bytecode))
            torch_runs.append(_spawn(TORCH_CHILD, home, bytecode))
            source_runs.append(_spawn(APP_CHILD, os.path.join(tmp, f"source{index}")))

    def med(runs, key):
        return median([r[key] for r in runs if key in r])

    shown, prediction = med(app_runs, "shown"), med(app_runs, "prediction_frame_done")
    source_shown, source_prediction = med(source_runs, "shown"), med(source_runs, "prediction_frame_done")
    bare = med(bare_runs, "shown")
    torch_import = med(torch_runs, "import_torch")
    stroke = med(app_runs, "stroke_sent")
    note = (f"median of {rounds} launch(es), each from an empty home; stroke sent at {stroke:.2f} s; "
            f"first paint began at {med(app_runs, 'first_paint'):.2f} s")
    return [
        Row(NAME, "process start -> main window shown", shown, "s", "bare PySide6 window shown", bare,
            ratio(shown, bare), f"<= {TARGET_WINDOW_S} s", shown <= TARGET_WINDOW_S, note=note,
            extra={"runs": app_runs, "bare_runs": bare_runs}),
        Row(NAME, "process start -> first prediction shown", prediction, "s", "bare PySide6 window shown", bare,
            ratio(prediction, bare), f"<= {TARGET_PREDICTION_S} s", prediction <= TARGET_PREDICTION_S),
        Row(NAME, "window shown, no bytecode (every module compiled at start)", source_shown, "s",
            "the same, from bytecode", shown, ratio(source_shown, shown), "", None,
            note=f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r} in this environment; "
                 f"first prediction {source_prediction:.2f} s", extra={"runs": source_runs}),
        Row(NAME, "import torch alone (fresh process)", torch_import, "s", "app: process start -> window shown",
            shown, ratio(torch_import, shown), "", None, extra={"runs": torch_runs}),
    ]
