"""core/training/runs.py and evaluate_collection: one record of a run, one way to re-create its split.

The app's Mistakes panel and ``cnn-desktop evaluate --split`` both re-create the split from what the
model file records and never guess it; these tests hold them to that.
"""

import numpy as np
import pytest

from cnn_desktop.cli import main
from cnn_desktop.core.data.classes import TICK_CROSS_CLASSES
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.errors import TrainingError
from cnn_desktop.core.inspection.evaluation import (
    CHANGED_SINCE,
    NEVER_TRAINED_ON,
    NO_DRAWINGS,
    NO_RECORDED_SPLIT,
    TOO_FEW_TO_HOLD_OUT,
    evaluate_collection,
)
from cnn_desktop.core.network.checkpoint import save_model
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import TrainConfig, lenet_spec
from cnn_desktop.core.training.runs import recorded_split, run_info, split_like_training
from cnn_desktop.core.training.trainer import Trainer

from bars import make_bars

SPEC = lenet_spec(TICK_CROSS_CLASSES)


def _recorded(collection, examples=120, fraction=0.2, seed=4) -> dict:
    return {"data": str(collection), "examples": examples, "config": {"validation_fraction": fraction, "seed": seed}}


def test_the_record_of_a_run_holds_its_data_sizes_config_and_timings():
    images, labels = make_bars(40)
    trainer = Trainer(build_model(SPEC, seed=0), images, labels, TrainConfig(epochs=1, batch_size=16, seed=3))
    before = run_info(trainer, "bars", 40, None, from_scratch=True)
    assert before["steps"] == 0 and before["train_seconds"] == 0.0 and before["from_scratch"] is True
    trainer.fit()
    info = run_info(trainer, "bars", 40, "old.safetensors", command="cnn-desktop train")
    assert info["data"] == "bars" and info["examples"] == 40 and info["init"] == "old.safetensors"
    assert (info["train_size"], info["val_size"]) == (trainer.train_size, trainer.val_size) == (36, 4)
    assert info["config"]["seed"] == 3 and info["steps"] == trainer.step_count == 3
    assert info["train_seconds"] == round(trainer.history[-1].seconds, 2)
    assert info["parameters"] == trainer.model.parameter_count() and info["command"] == "cnn-desktop train"
    assert {"date", "cnn_desktop_version"} <= set(info)
    # The record re-creates the very split the trainer validated on.
    split = split_like_training(info, labels)
    assert len(split.validation) == trainer.val_size and not split.changed
    assert (split.fraction, split.seed) == (0.1, 3)


def test_a_split_is_only_re_created_from_what_the_file_records():
    labels = np.arange(50) % 2
    for info in ({}, {"config": {}}, {"config": {"seed": 1}}, {"config": {"seed": True, "validation_fraction": 0.1}},
                 {"config": {"seed": 1, "validation_fraction": "0.1"}}):
        assert recorded_split(info) is None
        with pytest.raises(TrainingError, match="does not record its training split"):
            split_like_training(info, labels)
    split = split_like_training({"examples": 60, "config": {"seed": 1, "validation_fraction": 0.2}}, labels)
    assert len(split.validation) == 10 and split.changed  # 50 labels, 60 trained on: not training's split
    assert set(split.part("train")) | set(split.part("validation")) == set(range(50))


def _model():
    return build_model(SPEC, seed=0)


def test_a_collection_the_model_trained_on_is_checked_on_its_held_out_drawings(bars_collection):
    check = evaluate_collection(_model(), _recorded(bars_collection), bars_collection)
    assert check.split == "validation" and check.note == "" and (check.fraction, check.seed) == (0.2, 4)
    assert check.confusion.sum() == 24  # 12 of each class's 60
    assert sum(len(ids) for row in check.example_ids for ids in row) == 24


@pytest.mark.parametrize("info, note", [
    ({}, NEVER_TRAINED_ON),  # an untrained network, or a bundled one
    ({"data": "/elsewhere", "config": {"validation_fraction": 0.2, "seed": 4}}, NEVER_TRAINED_ON),
    ("no split", NO_RECORDED_SPLIT),  # trained on this collection, but the file says nothing of the split
    ("nothing held out", TOO_FEW_TO_HOLD_OUT),
])
def test_otherwise_every_drawing_is_checked_and_the_note_says_why(bars_collection, info, note):
    if info == "no split":
        info = {"data": str(bars_collection), "examples": 120, "config": {}}
    elif info == "nothing held out":
        info = _recorded(bars_collection, fraction=0.0)
    check = evaluate_collection(_model(), info, bars_collection)
    assert check.split == "all" and check.note == note and check.confusion.sum() == 120


def test_a_changed_collection_is_still_split_but_the_note_warns(bars_collection):
    check = evaluate_collection(_model(), _recorded(bars_collection, examples=100), bars_collection)
    assert check.split == "validation" and check.note == CHANGED_SINCE


def test_an_empty_collection(tmp_path):
    store = DrawingStore(tmp_path / "empty", TICK_CROSS_CLASSES)
    check = evaluate_collection(_model(), _recorded(store.root), store.root)
    assert check.note == NO_DRAWINGS and check.confusion.shape == (2, 2) and check.confusion.sum() == 0


def test_the_cli_refuses_a_split_the_file_does_not_record(tmp_path, bars_collection, capsys):
    path = tmp_path / "no-split.safetensors"
    save_model(path, _model(), [], {"data": str(bars_collection)})
    assert main(["evaluate", "--model", str(path), str(bars_collection), "--split", "validation"]) == 2
    assert "does not record its training split; use --split all" in capsys.readouterr().err
    assert main(["evaluate", "--model", str(path), str(bars_collection)]) == 0


def test_the_cli_notes_when_data_differs_in_size_from_what_was_trained_on(tmp_path, bars_collection, capsys):
    path = tmp_path / "trained.safetensors"
    save_model(path, _model(), [], _recorded(bars_collection, examples=100))
    assert main(["evaluate", "--model", str(path), str(bars_collection), "--split", "validation"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1].endswith("n=24")
    assert "120 examples, but the model was trained on 100" in captured.err


def test_the_app_records_its_runs_as_the_cli_does(bars_collection):
    from cnn_desktop.core.app.engine import Engine
    from cnn_desktop.core.app.messages import StartTraining, UseModel
    from test_engine import Recorder, _run_until_training_ends

    engine = Engine(Recorder(), step_report_seconds=0)
    engine.submit(UseModel(None, SPEC, "fresh"))
    engine.run_once()
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=1, validation_fraction=0.2, seed=4)))
    _run_until_training_ends(engine)
    info = engine.info
    assert info["data"] == str(bars_collection) and info["examples"] == 120 and info["init"] == "fresh"
    assert (info["train_size"], info["val_size"]) == (96, 24) and info["steps"] > 0 and info["from_scratch"] is False
    assert {"config", "train_seconds", "parameters", "date", "cnn_desktop_version"} <= set(info)
