"""Homes made before projects move into projects/ without losing a drawing or a model, however often
the move is run and wherever it is interrupted."""

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.checkpoint import load_model, save_model
from cnn_desktop.core.network.model import build_model
import cnn_desktop.core.projects.migrate as migrate
from cnn_desktop.core.projects.migrate import migrate_home
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.tasks import TASKS, collection_dir, user_model_path

TICKS = TASKS["ticks-crosses"]


def old_home(home: Path, extra_label: bool = False) -> dict:
    """A home as today's app leaves it: a ticks & crosses collection, a few digits, a trained model."""
    rng = np.random.default_rng(0)
    drawings = {}
    store = DrawingStore(collection_dir(TICKS, home), TICKS.classes)
    labels = ["tick", "cross"] * 6 + (["smudge"] if extra_label else [])
    for i, label in enumerate(labels):
        raster = rng.random((28, 28)).astype(np.float32)
        strokes = Strokes.from_points([[(0.1 * i % 1, 0.2), (0.5, 0.9)], [(0.3, 0.3), (0.7, 0.2)]]) if i % 3 else None
        example = store.add(label, raster, strokes)
        drawings[example.id] = (label, store.raster(example.id), strokes)
    digits = DrawingStore(collection_dir(TASKS["digits"], home), TASKS["digits"].classes)
    digits.add("7", rng.random((28, 28)).astype(np.float32))
    model = build_model(TICKS.spec(), seed=1)
    user_model_path(TICKS, home).parent.mkdir(parents=True, exist_ok=True)  # as the session does
    save_model(user_model_path(TICKS, home), model, [{"epoch": 1, "val_loss": 0.3, "val_accuracy": 0.8}],
               {"examples": 12, "config": {"epochs": 1}})
    return {"drawings": drawings, "model": model}


def content(folder: Path) -> dict:
    """Every file's bytes by path (the lock file aside: it holds the pid of whoever opened last)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def check_migrated(home: Path, old: dict) -> None:
    with Project.open(home / "projects" / "ticks-crosses", read_only=True) as project:
        assert project.name == "Ticks & crosses" and project.class_names == ("tick", "cross")
        assert project.keys == ("T", "X") and project.config == TICKS.app_train_config
        assert project.spec == TICKS.spec()
        wanted = {i: d for i, d in old["drawings"].items() if d[0] in project.class_ids}
        assert {e.id for e in project.store.examples()} == set(wanted)
        for example_id, (label, raster, strokes) in wanted.items():
            assert project.store.examples(label) and example_id in {e.id for e in project.store.examples(label)}
            assert np.array_equal(project.store.raster(example_id), raster)
            found = project.store.strokes(example_id)
            assert (found is None) == (strokes is None)
            if strokes is not None:
                assert all(np.array_equal(a, b) for a, b in zip(found.strokes, strokes.strokes))
        records = project.versions()
        assert [r["reason"] for r in records] == ["bundled", "migrated"]
        assert project.current_version() == records[-1]["version"] == "v0002"
        model = project.load_version().model
        for name, tensor in old["model"].state_dict().items():
            assert torch.equal(model.state_dict()[name], tensor)
        assert project.load_version().history[0]["val_accuracy"] == 0.8
        bundled = load_model(TICKS.bundled_model_path()).model
        assert all(torch.equal(a, b) for a, b in zip(project.load_version("v0001").model.state_dict().values(),
                                                      bundled.state_dict().values()))
    assert not collection_dir(TICKS, home).exists()
    assert (home / "collections" / "ticks-crosses.migrated").is_dir()  # kept, as it was
    assert not user_model_path(TICKS, home).exists()
    assert (home / "models" / "ticks-crosses.safetensors.migrated").is_file()


def test_an_old_home_moves_into_projects_without_loss(tmp_path):
    old = old_home(tmp_path)
    report = migrate_home(tmp_path)
    assert any("moved in 12 drawings" in line for line in report) and all("\n" not in line for line in report)
    check_migrated(tmp_path, old)
    with Project.open(tmp_path / "projects" / "digits", read_only=True) as digits:
        assert digits.counts()["7"] == 1 and [r["reason"] for r in digits.versions()] == ["bundled"]
        assert digits.keys == TASKS["digits"].keys and digits.current_version() == "v0001"


def test_a_second_run_changes_nothing(tmp_path):
    old_home(tmp_path)
    migrate_home(tmp_path)
    before = content(tmp_path)
    assert migrate_home(tmp_path) == []
    assert content(tmp_path) == before


def test_a_fresh_home_gets_the_built_in_projects(tmp_path):
    report = migrate_home(tmp_path)
    assert sorted(p.name for p in (tmp_path / "projects").iterdir()) == ["digits", "ticks-crosses"]
    assert len(report) == 2
    with Project.open(tmp_path / "projects" / "digits", read_only=True) as digits:
        assert digits.class_names == tuple("0123456789") and digits.versions()[0]["reason"] == "bundled"
        assert (digits.folder / "models/v0001/model.safetensors").read_bytes() == \
            TASKS["digits"].bundled_model_path().read_bytes()


def test_without_bundled_models_the_migrated_model_is_the_first_version(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_DESKTOP_RESOURCES", str(tmp_path / "no-resources"))
    old_home(tmp_path / "home")
    migrate_home(tmp_path / "home")
    with Project.open(tmp_path / "home" / "projects" / "ticks-crosses", read_only=True) as project:
        assert [(r["version"], r["reason"]) for r in project.versions()] == [("v0001", "migrated")]


def test_a_label_the_task_lacks_goes_to_the_trash_restorably(tmp_path):
    old = old_home(tmp_path, extra_label=True)
    migrate_home(tmp_path)
    check_migrated(tmp_path, old)
    with Project.open(tmp_path / "projects" / "ticks-crosses") as project:
        [entry] = project.trash()
        assert (entry["name"], entry["drawings"]) == ("smudge", 1)
        restored = project.restore_from_trash(entry["entry"])
        [(smudge_id, (_, raster, _))] = [(i, d) for i, d in old["drawings"].items() if d[0] == "smudge"]
        assert np.array_equal(project.store.raster(smudge_id), raster) and restored.name == "smudge"


@pytest.mark.parametrize("copies_before_the_crash", [0, 5, 12])
def test_an_interrupted_move_of_the_drawings_is_finished_by_the_next_run(tmp_path, monkeypatch, copies_before_the_crash):
    old = old_home(tmp_path, extra_label=True)
    written = []
    original = migrate.write_atomically

    def crash(path, data, **kwargs):
        if path.suffix == ".png" and len(written) >= copies_before_the_crash:
            raise OSError(28, "No space left on device")
        written.append(path)
        return original(path, data, **kwargs)

    monkeypatch.setattr(migrate, "write_atomically", crash)
    with pytest.raises(CnnDesktopError) as error:
        migrate_home(tmp_path)
    assert "No space left" in str(error.value) and "nothing was lost" in str(error.value)
    assert collection_dir(TICKS, tmp_path).is_dir() and user_model_path(TICKS, tmp_path).is_file()  # untouched
    monkeypatch.setattr(migrate, "write_atomically", original)
    migrate_home(tmp_path)
    check_migrated(tmp_path, old)


@pytest.mark.parametrize("crashing", ["bundled", "migrated"])
def test_a_crash_between_writing_a_model_and_making_it_current(tmp_path, monkeypatch, crashing):
    old = old_home(tmp_path)
    original = Project.import_version

    def crash_before_current(self, path, reason="imported", parent=None, make_current=True, **options):
        version = original(self, path, reason, parent, make_current=reason != crashing, **options)
        if reason == crashing:
            raise OSError(5, "Input/output error")
        return version

    monkeypatch.setattr(Project, "import_version", crash_before_current)
    monkeypatch.setattr(migrate, "_drawings", lambda project, folder: [])  # the drawings are not the point here
    with pytest.raises(CnnDesktopError):
        migrate_home(tmp_path)
    monkeypatch.undo()
    migrate_home(tmp_path)
    check_migrated(tmp_path, old)
    with Project.open(tmp_path / "projects" / "digits", read_only=True) as digits:
        assert [r["version"] for r in digits.versions()] == ["v0001"] and digits.current_version() == "v0001"


def test_an_unreadable_old_model_is_left_where_it_is(tmp_path):
    old_home(tmp_path)
    user_model_path(TICKS, tmp_path).write_bytes(b"not a model")
    report = migrate_home(tmp_path)
    assert any("left where it is" in line and "\n" not in line for line in report)
    assert user_model_path(TICKS, tmp_path).read_bytes() == b"not a model"
    assert migrate_home(tmp_path) == [line for line in report if "left where it is" in line]  # says it again


def test_a_project_open_elsewhere_stops_the_move_in_one_line(tmp_path):
    migrate_home(tmp_path)
    old_home(tmp_path)
    with Project.open(tmp_path / "projects" / "ticks-crosses"):
        with pytest.raises(CnnDesktopError, match="open in another window"):
            migrate_home(tmp_path)
    assert collection_dir(TICKS, tmp_path).is_dir()
