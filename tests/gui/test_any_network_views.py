"""The step-through window for every valid network: the presets and seeded random ones (tests/networks.py).

Its tabs are named after the chosen layer's own activation and pooling, every stage of every conv layer
paints and steps on to the next, and the numbers it writes beside a unit (the formula of the
activation or pooling step) are the network's. Last, the whole window with a project whose network is
LeNet-5: drawing, then stepping through tanh and average pooling in the dialog."""

import re

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from networks import every_network
from cnn_desktop.core.app.looking import Looking
from cnn_desktop.core.app.messages import Predict
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.inspection.walkthrough_state import CLASSIFIER, CONV, POOL, RELU
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.presets import preset_spec
from cnn_desktop.gui.inspection.walkthrough_canvas import activation_formula, pool_formula
from cnn_desktop.gui.inspection.walkthrough_view import WalkthroughView
from gui_helpers import draw

NETWORKS = every_network()
DRAWING = Strokes.from_points([[(120, 90), (330, 90), (260, 220), (200, 380)], [(100, 250), (300, 260)]])
TORCH = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "": lambda x: x}


def _view(qtbot, spec) -> WalkthroughView:
    model = build_model(spec, seed=2).eval()
    looking = Looking()
    view = WalkthroughView()
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.set_data(spec, looking.prediction(model, Predict(1, DRAWING), 1), looking.filters(model, 1))
    return view


def _last_number(words: str) -> float:
    return float(re.findall(r"-?\d+(?:\.\d+)?", words)[-1])


@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_step_through_follows_any_network_through_every_stage(qtbot, name):
    view = _view(qtbot, NETWORKS[name])
    state, controls, canvas = view.state, view.controls, view.canvas
    assert controls.layer_box.count() == len(state.conv_layers) >= 1
    for index in range(controls.layer_box.count()):
        controls.layer_box.setCurrentIndex(index)
        walk = state.walk
        assert walk is not None and walk.layer == state.conv_layers[index][0]
        titles = [controls.stage_bar.tabText(i) for i in range(controls.stage_bar.count())]
        assert titles == list(state.stage_titles())
        # The numbers written beside a unit: torch's activation of the conv output, and the pool of that.
        unit = walk.conv.size // 2
        value, result = float(walk.conv.flat[unit]), float(walk.activated.flat[unit])
        assert result == pytest.approx(float(TORCH[walk.activation](torch.tensor(value, dtype=torch.float64))), abs=1e-9)
        assert _last_number(activation_formula(walk.activation, value, result)) == pytest.approx(result, abs=1e-3)
        r0, c0 = walk.pool_window_at(0, 0)
        block = walk.activated[r0:r0 + walk.pool_window, c0:c0 + walk.pool_window]
        expected = {"pool": block.max(), "avgpool": block.mean(), "": block[0, 0]}[walk.pool_kind]
        assert walk.pooled[0, 0] == pytest.approx(expected)
        if abs(walk.pooled[0, 0]) >= 0.0005:  # (smaller values are written "≈0")
            assert _last_number(pool_formula(walk.pool_kind, block, float(walk.pooled[0, 0]))) == pytest.approx(
                float(walk.pooled[0, 0]), abs=5e-3)
        # Every stage paints, and stepping on from its last position opens the next one.
        for stage in (CONV, RELU, POOL, CLASSIFIER):
            controls.stage_bar.setCurrentIndex(stage)
            assert state.stage == stage
            controls.slider.setValue(controls.slider.maximum())
            assert canvas.frame.stage == stage and canvas.frame.position == state.stage_length(stage) - 1
            canvas.grab()
            qtbot.mouseClick(controls.forward_button, Qt.MouseButton.LeftButton)
            if stage < CLASSIFIER:
                assert (state.stage, state.position) == (stage + 1, 0)
        canvas.grab()
    assert controls.position_label.text().endswith(f"/ {state.stage_length(CLASSIFIER)}")


def test_the_tabs_name_tanh_and_average_pooling_for_lenet5(qtbot):
    view = _view(qtbot, preset_spec("lenet5", ("tick", "cross")))
    bar = view.controls.stage_bar
    assert [bar.tabText(i) for i in range(4)] == ["1 · Convolution", "2 · tanh", "3 · Average pooling",
                                                  "4 · Fully connected + softmax"]
    view.controls.stage_bar.setCurrentIndex(RELU)
    view.canvas.grab()
    default = _view(qtbot, preset_spec("default", ("tick", "cross")))
    assert [default.controls.stage_bar.tabText(i) for i in (1, 2)] == ["2 · ReLU", "3 · Max-pooling"]


def test_the_window_steps_through_a_projects_lenet5(qtbot, home, open_window):
    from cnn_desktop.core.projects.builtin import builtin_project_dir
    from cnn_desktop.core.projects.project import Project
    from cnn_desktop.core.tasks import TASKS

    task = TASKS["ticks-crosses"]
    lenet5 = preset_spec("lenet5", task.classes)
    Project.create(builtin_project_dir(task, home), "Ticks and crosses", list(task.classes), spec=lenet5).close()
    window = open_window("ticks-crosses")
    assert window.worker.engine.model.spec == lenet5  # the project's own network, untrained
    draw(qtbot, window.canvas, [(100, 300), (160, 380), (330, 120)])
    wanted = window.session.last_request_id
    qtbot.waitUntil(lambda: window.session.shown_request_id >= wanted and window.session.prediction is not None
                    and window.session.prediction.image is not None and window.session.filters is not None,
                    timeout=5000)
    qtbot.mouseClick(window.step_through_button, Qt.MouseButton.LeftButton)
    dialog = window.inspection.walkthrough
    state = dialog.view.state
    qtbot.waitUntil(lambda: dialog.isVisible() and state.walk is not None, timeout=5000)
    shown = window.session.prediction
    assert state.stage_titles()[1:3] == ("2 · tanh", "3 · Average pooling")
    np.testing.assert_allclose(state.walk.activated, shown.activations["tanh1"][0], atol=1e-4)
    np.testing.assert_allclose(state.walk.pooled, shown.activations["avgpool1"][0], atol=1e-4)
    for stage in (CONV, RELU, POOL, CLASSIFIER):
        state.set_stage(stage, 1)
        dialog.view.canvas.grab()
    dialog.close()
