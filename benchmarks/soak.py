"""Soak: the main window trains without pause while strokes are drawn and labelled, for minutes.

``python -m benchmarks.soak --minutes 10`` opens the window offscreen on a generated ticks-and-crosses
collection, trains on it continuously (a finished or stopped run is started again at once), and draws
on the canvas from a QTimer the way a hand does: a stroke grows point by point, the live guess follows,
and every few drawings one is labelled and added to the collection (so each new run trains on more).
Resident memory (VmRSS from /proc/self/status; the peak from getrusage elsewhere) is sampled every
second; it prints the memory at the start, at each minute and at the end, and the growth.

This is a benchmark, not a test: it asserts nothing. What to look for: growth after the first minute
(allocator warm-up) that keeps climbing minute after minute would be a leak. Exit status 0 unless the
window could not start or the app reported a problem.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

SAMPLE_MS = 1000  # RSS sampling period
STROKE_MS = 20  # a new point of the stroke being drawn, 50 per second like a mouse
LABEL_EVERY = 4  # every 4th finished drawing is added to the collection


def rss_mb() -> float:
    """Resident memory now (VmRSS), in MB; where /proc is missing, the peak so far (ru_maxrss)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Soak:
    """Drives one window: keeps it training, draws on its canvas, samples memory."""

    def __init__(self, window, drawings, minutes: float, out=sys.stdout):
        from PySide6.QtCore import QTimer

        from cnn_desktop.core.app.messages import EngineError, Prediction, TrainingState, TrainingSteps

        self.window, self.drawings, self.out = window, drawings, out
        self.seconds = minutes * 60
        self.samples: list[tuple[float, float]] = []  # (seconds since start, RSS MB)
        self.steps = self.runs = self.drawn = self.added = self.answers = 0
        self.problems: list[str] = []
        self._types = {"error": EngineError, "state": TrainingState, "step": TrainingSteps, "answer": Prediction}
        self._drawing = self._point = 0
        self._minute = 0
        self.started = time.monotonic()
        window.worker.message.connect(self._message)
        self._draw_timer = QTimer(interval=STROKE_MS, timeout=self._draw)
        self._sample_timer = QTimer(interval=SAMPLE_MS, timeout=self._sample)

    def start(self) -> None:
        """Once the engine has its model and has answered a first drawing (torch loaded, every panel
        drawn once), start the clock, training and drawing."""
        from PySide6.QtCore import QTimer

        engine = self.window.worker.engine
        if engine is None or engine.model is None or self.window.session.shown_request_id < 1:
            if engine is not None and engine.model is not None and self.window.session.last_request_id == 0:
                self.window.canvas.set_strokes(self.drawings[0])  # a first guess to wait for
            QTimer.singleShot(100, self.start)
            return
        self.started = time.monotonic()
        self._sample()
        self._report(f"memory at start: {self.samples[0][1]:.1f} MB")
        self._train()
        self._draw_timer.start()
        self._sample_timer.start()
        QTimer.singleShot(int(self.seconds * 1000), self._finish)

    # --- the three activities ---

    def _train(self) -> None:
        controls = self.window.training
        if controls.start_button.isEnabled():
            controls.epochs.setValue(1000)
            controls.start_button.click()
            self.runs += 1

    def _draw(self) -> None:
        """One more point of the current drawing; a finished drawing is labelled or cleared."""
        strokes = self.drawings[self._drawing % len(self.drawings)]
        points = [len(stroke) for stroke in strokes]
        self._point += 1
        if self._point <= sum(points):
            self.window.canvas.set_strokes(_prefix(strokes, self._point))
            return
        self.drawn += 1
        if self.drawn % LABEL_EVERY == 0:
            label = ("tick", "cross")[self._drawing % 2]
            self.window.session.add_drawing(label)  # clears the canvas once stored
            self.added += 1
        else:
            self.window.canvas.clear()
        self._drawing += 1
        self._point = 0

    def _sample(self) -> None:
        elapsed = time.monotonic() - self.started
        self.samples.append((elapsed, rss_mb()))
        if elapsed >= 60 * (self._minute + 1) - SAMPLE_MS / 2000:
            self._minute += 1
            self._report(f"memory at minute {self._minute}: {self.samples[-1][1]:.1f} MB "
                         f"({self.steps} training steps, {self.drawn} drawings so far)")

    def _message(self, message) -> None:
        from PySide6.QtCore import QTimer

        if isinstance(message, self._types["step"]):
            self.steps += len(message.steps)
        elif isinstance(message, self._types["answer"]):
            self.answers += 1
        elif isinstance(message, self._types["error"]):
            self.problems.append(message.message)
        elif isinstance(message, self._types["state"]) and message.state in ("finished", "stopped", "failed"):
            if message.state == "failed":
                self.problems.append(message.message)
            QTimer.singleShot(0, self._train)  # keep training, on the next turn of the event loop

    # --- the end ---

    def _finish(self) -> None:
        from PySide6.QtWidgets import QApplication

        self._draw_timer.stop()
        self._sample_timer.stop()
        self._sample()
        QApplication.instance().quit()

    def summary(self) -> list[str]:
        start, end = self.samples[0][1], self.samples[-1][1]
        elapsed = self.samples[-1][0]
        lines = [f"memory at the end ({elapsed / 60:.1f} min): {end:.1f} MB",
                 f"growth: {end - start:+.1f} MB over {elapsed / 60:.1f} min"]
        after_first = [mb for t, mb in self.samples if t >= 60]
        if len(after_first) >= 2:
            lines.append(f"growth after the first minute: {after_first[-1] - after_first[0]:+.1f} MB "
                         f"over {(elapsed - 60) / 60:.1f} min")
        peak = max(mb for _, mb in self.samples)
        lines.append(f"peak RSS sampled: {peak:.1f} MB")
        minutes = max(elapsed / 60, 1e-9)
        lines.append(f"trained {self.steps} steps in {self.runs} runs ({self.steps / minutes:.0f} per minute); "
                     f"drew {self.drawn} drawings (added {self.added}); the drawing changed "
                     f"{self.window.session.last_request_id} times and {self.answers} guesses were computed "
                     f"({self.answers / minutes:.0f} per minute; only the newest change is answered)")
        lines += [f"problem: {text}" for text in self.problems]
        return lines

    def _report(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def _prefix(strokes, count: int):
    """The first ``count`` points of a drawing, stroke by stroke: what a hand has drawn so far."""
    from cnn_desktop.core.data.strokes import Strokes

    parts = []
    for stroke in strokes:
        if count <= 0:
            break
        parts.append(stroke[:count])
        count -= len(stroke)
    return Strokes.from_points(parts)


def make_collection(home: Path, per_class: int, seed: int) -> None:
    from cnn_desktop.core.tasks import collection_dir
    from cnn_desktop.core.data.preprocess import preprocess
    from cnn_desktop.core.tasks import TASKS
    from cnn_desktop.core.data.store import DrawingStore
    from cnn_desktop.core.data.synth import generate_ticks_crosses

    preset = TASKS["ticks-crosses"]
    drawings, labels = generate_ticks_crosses(per_class, seed=seed)
    store = DrawingStore(collection_dir(preset, home), preset.classes)
    store.add_many((preset.classes[label], preprocess(strokes), strokes) for strokes, label in zip(drawings, labels))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--per-class", type=int, default=100, help="generated drawings per class to start with")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--home", type=Path, help="data folder to use (default: a new temporary one)")
    options = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # No bundled model: the run starts from an untrained network, the same on every machine.
    os.environ.setdefault("CNN_DESKTOP_RESOURCES", str(Path(tempfile.gettempdir()) / "cnn-desktop-soak-no-resources"))

    from PySide6.QtWidgets import QApplication

    from cnn_desktop.core.data.synth import generate_ticks_crosses
    from cnn_desktop.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="cnn-desktop-soak-") as temporary:
        home = options.home or Path(temporary)
        make_collection(home, options.per_class, options.seed)
        drawings, _ = generate_ticks_crosses(20, seed=options.seed + 1)
        window = MainWindow(home=home)
        window.resize(1280, 800)
        window.show()
        window.session.switch_task("ticks-crosses")
        soak = Soak(window, drawings, options.minutes)
        print(f"soak: {options.minutes:g} min, training on {2 * options.per_class} generated drawings "
              f"while drawing on the canvas; data in {home}", flush=True)
        soak.start()
        app.exec()
        for line in soak.summary():
            print(line, flush=True)
        window.close()
    return 1 if soak.problems else 0


if __name__ == "__main__":
    sys.exit(main())
