"""Regenerate the screenshots of a person's own project (run under an X server, e.g. Xvfb):

    Xvfb :77 -screen 0 1280x800x24 & DISPLAY=:77 QT_QPA_PLATFORM=xcb python docs/make_screenshots_projects.py

In a throwaway data folder it fills in File > New project (four shapes), makes the project, draws ten
of each shape on the canvas in one person's style and labels each with its key, trains with the
defaults, then saves docs/projects-new.png (the dialog), docs/projects-trained.png (the window, with
the Versions tab), docs/projects-classes.png (Project > Classes). Nothing here runs in the tests.
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

from cnn_desktop.core.app.project_modes import ProjectTask  # noqa: E402  (after CNN_DESKTOP_HOME is set)
from cnn_desktop.core.data.shapes import generate_shapes, personal_style  # noqa: E402
from cnn_desktop.gui.app import configure_pyqtgraph  # noqa: E402
from cnn_desktop.gui.main_window import MainWindow  # noqa: E402

SHAPES = ("circle", "square", "triangle", "star")


def save(widget, name: str) -> None:
    QApplication.processEvents()
    widget.grab().save(str(DOCS / f"projects-{name}.png"))
    print("saved", DOCS / f"projects-{name}.png")


def main() -> int:
    app = QApplication(sys.argv)
    configure_pyqtgraph()
    window = MainWindow(home=HOME)
    window.resize(1280, 800)
    window.show()
    window.first_run_hint.dismiss()  # seen in the other screenshots; here the project is the subject
    steps = []

    def later(ms, action):
        steps.append((ms, action))

    def fill_dialog():
        dialog = window.projects.new_project()
        dialog.name.setText("Shapes")
        dialog.classes.setPlainText("\n".join(SHAPES))

    def create():
        window.projects.new_dialog.ok_button.click()

    def fit_to_canvas(strokes):
        x0, y0, x1, y1 = strokes.bounds()
        side = 0.7 * min(window.canvas.width(), window.canvas.height())
        scale = side / max(x1 - x0, y1 - y0, 1.0)
        cx, cy = window.canvas.width() / 2, window.canvas.height() / 2
        return strokes.transformed(np.array([[scale, 0, cx - scale * (x0 + x1) / 2],
                                             [0, scale, cy - scale * (y0 + y1) / 2]]))

    def label_and_train():
        assert isinstance(window.session.task, ProjectTask), window.session.task
        drawings, labels = generate_shapes(SHAPES, 10, seed=1, style=personal_style(101))
        for strokes, label in zip(drawings, labels):
            window.canvas.set_strokes(fit_to_canvas(strokes))
            window.session.add_drawing(window.session.task.class_ids[label])
        window.training.start_button.click()

    def draw_a_new_star():
        window.canvas.set_strokes(fit_to_canvas(generate_shapes(["star"], 1, seed=7, style=personal_style(101))[0][0]))
        window.docks["versions"].raise_()

    later(1500, fill_dialog)
    later(600, lambda: save(window.projects.new_dialog, "new"))
    later(100, create)
    later(4000, label_and_train)
    later(12000, draw_a_new_star)  # training (and its k-fold estimate) is over by then
    later(1500, lambda: save(window, "trained"))
    later(100, lambda: window.projects.edit_classes())
    later(800, lambda: save(window.projects.class_editor, "classes"))
    later(200, window.close)

    def run(index=0):
        if index < len(steps):
            delay, action = steps[index]
            QTimer.singleShot(delay, lambda: (action(), run(index + 1)))

    run()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
