"""Projects on disk: the exact format, making and opening, model versions, read-only, reading never writes."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.checkpoint import load_model
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import Conv, Dense, Flatten, ModelSpec, ReLU, TrainConfig
from cnn_desktop.core.projects.manifest import ProjectClass
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.projects.versions import REASONS, make_record, write_version
from cnn_desktop.core.data.strokes import Strokes

SMALL = ModelSpec(classes=("a", "b"), layers=(Conv(filters=2, kernel=5), ReLU(), Flatten(), Dense(units=4)))


def one_line_naming(error, folder) -> str:
    text = str(error.value)
    assert "\n" not in text and str(folder) in text, text
    return text


def tree_digest(folder: Path) -> str:
    """Every path, its kind, size, mtime and bytes: any change on disk changes it."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        status = path.lstat()
        digest.update(f"{path.relative_to(folder)}|{status.st_mode}|{status.st_size}|{status.st_mtime_ns}".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    digest.update(str(folder.stat().st_mtime_ns).encode())
    return digest.hexdigest()


@pytest.fixture
def project(tmp_path):
    with Project.create(tmp_path / "shapes", "Shapes", ["circle", "square", "star"], spec=SMALL) as opened:
        yield opened


def test_a_new_project_on_disk_is_the_documented_format(tmp_path):
    config = TrainConfig(epochs=3)
    with Project.create(tmp_path / "p", "Fruit", ["apple", "pear"], keys=["A", None], spec=SMALL, config=config):
        pass
    data = json.loads((tmp_path / "p" / "project.json").read_text())
    assert data["format"] == "cnn-desktop-project" and data["version"] == 1 and data["name"] == "Fruit"
    assert data["classes"] == [{"id": "apple", "name": "apple", "key": "A"}, {"id": "pear", "name": "pear", "key": "P"}]
    assert ModelSpec.from_dict(data["network"]) == SMALL.with_classes(("apple", "pear"))
    assert TrainConfig(**data["training"]) == config
    names = sorted(p.name for p in (tmp_path / "p").iterdir())
    assert names == [".lock", "drawings", "models", "project.json"]
    assert (tmp_path / "p" / "drawings" / "cnn-desktop-collection.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["p"]  # no temp folder left beside it


def test_keys_are_the_first_free_letter_or_digit_of_each_name(tmp_path):
    with Project.create(tmp_path / "p", "P", ["cat", "cow", "Crab", "7 up", "ox"], keys=[None, None, None, None, "C"]) as p:
        assert p.keys == ("A", "O", "R", "7", "C")  # the given "C" is never taken by an automatic key


def test_class_folders_are_safe_on_every_system_and_unique_ignoring_case(tmp_path):
    with Project.create(tmp_path / "p", "P", ["a/b", "CON", ".hidden", "x."]) as p:
        assert p.class_ids == ("a_b", "class_CON", "_hidden", "x")
        assert p.class_names == ("a/b", "CON", ".hidden", "x.")
        assert all((tmp_path / "p" / "drawings").iterdir())


@pytest.mark.parametrize("classes, keys, problem", [
    (["one"], None, "2 to 50 classes"),
    ([f"c{i}" for i in range(51)], None, "2 to 50 classes"),
    (["cat", "Cat"], None, "class names must differ"),
    (["cat", ""], None, "is empty"),
    (["cat", "dog\n"], None, "cannot be shown"),
    (["cat", " dog"], None, "space"),
    (["cat", "x" * 41], None, "longer than"),
    (["cat", "dog"], ["C", "c"], "keys must differ"),
    (["cat", "dog"], ["C", "!"], "bad key"),
    (["cat", "dog"], ["C"], "1 keys for 2 classes"),
])
def test_bad_classes_and_keys_are_refused_in_one_line(tmp_path, classes, keys, problem):
    with pytest.raises(CnnDesktopError) as error:
        Project.create(tmp_path / "p", "P", classes, keys=keys)
    assert problem in one_line_naming(error, tmp_path / "p")
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("name", ["", "  ", "a\tb", "x" * 61, " lead"])
def test_bad_project_names_are_refused(tmp_path, name):
    with pytest.raises(CnnDesktopError) as error:
        Project.create(tmp_path / "p", name, ["a", "b"])
    one_line_naming(error, tmp_path / "p")


def test_create_refuses_a_folder_in_use_but_takes_an_empty_one(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(CnnDesktopError) as error:
        Project.create(tmp_path / "full", "P", ["a", "b"])
    assert "not an empty folder" in one_line_naming(error, tmp_path / "full")
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    Project.create(tmp_path / "empty", "P", ["a", "b"]).close()
    assert Project.open(tmp_path / "empty", read_only=True).class_names == ("a", "b")


@pytest.mark.parametrize("change, problem", [
    (lambda d: d.update(format="other"), "not a project file"),
    (lambda d: d.update(version=2), "format version 2"),
    (lambda d: d["classes"].pop(), "2 to 50 classes"),
    (lambda d: d["training"].update(epochs="5"), "epochs must be int"),
    (lambda d: d["training"].update(speed=1), "unknown training settings"),
    (lambda d: d["network"].update(layers=[{"kind": "warp"}]), "bad \"network\""),
    (lambda d: d["classes"][0].update(id="../x"), "bad folder name"),
])
def test_a_damaged_project_file_is_named_in_one_line(tmp_path, change, problem):
    Project.create(tmp_path / "p", "P", ["a", "b"], spec=SMALL).close()
    path = tmp_path / "p" / "project.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    for read_only in (True, False):
        with pytest.raises(CnnDesktopError) as error:
            Project.open(tmp_path / "p", read_only=read_only)
        assert problem in one_line_naming(error, tmp_path / "p")


def test_a_folder_that_is_no_project_is_refused_and_left_untouched(tmp_path):
    (tmp_path / "photos").mkdir()
    with pytest.raises(CnnDesktopError) as error:
        Project.open(tmp_path / "photos")
    assert "not a cnn-desktop project" in one_line_naming(error, tmp_path / "photos")
    assert list((tmp_path / "photos").iterdir()) == []  # no .lock left in it
    with pytest.raises(CnnDesktopError, match="no such project folder"):
        Project.open(tmp_path / "missing")


# --- versions ---


def test_versions_are_numbered_immutable_and_recorded(project):
    assert project.versions() == [] and project.current_version() is None
    model = build_model(project.spec, seed=0)
    history = [{"epoch": 1, "val_loss": 0.5, "val_accuracy": 0.75}, {"epoch": 2, "val_loss": 0.25, "val_accuracy": 0.9}]
    info = {"config": {"epochs": 2}, "examples": 40, "train_size": 36, "val_size": 4}
    first = project.add_version(model, history, info, held_out_ids=["b2", "a1"])
    second = project.add_version(model, reason="stopped early", make_current=False)
    assert (first, second) == ("v0001", "v0002") and project.current_version() == "v0001"
    records = project.versions()
    assert [r["version"] for r in records] == ["v0001", "v0002"]
    record = records[0]
    assert record["reason"] == "trained" and record["parent"] is None and record["epochs"] == 2
    assert record["validation"] == {"method": "holdout", "loss": 0.25, "accuracy": 0.9}
    assert record["data"] == {"examples": 40, "train_size": 36, "val_size": 4}
    assert record["settings"] == {"epochs": 2} and record["held_out_ids"] == ["a1", "b2"]
    assert record["classes"] == [{"id": c, "name": c} for c in ("circle", "square", "star")]
    assert records[1]["parent"] == "v0001" and records[1]["held_out_ids"] is None
    assert record["model_sha256"] == hashlib.sha256((project.folder / "models/v0001/model.safetensors").read_bytes()).hexdigest()
    assert (project.folder / "models" / "current").read_text() == "v0001\n"
    project.make_current("v0002")
    assert project.current_version() == "v0002"
    loaded = project.load_version("v0001").model
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
    # another tool reads a version with nothing but the model file
    assert load_model(project.folder / "models/v0002/model.safetensors").model.classes == project.class_names


def test_writing_a_version_that_exists_is_an_error_and_changes_nothing(project):
    project.add_version(build_model(project.spec, seed=0))
    before = tree_digest(project.folder)
    record = make_record("v0001", "trained", None, [], {}, [], {}, None, b"x")
    with pytest.raises(CnnDesktopError) as error:
        write_version(project.folder / "models", "v0001", b"other bytes", record)
    assert "never overwritten" in str(error.value)
    assert tree_digest(project.folder) == before
    assert set(REASONS) >= {"trained", "imported", "migrated", "stopped early", "bundled"}
    with pytest.raises(ValueError):
        project.add_version(build_model(project.spec), reason="felt like it")


def test_a_version_folder_appears_whole_or_not_at_all(project, monkeypatch):
    import cnn_desktop.core.projects.versions as versions

    def full_disk(path, data, **kwargs):
        if str(path).endswith(".json"):
            raise OSError(28, "No space left on device")
        return original(path, data, **kwargs)

    original = versions.write_atomically
    monkeypatch.setattr(versions, "write_atomically", full_disk)
    with pytest.raises(CnnDesktopError, match="No space left"):
        project.add_version(build_model(project.spec, seed=0))
    assert sorted(os.listdir(project.folder / "models")) == []
    monkeypatch.setattr(versions, "write_atomically", original)
    assert project.add_version(build_model(project.spec, seed=0)) == "v0001"


def test_a_crashed_version_write_is_cleared_when_the_writer_next_opens(tmp_path):
    Project.create(tmp_path / "p", "P", ["a", "b"], spec=SMALL).close()
    debris = tmp_path / "p" / "models" / ".v0001.0123abcd.tmp"
    debris.mkdir()
    (debris / "model.safetensors").write_bytes(b"half")
    Project.open(tmp_path / "p", read_only=True).versions()
    assert debris.exists()  # a reader never deletes
    with Project.open(tmp_path / "p") as project:
        assert not debris.exists() and project.versions() == []


def test_a_model_for_other_classes_is_refused(project):
    with pytest.raises(CnnDesktopError) as error:
        project.add_version(build_model(SMALL))
    assert "are not the project's" in one_line_naming(error, project.folder)


def test_load_version_names_outputs_with_todays_class_names(project):
    project.add_version(build_model(project.spec, seed=0))
    project.rename_class("star", "sun")
    assert project.load_version().model.classes == ("circle", "square", "sun")
    assert load_model(project.folder / "models/v0001/model.safetensors").model.classes[2] == "star"  # immutable


def test_import_version_copies_the_file_byte_for_byte(project, tmp_path):
    from cnn_desktop.core.network.checkpoint import save_model

    save_model(tmp_path / "m.safetensors", build_model(project.spec, seed=3), info={"note": "mine"})
    name = project.import_version(tmp_path / "m.safetensors")
    assert (project.folder / "models" / name / "model.safetensors").read_bytes() == (tmp_path / "m.safetensors").read_bytes()
    assert project.record(name)["reason"] == "imported" and project.record(name)["source"]["file"].endswith("m.safetensors")
    save_model(tmp_path / "other.safetensors", build_model(SMALL))
    with pytest.raises(CnnDesktopError, match="expected 3 classes"):
        project.import_version(tmp_path / "other.safetensors")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
        with pytest.raises(CnnDesktopError, match="not a regular file"):
            project.import_version(tmp_path / "fifo")


def test_unknown_versions_are_named_in_one_line(project):
    for bad in ("v9999", "../x", "current"):
        with pytest.raises(CnnDesktopError) as error:
            project.make_current(bad)
        one_line_naming(error, project.folder)
    with pytest.raises(CnnDesktopError, match="no model version yet"):
        project.load_version()


# --- read-only, and reading never writes ---


def _filled(tmp_path) -> Path:
    with Project.create(tmp_path / "p", "P", ["a", "b", "c"], spec=SMALL) as project:
        strokes = Strokes.from_points([[(0.1, 0.1), (0.9, 0.9)]])
        for label in ("a", "b", "b"):
            project.store.add(label, np.eye(28, dtype=np.float32), strokes)
        project.add_version(build_model(project.spec, seed=0))
        project.delete_class("c")
    return tmp_path / "p"


def test_reading_a_project_never_changes_a_byte(tmp_path):
    folder = _filled(tmp_path)
    before = tree_digest(folder)
    project = Project.open(folder, read_only=True)
    assert project.counts() == {"a": 1, "b": 2}
    assert len(project.store) == 3 and project.store.arrays()[0].shape == (3, 28, 28)
    example = project.store.examples("b")[0]
    assert project.store.strokes(example.id) is not None and project.store.raster(example.id).shape == (28, 28)
    assert [r["version"] for r in project.versions()] == ["v0001"] and project.current_version() == "v0001"
    assert project.load_version().model.classes == ("a", "b", "c")
    assert project.trash()[0]["name"] == "c"
    project.close()
    assert tree_digest(folder) == before


def test_a_read_only_project_refuses_every_write_in_one_line(tmp_path):
    folder = _filled(tmp_path)
    before = tree_digest(folder)
    project = Project.open(folder, read_only=True)
    model = build_model(project.spec)
    writes = [
        lambda: project.store.add("a", np.zeros((28, 28), np.float32)),
        lambda: project.store.add_many([]),
        lambda: project.store.remove(project.store.examples()[0].id),
        lambda: project.store.relabel(project.store.examples()[0].id, "b"),
        lambda: project.add_version(model),
        lambda: project.import_version(folder / "models/v0001/model.safetensors"),
        lambda: project.make_current("v0001"),
        lambda: project.add_class("d"),
        lambda: project.rename_class("a", "z"),
        lambda: project.set_key("a", "Q"),
        lambda: project.merge_classes("a", "b"),
        lambda: project.delete_class("a"),
        lambda: project.restore_from_trash(project.trash()[0]["entry"]),
        lambda: project.set_config(TrainConfig()),
        lambda: project.set_network(SMALL),
    ]
    for write in writes:
        with pytest.raises(CnnDesktopError) as error:
            write()
        assert "opened read-only" in one_line_naming(error, folder)
    assert tree_digest(folder) == before


def test_a_read_only_store_that_would_have_to_tidy_up_says_so_instead(tmp_path):
    folder = _filled(tmp_path)
    stale = folder / "drawings" / "a" / ".x.png.0123abcd.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (1, 1))
    before = tree_digest(folder)
    with pytest.raises(CnnDesktopError) as error:
        Project.open(folder, read_only=True).store.examples()
    assert "open it for writing once" in one_line_naming(error, folder)
    assert tree_digest(folder) == before
    Project.open(folder).close()
    assert not stale.exists()
    assert Project.open(folder, read_only=True).counts() == {"a": 1, "b": 2}


def test_class_lists_survive_reopening(project):
    project.set_key("circle", "9")
    project.close()
    with pytest.raises(CnnDesktopError, match="closed; cannot change a key"):
        project.set_key("circle", "8")
    reopened = Project.open(project.folder, read_only=True)
    assert reopened.classes[0] == ProjectClass("circle", "circle", "9")
    assert reopened.spec.classes == reopened.class_names
