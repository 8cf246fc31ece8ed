"""The compute engine, driven without Qt: mostly synchronously through run_once(), which is exactly
what its thread's loop calls."""

import threading
import time

import numpy as np
import pytest

from cnn_desktop.core.network.checkpoint import load_model, save_model
from cnn_desktop.core.app.engine import Engine
from cnn_desktop.core.app.messages import (
    EngineError,
    Filters,
    ModelReady,
    ModelSaved,
    PauseTraining,
    Predict,
    Prediction,
    ResumeTraining,
    SaveModel,
    StartTraining,
    StopTraining,
    TrainingEpoch,
    TrainingStarted,
    TrainingState,
    TrainingSteps,
    UseModel,
)
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.data.classes import TICK_CROSS_CLASSES
from cnn_desktop.core.network.spec import TrainConfig, lenet_spec
from cnn_desktop.core.data.strokes import Strokes

SPEC = lenet_spec(TICK_CROSS_CLASSES)
TICK = Strokes.from_points([[(100, 300), (160, 380), (330, 120)]])


class Recorder:
    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    def __call__(self, message):
        with self._lock:
            self.messages.append(message)

    def of(self, kind):
        with self._lock:
            return [m for m in self.messages if isinstance(m, kind)]

    def clear(self):
        with self._lock:
            self.messages.clear()

    def steps(self):
        """Every reported training step, out of the batched TrainingSteps messages."""
        return [info for batch in self.of(TrainingSteps) for info in batch.steps]


@pytest.fixture
def engine():
    recorder = Recorder()
    engine = Engine(recorder, step_report_seconds=0)  # every step reported at once: step-exact tests
    engine.recorder = recorder
    engine.submit(UseModel(None, SPEC, "fresh"))
    engine.run_once()
    return engine


def _run_until_training_ends(engine, limit=5000):
    for _ in range(limit):
        engine.run_once()
        if engine.trainer is None:
            return
    raise AssertionError("training did not end")


def test_a_fresh_model_is_announced_untrained_with_its_filters(engine):
    (ready,) = engine.recorder.of(ModelReady)
    assert ready.spec == SPEC and not ready.trained and ready.parameters == engine.model.parameter_count()
    (filters,) = engine.recorder.of(Filters)
    assert [(name, w.shape) for name, w, _ in filters.layers] == [("conv1", (16, 1, 5, 5)), ("conv2", (32, 16, 5, 5))]


def test_prediction_carries_probabilities_input_activations_and_transform(engine):
    engine.submit(Predict(1, TICK))
    engine.run_once()
    (prediction,) = engine.recorder.of(Prediction)
    assert prediction.request_id == 1
    assert prediction.image.shape == (28, 28) and prediction.image.max() > 0.5
    assert prediction.probabilities.shape == (2,) and np.isclose(prediction.probabilities.sum(), 1, atol=1e-5)
    assert prediction.activations["conv1"].shape == (16, 28, 28)
    assert prediction.activations["pool2"].shape == (32, 5, 5)
    assert prediction.activations["out"].shape == (2,)
    assert prediction.to_input.shape == (2, 3)


def test_an_empty_drawing_gets_no_guess(engine):
    engine.submit(Predict(4, Strokes()))
    engine.run_once()
    (prediction,) = engine.recorder.of(Prediction)
    assert prediction.request_id == 4 and prediction.probabilities is None and prediction.image is None


def test_only_the_newest_drawing_is_answered(engine):
    for request_id in range(1, 51):
        engine.submit(Predict(request_id, TICK))
    engine.run_once()
    assert [p.request_id for p in engine.recorder.of(Prediction)] == [50]


def test_training_reports_steps_epochs_and_changes_filters_and_feature_maps(engine, bars_collection):
    engine.submit(Predict(1, TICK))
    engine.run_once()
    before_filters = engine.recorder.of(Filters)[-1].layers[0][1]
    before_maps = engine.recorder.of(Prediction)[-1].activations["conv1"]
    engine.recorder.clear()
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=3, batch_size=16)))
    _run_until_training_ends(engine)

    (started,) = engine.recorder.of(TrainingStarted)
    steps, epochs = engine.recorder.steps(), engine.recorder.of(TrainingEpoch)
    assert len(steps) == started.total_steps and [e.info.epoch for e in epochs] == [1, 2, 3]
    assert epochs[-1].info.val_accuracy >= 0.9
    assert [s.state for s in engine.recorder.of(TrainingState)] == ["running", "finished"]
    assert engine.recorder.of(ModelReady)[-1].trained
    assert not np.allclose(engine.recorder.of(Filters)[-1].layers[0][1], before_filters)
    refreshed = engine.recorder.of(Prediction)[-1]  # the shown drawing was re-run on the new weights
    assert refreshed.request_id == 1 and not np.allclose(refreshed.activations["conv1"], before_maps)


@pytest.mark.parametrize("ending", ["finished", "stopped"])
def test_a_run_announces_its_model_before_saying_it_ended(engine, bars_collection, ending):
    # Whoever sees "finished" or "stopped" must already know the model the run left: the window saves
    # and names it then (the reverse order made a GUI test flaky: label checked at "finished").
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=1 if ending == "finished" else 50, batch_size=16)))
    engine.run_once()
    if ending == "stopped":
        engine.submit(StopTraining())
    _run_until_training_ends(engine)
    kinds = [type(m).__name__ for m in engine.recorder.messages if isinstance(m, (ModelReady, TrainingState))]
    assert kinds[-2:] == ["ModelReady", "TrainingState"]
    assert engine.recorder.of(TrainingState)[-1].state == ending
    assert engine.recorder.of(ModelReady)[-1].origin == "training"


def test_predictions_keep_coming_while_training(engine, bars_collection):
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=50, batch_size=8)))
    engine.run_once()
    for request_id in range(1, 6):
        engine.submit(Predict(request_id, TICK))
        engine.run_once()
    answered = [p.request_id for p in engine.recorder.of(Prediction)]
    assert {1, 2, 3, 4, 5} <= set(answered) and answered == sorted(answered)
    assert len(engine.recorder.steps()) >= 5  # a training step in every round too


def test_pause_resume_and_stop(engine, bars_collection):
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=50, batch_size=8)))
    engine.run_once()
    engine.submit(PauseTraining())
    engine.run_once()
    steps = len(engine.recorder.steps())
    assert engine.run_once() is False  # paused and nothing else to do: the loop may sleep
    assert len(engine.recorder.steps()) == steps
    engine.submit(ResumeTraining())
    engine.run_once()
    assert len(engine.recorder.steps()) == steps + 1
    engine.submit(StopTraining())
    engine.run_once()
    assert [s.state for s in engine.recorder.of(TrainingState)] == ["running", "paused", "running", "stopped"]
    assert engine.trainer is None and engine.run_once() is False


def test_starting_twice_is_refused_politely(engine, bars_collection):
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=50)))
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=50)))
    engine.run_once()
    assert [s.message for s in engine.recorder.of(TrainingState)] == ["", "already training"]
    assert len(engine.recorder.of(TrainingStarted)) == 1


def test_a_diverging_run_fails_and_keeps_the_weights_it_started_with(engine, bars_collection):
    before = {k: v.clone() for k, v in engine.model.state_dict().items()}
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=3, learning_rate=1000)))
    _run_until_training_ends(engine)
    (failed,) = [s for s in engine.recorder.of(TrainingState) if s.state == "failed"]
    assert "diverged" in failed.message
    assert all((engine.model.state_dict()[k] == v).all() for k, v in before.items())


def test_a_collection_with_one_class_is_refused_with_the_reason(engine, tmp_path):
    from cnn_desktop.core.data.store import DrawingStore

    store = DrawingStore(tmp_path / "one", TICK_CROSS_CLASSES)
    store.add("tick", np.pad(np.ones((10, 3), np.float32), ((9, 9), (12, 13))), None)
    engine.submit(StartTraining(store.root, TrainConfig()))
    engine.run_once()
    (state,) = engine.recorder.of(TrainingState)
    assert state.state == "failed" and "at least two classes" in state.message
    assert engine.trainer is None


def test_a_bad_model_file_falls_back_or_keeps_the_current_model(engine, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"garbage")
    current = engine.model
    engine.submit(UseModel(bad, SPEC, "bad", fallback_to_fresh=False))
    engine.run_once()
    assert engine.model is current
    assert str(bad) in engine.recorder.of(EngineError)[-1].message

    other_classes = tmp_path / "digits.safetensors"
    save_model(other_classes, build_model(lenet_spec(), seed=0))
    engine.submit(UseModel(other_classes, SPEC, "digits"))
    engine.run_once()
    assert "expected 2 classes" in engine.recorder.of(EngineError)[-1].message
    assert engine.model is not current and engine.model.classes == TICK_CROSS_CLASSES


def test_save_writes_a_model_that_loads_with_its_history(engine, bars_collection, tmp_path):
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=2)))
    _run_until_training_ends(engine)
    path = tmp_path / "saved.safetensors"
    engine.submit(SaveModel(path))
    engine.run_once()
    assert engine.recorder.of(ModelSaved)[-1].path == path
    saved = load_model(path, expected_classes=TICK_CROSS_CLASSES)
    assert [h["epoch"] for h in saved.history] == [1, 2] and saved.info["config"]["epochs"] == 2


def test_the_thread_leaves_promptly_when_shut_down_mid_training(engine, bars_collection):
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=1000, batch_size=8)))
    thread = threading.Thread(target=engine.run)
    thread.start()
    deadline = time.monotonic() + 30
    while len(engine.recorder.steps()) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    asked = time.monotonic()
    engine.request_shutdown()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 1.0


def test_steps_are_reported_in_batches_without_losing_or_reordering_any(bars_collection):
    recorder = Recorder()
    engine = Engine(recorder, step_report_seconds=60)  # only the first step and the forced reports
    engine.submit(UseModel(None, SPEC, "fresh"))
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=3, batch_size=16)))
    engine.run_once()
    assert [len(m.steps) for m in recorder.of(TrainingSteps)] == [1]  # the first step shows at once
    engine.submit(PauseTraining())
    for _ in range(3):
        engine.run_once()
    paused_at = len(recorder.steps())
    assert paused_at == engine.trainer.step_count  # pausing reports what is pending
    engine.submit(ResumeTraining())
    _run_until_training_ends(engine)

    (started,) = recorder.of(TrainingStarted)
    steps = recorder.steps()
    assert [s.step for s in steps] == list(range(1, started.total_steps + 1))
    assert len(recorder.of(TrainingSteps)) <= 3 + 3  # first, pause, one per epoch end: not one per step
    # Each epoch's report comes after that epoch's steps: the window never sees an epoch before its steps.
    seen = 0
    for message in recorder.messages:
        if isinstance(message, TrainingSteps):
            seen = message.last.step
        elif isinstance(message, TrainingEpoch):
            assert seen == message.info.step


def test_a_project_whose_classes_were_renamed_trains_on_the_drawings_of_their_folders(bars_collection):
    # A person's project stores drawings under each class's id; renaming "tick" to "check" changes the
    # model's class names but not the folders. Before the engine read the folders the session names,
    # such a project could not train: no folder is called "check".
    recorder = Recorder()
    engine = Engine(recorder, step_report_seconds=0)
    engine.submit(UseModel(None, lenet_spec(("check", "cross")), "renamed"))
    engine.run_once()
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=1, batch_size=16), labels=("tick", "cross")))
    _run_until_training_ends(engine)
    assert recorder.of(TrainingStarted) and not recorder.of(EngineError)
    assert [s.state for s in recorder.of(TrainingState)][-1] == "finished"
