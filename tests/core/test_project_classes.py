"""Classes are the person's: add, rename, keys, merge, delete to the trash and back; a trained network
carried over to the new classes with every other layer bit-identical."""

import numpy as np
import pytest
import torch

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import Conv, Dense, Flatten, ModelSpec, ReLU
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.projects.transfer import transferred
from cnn_desktop.core.data.strokes import Strokes

SMALL = ModelSpec(classes=("a", "b"), layers=(Conv(filters=2, kernel=5), ReLU(), Flatten(), Dense(units=4)))


def drawing(value: float) -> np.ndarray:
    raster = np.zeros((28, 28), np.float32)
    raster[10:18, 10:18] = value
    return raster


@pytest.fixture
def project(tmp_path):
    with Project.create(tmp_path / "p", "P", ["circle", "square", "star"], spec=SMALL) as opened:
        strokes = Strokes.from_points([[(0.2, 0.2), (0.8, 0.7)]])
        for i, label in enumerate(["circle", "square", "square", "star", "star", "star"]):
            opened.store.add(label, drawing((i + 1) / 10), strokes)
        yield opened


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


def test_rename_keeps_the_folder_the_index_and_the_model(project):
    project.add_version(build_model(project.spec, seed=0))
    project.rename_class("square", "box")
    assert project.class_names == ("circle", "box", "star") and project.class_ids == ("circle", "square", "star")
    assert project.counts() == {"circle": 1, "box": 2, "star": 3}
    assert project.adapted_model().classes == ("circle", "box", "star")
    with pytest.raises(CnnDesktopError, match="must differ"):
        project.rename_class("box", "Circle")
    with pytest.raises(CnnDesktopError, match="no class 'nothing'"):
        project.rename_class("nothing", "x")


def test_keys_can_be_changed_and_cleared_but_never_shared(project):
    assert project.set_key("star", "1").key == "1"
    assert project.set_key("star", None).key is None
    with pytest.raises(CnnDesktopError, match="keys must differ"):
        project.set_key("star", project.classes[0].key.lower())


def test_add_class_takes_a_free_key_and_a_fresh_output_row(project):
    trained = build_model(project.spec, seed=0)
    project.add_version(trained)
    added = project.add_class("sun")
    assert added.key == "U" and project.class_names[-1] == "sun" and project.spec.classes[-1] == "sun"
    model = project.adapted_model(seed=1)
    assert model.classes == ("circle", "square", "star", "sun")
    old, new = trained.state_dict(), model.state_dict()
    for name, tensor in old.items():
        if name.startswith("layers.out."):
            assert same(new[name][:3], tensor)  # the kept classes keep their rows
            assert new[name].shape[0] == 4
        else:
            assert same(new[name], tensor)  # every other layer bit-identical
    project.store.add(added.id, drawing(1.0))
    assert project.counts()["sun"] == 1


def test_merge_moves_the_drawings_and_removes_the_class(project):
    project.add_version(build_model(project.spec, seed=0))
    ids = {e.id for e in project.store.examples("square")}
    project.merge_classes("square", "star")
    assert project.class_names == ("circle", "star")
    assert project.counts() == {"circle": 1, "star": 5}
    assert ids <= {e.id for e in project.store.examples("star")}
    assert not (project.folder / "drawings" / "square").exists()
    trained = project.load_version().model
    model = project.adapted_model()
    assert model.classes == ("circle", "star")
    assert same(model.state_dict()["layers.out.weight"], trained.state_dict()["layers.out.weight"][[0, 2]])
    with pytest.raises(CnnDesktopError, match="at least 2 classes"):
        project.merge_classes("circle", "star")


def test_an_interrupted_merge_is_finished_by_merging_again(project, monkeypatch):
    store = project.store
    calls = []
    original = type(store).relabel

    def crash_after_one(self, example_id, label):
        if calls:
            raise OSError("power cut")
        calls.append(example_id)
        return original(self, example_id, label)

    monkeypatch.setattr(type(store), "relabel", crash_after_one)
    with pytest.raises(OSError):
        project.merge_classes("star", "circle")
    monkeypatch.setattr(type(store), "relabel", original)
    assert sum(project.counts().values()) == 6  # nothing lost
    project.merge_classes("star", "circle")
    assert project.counts() == {"circle": 4, "square": 2}


def test_delete_moves_the_drawings_to_the_trash_and_restore_brings_them_back(project):
    pixels = {e.id: project.store.raster(e.id) for e in project.store.examples("square")}
    entry = project.delete_class("square")
    assert project.class_names == ("circle", "star") and project.counts() == {"circle": 1, "star": 3}
    assert entry.endswith("-square") and (project.folder / "trash" / entry / "class.json").is_file()
    assert len(list((project.folder / "trash" / entry).glob("*.png"))) == 2
    [listed] = project.trash()
    assert (listed["name"], listed["key"], listed["drawings"]) == ("square", "S", 2)
    restored = project.restore_from_trash(entry)
    assert project.class_names == ("circle", "star", "square") and restored.key == "S"
    assert project.trash() == []
    assert {e.id: project.store.raster(e.id) for e in project.store.examples(restored.id)}.keys() == pixels.keys()
    for example_id, raster in pixels.items():
        assert np.array_equal(project.store.raster(example_id), raster)
        assert project.store.strokes(example_id) is not None
    assert not list((project.folder / "drawings" / restored.id).glob("*.json"))


def test_restore_refuses_a_name_in_use_and_a_missing_entry(project):
    entry = project.delete_class("square")
    project.add_class("square")
    with pytest.raises(CnnDesktopError, match="rename it first"):
        project.restore_from_trash(entry)
    project.rename_class("square", "new square")
    restored = project.restore_from_trash(entry)
    assert restored.id != "square" and project.counts()["square"] == 2  # its own folder, next to the new one
    for bad in ("nothing", "../drawings", ""):
        with pytest.raises(CnnDesktopError, match="no trash entry"):
            project.restore_from_trash(bad)


def test_deleting_an_empty_class_and_the_two_class_minimum(project):
    project.add_class("moon")
    entry = project.delete_class("moon")
    assert project.trash()[0]["drawings"] == 0 and entry.endswith("-moon")
    project.delete_class("circle")
    with pytest.raises(CnnDesktopError) as error:
        project.delete_class("star")
    assert "at least 2 classes" in str(error.value) and str(project.folder) in str(error.value)


def test_at_most_fifty_classes(tmp_path):
    with Project.create(tmp_path / "p", "P", [f"c{i}" for i in range(50)]) as project:
        assert project.keys.count(None) == 50 - 36  # 26 letters and 10 digits, then buttons only
        with pytest.raises(CnnDesktopError, match="at most 50"):
            project.add_class("one more")


def test_the_store_lists_the_project_classes_first_in_output_order(project):
    project.delete_class("circle")
    project.add_class("moon")
    assert project.store.classes[:3] == project.class_ids
    x, y = project.store.arrays()
    assert sorted(y.tolist()) == [0, 0, 1, 1, 1]


def test_transferred_copies_every_layer_but_the_output_bit_for_bit():
    model = build_model(SMALL.with_classes(("a", "b", "c")), seed=0)
    new = transferred(model, ("c", "x", "a"), [2, None, 0], seed=5)
    old_state, state = model.state_dict(), new.state_dict()
    for name in old_state:
        if name.startswith("layers.out."):
            assert same(state[name][0], old_state[name][2]) and same(state[name][2], old_state[name][0])
            assert not torch.equal(state[name][1], torch.zeros_like(state[name][1]))
        else:
            assert same(state[name], old_state[name])
    assert torch.equal(transferred(model, ("c", "x", "a"), [2, None, 0], seed=5).state_dict()["layers.out.weight"],
                       state["layers.out.weight"])  # fresh rows reproducible with a seed
    with pytest.raises(ValueError):
        transferred(model, ("a", "b"), [0, 0])
