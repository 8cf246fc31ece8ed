"""Borderline answers in the window: "tick or cross?" in the headline without moving the bars, and a
label key on such a drawing offering the quick fix, which runs in the engine and becomes a new version."""

import numpy as np
from PySide6.QtCore import Qt

from cnn_desktop.core.app.messages import Prediction
from cnn_desktop.core.network.checkpoint import save_model
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.projects.builtin import builtin_project_dir
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.tasks import TASKS
from gui_helpers import draw

TICKS = TASKS["ticks-crosses"]
TICK_POINTS = [(100, 300), (160, 380), (330, 120)]


def _versions(home):
    project = Project.open(builtin_project_dir(TICKS, home), read_only=True)
    return [(r["version"], r["reason"]) for r in project.versions()], project.current_version()


def test_a_borderline_guess_names_both_and_a_label_key_offers_a_quick_fix_kept_as_a_new_version(
        qtbot, open_window, home, tmp_path):
    window = open_window("ticks-crosses")
    session = window.session
    first = tmp_path / "first.safetensors"
    save_model(first, build_model(TICKS.spec(), seed=1))
    session.open_model(first)  # v0001, current: the version the fix must leave as it is
    qtbot.waitUntil(lambda: "first.safetensors" in window.model_label.text(), timeout=10000)
    old_bytes = (builtin_project_dir(TICKS, home) / "models" / "v0001" / "model.safetensors").read_bytes()

    draw(qtbot, window.canvas, TICK_POINTS)
    qtbot.waitUntil(lambda: session.shown_request_id == session.last_request_id, timeout=5000)
    panel = window.probabilities
    qtbot.wait(50)
    height = (panel.headline.height(), panel.plot_widget.height())
    # The network's answer to this drawing, torn between the two (an untrained network's is not).
    session.handle(Prediction(session.last_request_id, 99, TICKS.classes, np.zeros((28, 28), np.float32),
                              np.array([0.45, 0.55])))
    qtbot.waitUntil(lambda: panel.headline.text() == "cross or tick?  (55% / 45%)", timeout=2000)
    qtbot.wait(50)  # let the layout settle
    assert (panel.headline.height(), panel.plot_widget.height()) == height

    offer = window.quick_fix_offer
    assert not offer.isVisible()
    canvas_height = window.canvas.height()
    qtbot.keyClick(window, Qt.Key.Key_T)  # labelled a tick: the network had it as a cross
    qtbot.waitUntil(offer.isVisible, timeout=2000)
    assert offer.label.text() == "Teach it your tick now? (a few seconds)"
    qtbot.wait(50)
    assert window.canvas.height() == canvas_height  # the offer in the status bar moves nothing

    offer.steps = 3  # a tiny fine-tune: the test is about the route, the benchmark about the effect
    qtbot.mouseClick(offer.teach_button, Qt.MouseButton.LeftButton)
    assert not offer.isVisible()
    qtbot.waitUntil(lambda: _versions(home)[1] == "v0002", timeout=20000)
    assert _versions(home) == ([("v0001", "imported"), ("v0002", "quick fix")], "v0002")
    assert (builtin_project_dir(TICKS, home) / "models" / "v0001" / "model.safetensors").read_bytes() == old_bytes
    assert window.training.state == "finished"
