"""A person's own projects in the app, without a window: making one with its start, listing them, using
one as a mode, and editing its classes from the session (a fake engine records what it is asked)."""

import json

import numpy as np
import pytest

from cnn_desktop.core.app.class_editing import BUILTIN_CLASSES_FIXED
from cnn_desktop.core.app.messages import StartTraining, UseModel
from cnn_desktop.core.app.project_modes import (
    ProjectTask, canvas_hint, known_projects, read_project_task, read_recent, remember_recent,
)
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.checkpoint import load_model
from cnn_desktop.core.network.model import predict_proba
from cnn_desktop.core.network.spec import TrainConfig
from cnn_desktop.core.projects.lock import ProjectError
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.projects.starting import FROM_DIGITS, FROM_SCRATCH, create_project, folder_for
from cnn_desktop.core.tasks import TASKS

SHAPES = ("circle", "square", "triangle", "star")


@pytest.fixture
def no_bundled_models(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_DESKTOP_RESOURCES", str(tmp_path / "no-resources"))


# --- making a project with its start --------------------------------------------------------------------


def test_a_new_project_starts_from_the_digits_models_learned_layers(tmp_path):
    folder = create_project(tmp_path / "shapes", "Shapes", SHAPES)
    project = Project.open(folder, read_only=True)
    [record] = project.versions()
    assert (record["reason"], record["note"]) == ("start", FROM_DIGITS.note) and record["parent"] is None
    assert project.current_version() == record["version"]
    digits = load_model(TASKS["digits"].bundled_model_path()).model.state_dict()
    started = project.load_version().model
    assert started.classes == SHAPES
    for name, tensor in started.state_dict().items():  # every layer but the output is the digits model's
        assert name.startswith("layers.out.") or np.array_equal(tensor.numpy(), digits[name].numpy()), name
    assert started.state_dict()["layers.out.weight"].shape[0] == 4


def test_from_scratch_is_an_untrained_network_and_says_so(tmp_path):
    folder = create_project(tmp_path / "shapes", "Shapes", SHAPES, start=FROM_SCRATCH)
    project = Project.open(folder, read_only=True)
    assert [(r["reason"], r["note"]) for r in project.versions()] == [("start", FROM_SCRATCH.note)]
    digits = load_model(TASKS["digits"].bundled_model_path()).model.state_dict()
    conv1 = project.load_version().model.state_dict()["layers.conv1.weight"]
    assert not np.array_equal(conv1.numpy(), digits["layers.conv1.weight"].numpy())


def test_without_the_bundled_digits_model_no_half_project_is_left(tmp_path, no_bundled_models):
    with pytest.raises(CnnDesktopError, match="no bundled digits model"):
        create_project(tmp_path / "shapes", "Shapes", SHAPES)
    assert not (tmp_path / "shapes").exists()
    assert create_project(tmp_path / "shapes", "Shapes", SHAPES, start=FROM_SCRATCH).is_dir()


def test_an_existing_folder_is_never_used_and_bad_classes_are_refused(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(ProjectError, match="already exists"):
        create_project(tmp_path / "taken", "Taken", SHAPES, start=FROM_SCRATCH)
    with pytest.raises(ProjectError, match="2 to 50 classes"):
        create_project(tmp_path / "one", "One", ["circle"], start=FROM_SCRATCH)
    with pytest.raises(ProjectError, match="repeated"):
        create_project(tmp_path / "twice", "Twice", ["circle", "Circle"], start=FROM_SCRATCH)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_a_new_folder_is_named_after_the_project_and_never_an_existing_one(tmp_path):
    assert folder_for("My shapes", tmp_path) == tmp_path / "My shapes"
    (tmp_path / "my shapes").mkdir()
    assert folder_for("My shapes", tmp_path) == tmp_path / "My shapes-2"
    assert folder_for("a/b: c?", tmp_path) == tmp_path / "a_b_ c_"
    assert folder_for("Digits", tmp_path).name != "digits"  # the built-in project's folder, made or not


# --- a project as a mode ---------------------------------------------------------------------------------


def test_a_project_is_described_as_a_task_with_ids_apart_from_names(tmp_path):
    with Project.create(tmp_path / "p", "Shapes", SHAPES) as project:
        project.rename_class("circle", "ring")
    task = read_project_task(tmp_path / "p")
    assert isinstance(task, ProjectTask)
    assert task.classes == ("ring", "square", "triangle", "star")
    assert task.class_ids == SHAPES and task.keys == ("C", "S", "T", "A")  # "star": S and T are taken
    assert task.title == "Shapes" and task.mode_key == str(tmp_path / "p") and task.name == "p"
    assert task.spec().classes == task.classes and task.bundled_model_path() is None
    assert task.hint == "Draw ring, square, triangle or star here"
    assert canvas_hint(tuple("abcdef")) == "Draw one of your 6 classes here"
    assert TASKS["digits"].class_ids == TASKS["digits"].classes and TASKS["digits"].mode_key == "digits"


def test_known_projects_are_those_in_the_home_and_the_recent_ones(tmp_path):
    home = tmp_path / "home"
    create_project(home / "projects" / "shapes", "Shapes", SHAPES, start=FROM_SCRATCH)
    Project.create(home / "projects" / "digits", "Digits", [str(i) for i in range(10)]).close()  # built-in
    (home / "projects" / "not-a-project").mkdir()
    elsewhere = create_project(tmp_path / "usb" / "letters", "Letters", ["alpha", "beta"], start=FROM_SCRATCH)
    gone = tmp_path / "gone"
    remember_recent(home, gone)
    remember_recent(home, elsewhere)
    assert read_recent(home) == [elsewhere.resolve(), gone.resolve()]
    assert [(p.title, p.folder.name) for p in known_projects(home)] == [("Shapes", "shapes"), ("Letters", "letters")]
    (home / "recent-projects.json").write_text("{broken")
    assert read_recent(home) == [] and [p.title for p in known_projects(home)] == ["Shapes"]


# --- the session with a project as its mode (fake engine) ---------------------------------------------------


class FakeEngine(list):
    def __call__(self, command):
        self.append(command)


@pytest.fixture
def shapes_session(tmp_path):
    folder = create_project(tmp_path / "home" / "projects" / "shapes", "Shapes", SHAPES)
    engine = FakeEngine()
    session = Session(engine, home=tmp_path / "home")
    session.problems = []
    session.problem.connect(session.problems.append)
    assert session.switch_task(folder)
    yield session
    session.close()


def _drawing():
    return Strokes.from_points([np.array([[10.0, 10.0], [60.0, 80.0], [120.0, 20.0]])])


def test_switching_to_a_project_opens_it_labels_by_id_and_uses_its_current_version(shapes_session, tmp_path):
    session = shapes_session
    assert isinstance(session.task, ProjectTask) and not session.read_only
    use = session._submit[-1]
    assert isinstance(use, UseModel) and use.path.parent.name == "v0001" and use.spec.classes == SHAPES
    assert use.label == "a new project's start, learned layers of the bundled digits model (v0001)"
    session.drawing_changed(_drawing())
    counts = []
    session.counts_changed.connect(counts.append)
    assert session.add_drawing("square")
    assert counts[-1] == {"circle": 0, "square": 1, "triangle": 0, "star": 0}
    assert read_recent(session.home)[0] == session.project.folder.resolve()
    with pytest.raises(ProjectError, match="another window"):  # the session holds the project's lock
        Project.open(session.project.folder)


def test_a_folder_that_is_no_project_changes_nothing(shapes_session, tmp_path):
    before = shapes_session.task
    assert not shapes_session.open_project(tmp_path)
    assert shapes_session.task is before and "not a cnn-desktop project" in shapes_session.problems[-1]


def test_a_renamed_class_keeps_its_drawings_and_weights_and_training_names_the_folders(shapes_session):
    session = shapes_session
    session.drawing_changed(_drawing())
    session.add_drawing("circle")
    weights = session.project.load_version().model.state_dict()
    assert not session.rename_class("circle", "ring")
    assert session.task.classes[0] == "ring" and session.task.class_ids[0] == "circle"
    versions = session.project.versions()
    assert (versions[-1]["reason"], versions[-1]["note"]) == ("classes changed", "renamed 'circle' to 'ring' (same weights)")
    renamed = session.project.load_version().model
    assert renamed.classes[0] == "ring"
    assert all(np.array_equal(t.numpy(), weights[n].numpy()) for n, t in renamed.state_dict().items())
    assert session.store.counts()["circle"] == 1  # the drawing did not move
    assert session._submit[-1].spec.classes[0] == "ring"
    session.start_training(TrainConfig(epochs=1), from_scratch=False)
    start = session._submit[-1]
    assert isinstance(start, StartTraining) and start.labels == SHAPES  # folders, in output order


def test_adding_and_deleting_a_class_rebuild_only_the_output_layer_and_restore_brings_drawings_back(shapes_session):
    session = shapes_session
    session.drawing_changed(_drawing())
    session.add_drawing("star")
    before = session.project.load_version().model.state_dict()
    assert not session.add_class("heart")
    assert session.task.classes == (*SHAPES, "heart") and session.task.keys[-1] == "H"
    added = session.project.load_version().model.state_dict()
    assert session.project.versions()[-1]["note"] == "added class 'heart' (learned layers kept, new output layer)"
    for name, tensor in added.items():
        if name.startswith("layers.out."):
            assert tensor.shape[0] == 5 and np.array_equal(tensor[:4].numpy(), before[name].numpy())
        else:
            assert np.array_equal(tensor.numpy(), before[name].numpy())
    assert not session.delete_class("star")
    assert "star" not in session.task.classes and session.store.counts().get("star", 0) == 0
    [trashed] = session.trashed_classes()
    assert trashed["name"] == "star" and trashed["drawings"] == 1
    assert not session.restore_class(trashed["entry"])
    assert session.task.classes[-1] == "star" and session.store.counts()["star"] == 1
    assert session.trashed_classes() == []


def test_keys_merges_and_what_is_refused(shapes_session):
    session = shapes_session
    versions = len(session.project.versions())
    assert not session.set_class_key("star", "R") and session.task.keys[-1] == "R"
    assert len(session.project.versions()) == versions  # a key touches no model
    assert "repeated" in session.set_class_key("circle", "R")
    assert not session.merge_classes("triangle", "star") and session.task.classes == ("circle", "square", "star")
    assert not session.delete_class("star")
    assert "at least 2" in session.delete_class("square")
    session.switch_task("ticks-crosses")
    assert session.add_class("circle") == BUILTIN_CLASSES_FIXED
    assert json.loads((session.home / "projects" / "shapes" / "project.json").read_text())["classes"][0]["key"] == "C"


def test_going_back_to_a_version_made_before_a_class_was_added_carries_it_over_to_todays_classes(shapes_session):
    # Before: "Use this version" on v0001 after adding a class loaded a file naming 4 classes into a
    # mode with 5, and the engine refused it.
    session = shapes_session
    first = session.project.load_version("v0001").model.state_dict()
    assert not session.add_class("heart")  # v0002: the classes changed
    session.use_version("v0001")
    assert session.problems == []
    versions = session.project.versions()
    carried = versions[-1]
    assert (carried["reason"], carried["parent"], carried["note"]) == (
        "classes changed", "v0001", "v0001 carried over to today's classes")
    assert session.project.current_version() == carried["version"] == "v0003"
    use = session._submit[-1]
    assert isinstance(use, UseModel) and use.path.parent.name == "v0003" and use.spec.classes == (*SHAPES, "heart")
    model = session.project.load_version("v0003").model.state_dict()
    assert all(np.array_equal(t.numpy(), first[n].numpy()) for n, t in model.items() if not n.startswith("layers.out."))
    session.use_version("v0003")  # made for today's classes: used as it is, nothing new
    assert len(session.project.versions()) == 3
