"""Changing the network from the session (core/app/network_editing.py), with a fake engine recording
what it is asked: a new version with fresh weights, made current and loaded, never an old one touched."""

import hashlib
import json

import pytest

from cnn_desktop.core.app.messages import StartTraining, UseModel
from cnn_desktop.core.app.network_editing import (
    NETWORK_CHANGED, READ_ONLY_REFUSAL, TRAINING_REFUSAL, UNCHANGED, design_of, design_text, read_design,
)
from cnn_desktop.core.app.run_state import RunState
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.checkpoint import load_model
from cnn_desktop.core.network.presets import PRESETS, preset_spec
from cnn_desktop.core.network.spec import Conv, ModelSpec, TrainConfig
from cnn_desktop.core.projects.starting import FROM_SCRATCH, create_project

SHAPES = ("circle", "square", "triangle")


class FakeEngine(list):
    def __call__(self, command):
        self.append(command)


@pytest.fixture(autouse=True)
def no_bundled_models(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_DESKTOP_RESOURCES", str(tmp_path / "no-resources"))


def open_session(home, mode):
    session = Session(FakeEngine(), home=home)
    session.problems, session.notes = [], []
    session.problem.connect(session.problems.append)
    session.status.connect(session.notes.append)
    assert session.switch_task(mode)
    return session


@pytest.fixture
def shapes(tmp_path):
    folder = create_project(tmp_path / "home" / "projects" / "shapes", "Shapes", SHAPES, start=FROM_SCRATCH)
    session = open_session(tmp_path / "home", folder)
    yield session
    session.close()


def files_of(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_the_text_view_round_trips_every_preset_without_the_classes():
    for name in PRESETS:
        spec = preset_spec(name, SHAPES)
        text = design_text(spec)
        assert "classes" not in json.loads(text) and json.loads(text) == PRESETS[name]
        assert read_design(text, SHAPES) == spec
    with_classes = json.dumps({**PRESETS["tiny"], "classes": ["a", "b"]})
    assert read_design(with_classes, SHAPES).classes == SHAPES  # the project's classes, always


@pytest.mark.parametrize("text, problem", [
    ("{\"layers\": [", "not JSON"),
    ("[1, 2]", "a JSON object, not a list"),
    ("{\"layers\": [{\"kind\": \"warp\"}]}", "layer 1: unknown layer kind 'warp'"),
    ("{\"layers\": [{\"kind\": \"conv\", \"filters\": \"8\"}]}", "conv1: filters must be a whole number"),
])
def test_text_that_is_no_description_is_one_line_naming_the_problem(text, problem):
    with pytest.raises(CnnDesktopError, match=problem) as caught:
        read_design(text, SHAPES)
    assert "\n" not in str(caught.value)


def test_applying_a_design_makes_a_new_current_version_with_fresh_weights_and_loads_it(shapes):
    session, project = shapes, shapes.project
    models = project.folder / "models"
    before = files_of(models / "v0001")
    old_spec = session.network_spec()
    assert old_spec == project.load_version("v0001").model.spec
    new = {**design_of(old_spec), "layers": [{**old_spec.to_dict()["layers"][0], "filters": 8},
                                             *old_spec.to_dict()["layers"][1:]]}
    assert session.apply_network(new) == ""
    assert project.current_version() == "v0002" and files_of(models / "v0001") == before
    record = project.record("v0002")
    assert (record["reason"], record["parent"]) == (NETWORK_CHANGED, "v0001")
    assert record["network"]["layers"][0]["filters"] == 8 and record["epochs"] == 0
    saved = load_model(models / "v0002" / "model.safetensors").model
    assert saved.spec.layers[0] == Conv(filters=8, kernel=5, padding=2) and saved.classes == SHAPES
    use = session._submit[-1]
    assert isinstance(use, UseModel) and use.path == models / "v0002" / "model.safetensors"
    assert use.label == "a new network, not trained yet (v0002)" and not use.fallback_to_fresh
    assert session.network_spec() == saved.spec == session.task.spec()  # project.json follows the version
    assert json.loads((project.folder / "project.json").read_text())["network"]["layers"][0]["filters"] == 8
    assert session.versions[0]["version"] == "v0002" and session.versions[0]["current"]
    assert session.problems == [] and "v0002" in session.notes[-1]
    session.start_training(TrainConfig(epochs=1), from_scratch=False)  # the engine trains what it loaded
    assert isinstance(session._submit[-1], StartTraining)


def test_a_design_that_cannot_run_or_is_unchanged_changes_nothing(shapes):
    session, project = shapes, shapes.project
    spec = session.network_spec()
    after_1x1 = [Conv(8, kernel=5, padding=2), *[type(spec.layers[2])()] * 5]  # 28 -> 14, 7, 3, 1, then 1x1
    line = session.apply_network(ModelSpec(SHAPES, tuple(after_1x1)))
    assert line == "pool5: its 1x1 maps cannot be pooled 2x2; remove it or pad conv1"
    assert session.apply_network("{\"layers\": ") .startswith("not JSON")
    assert session.apply_network(spec) == UNCHANGED
    assert [r["version"] for r in project.versions()] == ["v0001"] and project.current_version() == "v0001"
    assert not any(isinstance(c, UseModel) and "v0002" in str(c.path) for c in session._submit)


def test_refused_while_training_and_in_a_read_only_window(shapes, tmp_path):
    tiny = preset_spec("tiny", SHAPES)
    shapes.run_state = RunState.RUNNING
    assert shapes.can_edit_network() == TRAINING_REFUSAL == shapes.apply_network(tiny)
    shapes.run_state = RunState.IDLE
    second = open_session(tmp_path / "home", shapes.project.folder)  # the first holds the lock
    try:
        assert second.read_only and second.apply_network(tiny) == READ_ONLY_REFUSAL
        assert len(shapes.project.versions()) == 1
    finally:
        second.close()


def test_a_built_in_mode_gets_a_new_network_as_a_version_and_a_new_session_uses_it(tmp_path):
    home = tmp_path / "home"
    session = open_session(home, "ticks-crosses")
    lenet5 = preset_spec("lenet5", ("tick", "cross"))
    assert session.project.versions() == []  # no bundled model in these tests
    assert session.apply_network(design_text(lenet5)) == ""
    [record] = session.project.versions()
    assert (record["version"], record["reason"], record["parent"]) == ("v0001", NETWORK_CHANGED, None)
    assert session.network_spec() == lenet5
    session.close()
    again = open_session(home, "ticks-crosses")
    use = again._submit[-1]
    assert isinstance(use, UseModel) and use.path.parent.name == "v0001"
    assert use.label == "a new network, not trained yet (v0001)"
    assert load_model(use.path).model.spec == lenet5
    again.close()
