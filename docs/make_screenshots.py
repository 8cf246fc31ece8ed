"""Regenerate the screenshots in docs/ from a real window (run under an X server, e.g. Xvfb).

    Xvfb :77 -screen 0 1280x800x24 & DISPLAY=:77 QT_QPA_PLATFORM=xcb python docs/make_screenshots.py

It uses a throwaway data folder, draws with real X mouse events (xdotool), labels drawings, trains,
and saves docs/app-*.png. Nothing here runs in the tests.

One shot of a drawing at another screen size or pixel ratio (the window fills the screen):

    Xvfb :98 -screen 0 1920x1080x24 & DISPLAY=:98 QT_QPA_PLATFORM=xcb python docs/make_screenshots.py --only 1920x1080
    Xvfb :99 -screen 0 2560x1600x24 & DISPLAY=:99 QT_QPA_PLATFORM=xcb QT_SCALE_FACTOR=2 \
        python docs/make_screenshots.py --only dpr2
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

DOCS = Path(__file__).resolve().parent
HOME = Path(tempfile.mkdtemp(prefix="cnn-desktop-shots-"))
os.environ["CNN_DESKTOP_HOME"] = str(HOME)

from cnn_desktop.core.data.synth import generate_ticks_crosses  # noqa: E402  (after CNN_DESKTOP_HOME is set)
from cnn_desktop.gui.app import configure_pyqtgraph  # noqa: E402
from cnn_desktop.gui.main_window import MainWindow  # noqa: E402

# A hand-drawn "2" and "7", as canvas fractions, drawn with the real mouse.
TWO = [(0.30, 0.32), (0.36, 0.22), (0.48, 0.17), (0.60, 0.20), (0.66, 0.30), (0.63, 0.42), (0.52, 0.55),
       (0.40, 0.67), (0.31, 0.78), (0.45, 0.78), (0.58, 0.78), (0.70, 0.77)]
SEVEN = [(0.30, 0.22), (0.50, 0.22), (0.68, 0.21), (0.60, 0.38), (0.52, 0.55), (0.46, 0.72), (0.43, 0.82)]


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True)


def draw_with_mouse(window: MainWindow, points) -> None:
    canvas = window.canvas
    origin = canvas.mapToGlobal(canvas.rect().topLeft())
    w, h = canvas.width(), canvas.height()
    ratio = canvas.devicePixelRatioF()  # X moves the pointer in device pixels, Qt lays out in logical ones
    coords = [(int((origin.x() + x * w) * ratio), int((origin.y() + y * h) * ratio)) for x, y in points]
    xdotool("mousemove", *map(str, coords[0]))
    xdotool("mousedown", "1")
    for (x0, y0), (x1, y1) in zip(coords, coords[1:]):
        for t in np.linspace(0, 1, 6)[1:]:  # intermediate moves, like a real hand
            xdotool("mousemove", str(int(x0 + (x1 - x0) * t)), str(int(y0 + (y1 - y0) * t)))
            QApplication.processEvents()
    xdotool("mouseup", "1")


def shot(window: MainWindow, name: str) -> None:
    QApplication.processEvents()
    window.grab().save(str(DOCS / f"app-{name}.png"))
    print("saved", DOCS / f"app-{name}.png")


def main() -> int:
    app = QApplication(sys.argv)
    configure_pyqtgraph()
    window = MainWindow(home=HOME)
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    if only:
        screen = app.primaryScreen().availableGeometry()  # in logical pixels: 1280x800 at ratio 2
        window.resize(screen.width(), screen.height())
    else:
        window.resize(1280, 800)
    window.show()
    steps = []

    def later(ms, action, ready=lambda: True):
        """``action`` ``ms`` after the step before, once ``ready()`` (a slow machine waits, not misses)."""
        steps.append((ms, action, ready))

    def model_ready():
        return window.session.model is not None

    def drawing_shown():
        prediction = window.session.prediction
        return prediction is not None and prediction.image is not None

    if only:  # one shot of a drawing, at this screen's size and ratio
        later(2500, lambda: draw_with_mouse(window, TWO), model_ready)
        later(1500, lambda: shot(window, only), drawing_shown)
        later(200, window.close)
        run_steps(steps)
        return app.exec()

    later(1500, lambda: shot(window, "empty"), model_ready)
    later(300, lambda: draw_with_mouse(window, TWO))
    later(1200, lambda: shot(window, "drawing"), drawing_shown)

    def fit_to_canvas(strokes):
        """Generated drawings live on canvases of up to 1000 px: scale one into the middle of ours."""
        x0, y0, x1, y1 = strokes.bounds()
        side = 0.7 * min(window.canvas.width(), window.canvas.height())
        scale = side / max(x1 - x0, y1 - y0, 1.0)
        cx, cy = window.canvas.width() / 2, window.canvas.height() / 2
        return strokes.transformed(np.array([[scale, 0, cx - scale * (x0 + x1) / 2],
                                             [0, scale, cy - scale * (y0 + y1) / 2]]))

    def prepare_training():
        window.session.switch_task("ticks-crosses")
        drawings, labels = generate_ticks_crosses(50, seed=5)
        for strokes, label in zip(drawings, labels):
            window.canvas.set_strokes(fit_to_canvas(strokes))
            window.session.add_drawing(window.session.task.classes[label])
        window.training.from_scratch.setChecked(True)
        window.training.epochs.setValue(40)
        window.training.batch_size.setValue(8)
        window.canvas.set_strokes(fit_to_canvas(generate_ticks_crosses(3, seed=99)[0][0]))
        window.training.start_button.click()
        shoot_mid_run()

    def shoot_mid_run():
        """The training shot, taken live: once the run is about two thirds done (it takes a second or two)."""
        progress = window.training.progress
        if progress.maximum() > 0 and progress.value() >= 0.65 * progress.maximum():
            shot(window, "training")
            taken.append("training")
        else:
            QTimer.singleShot(20, shoot_mid_run)

    taken = []
    later(500, prepare_training)
    later(1000, lambda: None, lambda: taken and window.training.start_button.isEnabled())  # the run ends

    def scrub_back():
        """The timeline shot (docs/inside-timeline.png): the slider moved back to an early moment."""
        slider = window.inspection.timeline.slider
        slider.setValue(max(1, slider.maximum() // 8))

    later(600, scrub_back)
    later(1500, lambda: window.grab().save(str(DOCS / "inside-timeline.png")) or print("saved inside-timeline.png"))
    later(200, lambda: window.inspection.timeline.slider.setValue(window.inspection.timeline.slider.maximum()))

    def show_collection():
        window.docks["collection"].raise_()
        window.collection.refresh()

    later(4000, show_collection)
    later(800, lambda: shot(window, "collection"))
    later(200, window.close)

    run_steps(steps)
    return app.exec()


def run_steps(steps, index=0) -> None:
    """Each (delay in ms, action, ready) after the one before, once ready() says so."""
    if index < len(steps):
        delay, action, ready = steps[index]

        def go():
            if not ready():
                QTimer.singleShot(50, go)
                return
            action()
            run_steps(steps, index + 1)

        QTimer.singleShot(delay, go)


if __name__ == "__main__":
    sys.exit(main())
