"""Regenerate docs/compare.png from a real window (run under an X server, e.g. Xvfb).

    Xvfb :96 -screen 0 1280x800x24 & DISPLAY=:96 QT_QPA_PLATFORM=xcb python docs/make_screenshots_compare.py

It uses a throwaway data folder whose Ticks & crosses project holds generated ticks and crosses
(core/data/ticks_crosses.py), opens the main window and Training > Compare two networks…, trains the
default network against the tiny one, puts a drawing on the main canvas and grabs the compare window.
Nothing here runs in the tests.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

DOCS = Path(__file__).resolve().parent
HOME = Path(tempfile.mkdtemp(prefix="cnn-desktop-shots-"))
os.environ["CNN_DESKTOP_HOME"] = str(HOME)

from cnn_desktop.core.data.preprocess import preprocess  # noqa: E402  (after CNN_DESKTOP_HOME is set)
from cnn_desktop.core.data.synth import generate_ticks_crosses  # noqa: E402
from cnn_desktop.core.projects.builtin import builtin_project_dir, open_or_create_builtin  # noqa: E402
from cnn_desktop.core.tasks import TASKS  # noqa: E402
from cnn_desktop.gui.app import configure_pyqtgraph  # noqa: E402
from cnn_desktop.gui.main_window import MainWindow  # noqa: E402

TICKS = TASKS["ticks-crosses"]
PER_CLASS = int(os.environ.get("SHOT_PER_CLASS", "60"))


def fill_project() -> None:
    drawings, labels = generate_ticks_crosses(PER_CLASS, seed=5)
    with open_or_create_builtin(TICKS, builtin_project_dir(TICKS, HOME)) as project:
        project.store.add_many((project.class_ids[label], preprocess(strokes), strokes)
                               for strokes, label in zip(drawings, labels))


def fit_to_canvas(window: MainWindow, strokes):
    """Generated drawings live on canvases of up to 1000 px: scale one into the middle of ours."""
    x0, y0, x1, y1 = strokes.bounds()
    side = 0.6 * min(window.canvas.width(), window.canvas.height())
    scale = side / max(x1 - x0, y1 - y0, 1.0)
    cx, cy = window.canvas.width() / 2, window.canvas.height() / 2
    return strokes.transformed(np.array([[scale, 0, cx - scale * (x0 + x1) / 2],
                                         [0, scale, cy - scale * (y0 + y1) / 2]]))


def main() -> int:
    fill_project()
    app = QApplication(sys.argv)
    configure_pyqtgraph()
    window = MainWindow(home=HOME)
    window.resize(1280, 800)
    window.show()
    state = {}

    def open_compare():
        window.session.switch_task("ticks-crosses")
        compare = window.compare.open()
        compare.move(window.x() + 40, window.y() + 20)
        a, b = compare.pickers
        a.select("default preset")
        b.select("tiny preset")
        a.epochs.setValue(int(os.environ.get("SHOT_EPOCHS_A", "4")))
        b.epochs.setValue(int(os.environ.get("SHOT_EPOCHS_B", "4")))
        state["compare"] = compare
        QTimer.singleShot(1500, train)

    def train():
        state["compare"].train_button.click()
        wait_for_end()

    def wait_for_end():
        if state["compare"].comparison.state in ("finished", "stopped", "failed"):
            drawing = generate_ticks_crosses(3, seed=99)[0][0]
            window.canvas.set_strokes(fit_to_canvas(window, drawing))
            QTimer.singleShot(1500, shoot)
        else:
            QTimer.singleShot(100, wait_for_end)

    def shoot():
        QApplication.processEvents()
        path = DOCS / "compare.png"
        state["compare"].grab().save(str(path))
        print("saved", path, "-", state["compare"].status.text())
        window.close()
        app.quit()

    QTimer.singleShot(2500, open_compare)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
