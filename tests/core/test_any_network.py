"""Every view's numbers for every valid network, through the path the app takes: the engine's messages.

tests/core/test_inspection_matrix.py checks the inspection functions one by one against torch; here
the presets and the seeded random networks (tests/networks.py) go through the Engine as the window
uses it: a Prediction (every layer's maps, a Grad-CAM heat map) and a Filters message, fed to the
step-through's state, whose numbers must be the network's own activations unit for unit; receptive
fields that stay inside the input; a short training whose timeline keeps snapshots that can be shown
again; and a project whose own network is the one used before it has any version."""

import numpy as np
import pytest

from networks import every_network
from cnn_desktop.core.app.engine import Engine
from cnn_desktop.core.app.messages import (
    Filters, Predict, Prediction, ShowSnapshot, StartTraining, Timeline, TrainingState, UseModel)
from cnn_desktop.core.app.project_use import model_to_use, version_model
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.inspection.receptive_fields import describe_unit
from cnn_desktop.core.inspection.walkthrough_state import CLASSIFIER, CONV, POOL, RELU, WalkthroughState
from cnn_desktop.core.network.geometry import layer_geometry, receptive_field
from cnn_desktop.core.network.presets import preset_spec
from cnn_desktop.core.network.spec import ACTIVATION_KINDS, POOL_KINDS, TrainConfig
from cnn_desktop.core.network.summary import check_design
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.tasks import TASKS
from test_engine import Recorder, _run_until_training_ends

CLASSES = ("tick", "cross")  # the bars collection's
NETWORKS = every_network(CLASSES)
NAMES = list(NETWORKS)
DRAWING = Strokes.from_points([[(120, 90), (330, 90), (260, 220), (200, 380)], [(100, 250), (300, 260)]])


def _engine(spec) -> Engine:
    recorder = Recorder()
    engine = Engine(recorder, step_report_seconds=0)
    engine.recorder = recorder
    engine.submit(UseModel(None, spec, "fresh"))
    engine.run_once()
    return engine


def _looked_at(engine, request_id=1) -> tuple[Prediction, Filters]:
    engine.submit(Predict(request_id, DRAWING, saliency_class="top"))
    engine.run_once()
    return engine.recorder.of(Prediction)[-1], engine.recorder.of(Filters)[-1]


def _shapes(spec) -> dict[str, tuple[int, ...]]:
    """Each layer's output for one drawing: (maps, size, size), or (units,) from flatten on."""
    shapes, flat = {}, False
    for geo in layer_geometry(spec)[1:]:
        flat = flat or geo.kind == "flatten"
        shapes[geo.name] = (geo.channels,) if flat else (geo.channels, geo.size, geo.size)
    return shapes


def _state(spec, prediction: Prediction, filters: Filters) -> WalkthroughState:
    """The step-through as the dialog feeds it (gui/inspection/walkthrough_view.py)."""
    state = WalkthroughState()
    state.set_data(spec, prediction.image, prediction.activations, prediction.classes,
                   {name: (w, b) for name, w, b in filters.layers}, {name: (w, b) for name, w, b in filters.dense})
    return state


def test_the_networks_are_valid_and_varied():
    kinds = set()
    for spec in NETWORKS.values():
        assert check_design(spec) is spec or check_design(spec) == spec
        kinds |= {g.kind for g in layer_geometry(spec)}
    assert {"tanh", "sigmoid", "relu", "pool", "avgpool"} <= kinds
    assert {spec.input_size for spec in NETWORKS.values()} == {28, 32}


@pytest.mark.parametrize("name", NAMES)
def test_what_the_engine_sends_fits_the_network_and_the_step_through_shows_its_activations(name):
    spec = NETWORKS[name]
    engine = _engine(spec)
    prediction, filters = _looked_at(engine)
    geometry = layer_geometry(spec)
    assert {name: maps.shape for name, maps in prediction.activations.items()} == _shapes(spec)
    heat = prediction.saliency
    assert heat.shape == (28, 28) and np.isfinite(heat).all() and 0 <= heat.min() and heat.max() <= 1 + 1e-6
    assert [n for n, _, _ in filters.layers] == [g.name for g in geometry if g.kind == "conv"]

    state = _state(spec, prediction, filters)
    names = [g.name for g in geometry]
    for conv, filter_count in state.conv_layers:
        state.choose_layer(conv)
        state.choose_filter(filter_count - 1)
        walk = state.walk
        maps = prediction.activations
        # Unit for unit, each stage equals the network's own layer output (what torch computed).
        np.testing.assert_allclose(walk.conv, maps[conv][filter_count - 1], atol=1e-4)
        after = [g for g in geometry[names.index(conv) + 1:] if g.kind != "dropout"]
        if after and after[0].kind in ACTIVATION_KINDS:
            np.testing.assert_allclose(walk.activated, maps[after[0].name][filter_count - 1], atol=1e-4)
            after = after[1:]
        if after and after[0].kind in POOL_KINDS:
            np.testing.assert_allclose(walk.pooled, maps[after[0].name][filter_count - 1], atol=1e-4)
        for stage in (CONV, RELU, POOL, CLASSIFIER):  # every stage reaches its end and goes on
            state.set_stage(stage, state.stage_length(stage) - 1)
            state.forward()
            assert (state.stage, state.position) == ((stage + 1, 0) if stage < CLASSIFIER else (stage, state.position))
    np.testing.assert_allclose(state.classifier[-1].values, prediction.probabilities, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_every_units_receptive_field_lies_in_the_input(name):
    spec = NETWORKS[name]
    shapes = _shapes(spec)
    for geo in layer_geometry(spec)[1:]:
        if len(shapes[geo.name]) == 1:
            continue
        for row in range(geo.size):
            for col in (0, geo.size - 1):
                top, left, bottom, right = receptive_field(spec, geo.name, row, col)
                assert 0 <= top <= bottom <= 27 and 0 <= left <= right <= 27, (geo.name, row, col)
        unit = describe_unit(spec, geo.name, np.zeros(shapes[geo.name]), 0, geo.size - 1, geo.size - 1)
        assert unit is not None and 0 <= min(unit.box) and max(unit.box) <= 27


@pytest.mark.parametrize("name", NAMES)
def test_the_timeline_keeps_snapshots_of_any_network_and_shows_them_again(name, bars_collection):
    spec = NETWORKS[name]
    engine = _engine(spec)
    _, before = _looked_at(engine)
    config = TrainConfig(epochs=1, batch_size=32, validation_fraction=0.0, seed=1, augment=False)
    engine.submit(StartTraining(bars_collection, config))
    _run_until_training_ends(engine)
    assert engine.recorder.of(TrainingState)[-1].state == "finished", engine.recorder.of(TrainingState)
    timeline = engine.recorder.of(Timeline)[-1]
    assert len(timeline.snapshots) >= 2 and timeline.snapshots[0].step == 0 and timeline.showing is None
    engine.submit(ShowSnapshot(0))
    engine.run_once()
    assert engine.recorder.of(Timeline)[-1].showing == 0
    shown = engine.recorder.of(Filters)[-1]
    assert shown.snapshot == 0
    for (name_a, w_a, b_a), (name_b, w_b, b_b) in zip(shown.layers, before.layers):  # the weights before training
        assert name_a == name_b
        np.testing.assert_array_equal(w_a, w_b)
        np.testing.assert_array_equal(b_a, b_b)
    prediction, _ = _looked_at(engine, request_id=2)
    assert prediction.snapshot == 0 and set(prediction.activations) >= {g.name for g in layer_geometry(spec)[1:]}


# --- the project's own network ---


def test_an_untrained_project_starts_with_its_own_network(tmp_path):
    from cnn_desktop.core.app.project_modes import read_project_task

    lenet5 = preset_spec("lenet5", ("ring", "square"))
    Project.create(tmp_path / "p", "Shapes", ["ring", "square"], spec=lenet5).close()
    task = read_project_task(tmp_path / "p")
    with Project.open(tmp_path / "p") as project:
        assert model_to_use(task, project).spec == project.spec == lenet5
        project.set_network(preset_spec("tiny", ("ring", "square")))  # the editor changed it; task is older
        use = model_to_use(task, project)
        assert use.path is None and use.spec == project.spec and use.spec.layers == preset_spec("tiny", CLASSES).layers
        assert version_model(project, "v1", task).spec == project.spec


def test_a_built_in_project_with_another_network_uses_it(tmp_path):
    task = TASKS["ticks-crosses"]
    tiny = preset_spec("tiny", task.classes)
    Project.create(tmp_path / "ticks", "Ticks and crosses", list(task.classes), spec=tiny).close()
    with Project.open(tmp_path / "ticks") as project:
        assert task.spec() != tiny and model_to_use(task, project).spec == tiny
    assert model_to_use(task, None).spec == task.spec()
