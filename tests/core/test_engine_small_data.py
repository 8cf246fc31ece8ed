"""The engine's validation plan (issue 13): a held-out split only with enough drawings, else every drawing
trained on and a k-fold estimate after training, or no figure and why. Driven synchronously through
run_once(), as tests/core/test_engine.py does."""

import numpy as np
import pytest

from bars import make_bars
from cnn_desktop.core.app.engine import Engine
from cnn_desktop.core.app.messages import (
    AccuracyEstimate,
    ModelReady,
    PauseTraining,
    Predict,
    Prediction,
    ResumeTraining,
    StartTraining,
    StopTraining,
    TrainingEpoch,
    TrainingStarted,
    TrainingState,
    UseModel,
)
from cnn_desktop.core.data.classes import TICK_CROSS_CLASSES
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.network.spec import TrainConfig, lenet_spec
from test_engine import Recorder, _run_until_training_ends

SPEC = lenet_spec(TICK_CROSS_CLASSES)
CONFIG = TrainConfig(epochs=3, batch_size=8)
TICK = Strokes.from_points([[(100, 300), (160, 380), (330, 120)]])


def _collection(tmp_path, per_class: int, second: int | None = None):
    """``per_class`` bars of each class ("tick" horizontal, "cross" vertical); ``second`` crosses if given."""
    images, labels = make_bars(4 * max(per_class, second or 0) + 4, seed=3)
    wanted = {0: per_class, 1: second if second is not None else per_class}
    keep = np.concatenate([np.flatnonzero(labels == c)[:n] for c, n in wanted.items()])
    store = DrawingStore(tmp_path / f"collection-{per_class}-{second}", TICK_CROSS_CLASSES)
    store.add_many((TICK_CROSS_CLASSES[labels[i]], images[i], None) for i in keep)
    return store.root


@pytest.fixture
def engine():
    recorder = Recorder()
    engine = Engine(recorder, step_report_seconds=0)
    engine.recorder = recorder
    engine.submit(UseModel(None, SPEC, "fresh"))
    engine.run_once()
    recorder.clear()
    return engine


def _run_until(engine, condition, limit=5000):
    for _ in range(limit):
        engine.run_once()
        if condition():
            return
    raise AssertionError("never happened")


def test_ten_drawings_a_class_show_no_two_drawing_validation_but_a_kfold_estimate(engine, tmp_path):
    """Issue 13's case: with 10 drawings a class the held-out split was 2 drawings, and the curves
    showed "validation 100%"."""
    engine.submit(StartTraining(_collection(tmp_path, 10), CONFIG))
    _run_until_training_ends(engine)
    (started,) = engine.recorder.of(TrainingStarted)
    assert started.validation == "kfold" and started.val_size == 0 and started.train_size == 20
    assert started.config.validation_fraction == 0
    assert "5-fold cross-validation" in started.validation_line
    epochs = engine.recorder.of(TrainingEpoch)
    assert len(epochs) == 3 and all(e.info.val_accuracy is None and e.info.val_loss is None for e in epochs)

    estimates = engine.recorder.of(AccuracyEstimate)
    assert [e.fold for e in estimates if e.state == "running"] == [1, 2, 3, 4, 5]
    done = estimates[-1]
    assert done.state == "done" and done.total == 20 and 0 <= done.correct <= 20
    assert f"5-fold estimate: {done.correct} of 20 right" in done.line and "95% interval" in done.line
    low, high = done.interval
    assert 0 <= low <= done.correct / 20 <= high <= 1

    # The run ends after the estimate: the model it leaves, then "finished" with the estimate's line.
    messages = engine.recorder.messages
    order = [type(m) for m in messages if isinstance(m, (AccuracyEstimate, ModelReady, TrainingState))]
    assert order[-3:] == [AccuracyEstimate, ModelReady, TrainingState]
    assert messages[-1] == TrainingState("finished", done.line)
    record = engine.info["validation"]
    assert record["method"] == "kfold" and record["correct"] == done.correct and record["total"] == 20
    assert engine.info["val_size"] == 0 and engine.info["config"]["validation_fraction"] == 0


def test_too_few_drawings_give_no_figure_and_say_why(engine, tmp_path):
    engine.submit(StartTraining(_collection(tmp_path, 10, second=3), CONFIG))
    _run_until_training_ends(engine)
    (started,) = engine.recorder.of(TrainingStarted)
    assert started.validation == "none" and started.val_size == 0
    assert "at least 5 of each class are needed ('cross' has 3)" in started.validation_line
    assert "'cross' has 3 drawings" in started.warning and "unreliable" in started.warning
    assert not engine.recorder.of(AccuracyEstimate)
    assert all(e.info.val_accuracy is None for e in engine.recorder.of(TrainingEpoch))
    assert engine.recorder.messages[-1] == TrainingState("finished", "")
    assert engine.info["validation"]["method"] == "none" and "'cross' has 3" in engine.info["validation"]["note"]


def test_a_large_collection_keeps_the_held_out_split_and_its_figures(engine, tmp_path):
    engine.submit(StartTraining(_collection(tmp_path, 30), CONFIG))
    _run_until_training_ends(engine)
    (started,) = engine.recorder.of(TrainingStarted)
    assert started.validation == "holdout" and started.val_size == 6 and started.warning == ""
    assert "6 of your drawings set aside" in started.validation_line
    assert all(e.info.val_accuracy is not None for e in engine.recorder.of(TrainingEpoch))
    assert not engine.recorder.of(AccuracyEstimate) and engine.info["validation"]["method"] == "holdout"


def _until_estimating(engine):
    _run_until(engine, lambda: engine.recorder.of(AccuracyEstimate))


def test_stop_during_the_estimate_ends_at_the_next_round_and_keeps_the_trained_model(engine, tmp_path):
    engine.submit(StartTraining(_collection(tmp_path, 10), CONFIG))
    _until_estimating(engine)
    assert engine.recorder.of(AccuracyEstimate)[-1].state == "running"
    engine.submit(StopTraining())
    engine.run_once()  # the very next round: no fold is finished first
    assert engine.trainer is None
    stopped = engine.recorder.of(AccuracyEstimate)[-1]
    assert stopped.state == "stopped" and "No accuracy estimate" in stopped.line
    # The run itself trained to its end: "finished", and its model is the one in use.
    assert engine.recorder.messages[-1] == TrainingState("finished", stopped.line)
    assert engine.recorder.of(ModelReady)[-1].trained
    assert engine.info["validation"]["method"] == "kfold" and "correct" not in engine.info["validation"]


def test_pause_holds_the_estimate_and_predictions_are_answered_meanwhile(engine, tmp_path):
    engine.submit(StartTraining(_collection(tmp_path, 10), CONFIG))
    _until_estimating(engine)
    engine.submit(PauseTraining())
    engine.run_once()
    assert engine.recorder.messages[-1] == TrainingState("paused")
    check = engine._check
    before = check._kfold._trainer.step_count if check._kfold._trainer else 0
    engine.submit(Predict(7, TICK))
    for _ in range(5):
        engine.run_once()
    assert engine.recorder.of(Prediction)[-1].request_id == 7
    assert (check._kfold._trainer.step_count if check._kfold._trainer else 0) == before and check.running
    engine.submit(StartTraining(_collection(tmp_path, 10), CONFIG))  # a second run is refused meanwhile
    engine.run_once()
    assert engine.recorder.messages[-1] == TrainingState("paused", "already training")
    engine.submit(ResumeTraining())
    _run_until_training_ends(engine)
    assert engine.recorder.of(AccuracyEstimate)[-1].state == "done"


def test_each_fold_starts_from_the_weights_the_run_started_from(engine, tmp_path):
    start = {name: tensor.clone() for name, tensor in engine.model.state_dict().items()}
    engine.submit(StartTraining(_collection(tmp_path, 10), CONFIG))
    _until_estimating(engine)
    fold_start = engine._check._factory().state_dict()
    trained = engine.model.state_dict()
    assert all(np.array_equal(fold_start[name].numpy(), start[name].numpy()) for name in start)
    assert not all(np.array_equal(trained[name].numpy(), start[name].numpy()) for name in start)
