"""The session and its save policy, driven by a fake engine: no torch, no window.

The fake engine records the commands the session sends and answers with the messages a real engine
would send, in the real engine's order (a run's ModelReady, then its TrainingState).
"""

import subprocess
import sys

import numpy as np
import pytest

from cnn_desktop.core.app.messages import (
    EngineError, ModelReady, Prediction, SaveModel, StartTraining, StopTraining, TrainingStarted,
    TrainingState, UseModel,
)
from cnn_desktop.core.tasks import user_model_path
from cnn_desktop.core.tasks import TASKS
from cnn_desktop.core.app.run_state import RunState
from cnn_desktop.core.app.save_policy import SavePolicy
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.network.spec import TrainConfig
from cnn_desktop.core.data.synth import generate_ticks_crosses

TICKS, DIGITS = TASKS["ticks-crosses"], TASKS["digits"]


class FakeEngine:
    def __init__(self):
        self.commands = []

    def __call__(self, command):
        self.commands.append(command)

    def saves(self):
        return [c.path for c in self.commands if isinstance(c, SaveModel)]


def model_ready(task, origin="training", path=None, trained=True):
    return ModelReady(task.spec(), "m", trained, (), 100, origin, path)


@pytest.fixture
def session(tmp_path):
    engine = FakeEngine()
    session = Session(engine, home=tmp_path)
    session.engine = engine
    events = []
    for name in ("task_changed", "counts_changed", "drawing_added", "prediction_changed", "problem",
                 "run_state_changed", "model_described", "threshold_changed", "status"):
        getattr(session, name).connect(lambda *args, n=name: events.append((n, args)))
    session.events = events
    session.switch_task("ticks-crosses")
    return session


def run_training(session, ending):
    session.start_training(TrainConfig(epochs=1), from_scratch=False)
    session.handle(TrainingStarted(10, 2, 5, TrainConfig(epochs=1)))
    session.handle(TrainingState("running"))
    session.handle(model_ready(session.task))
    session.handle(TrainingState(ending, "diverged" if ending == "failed" else ""))


def test_importing_the_session_loads_neither_torch_nor_qt():
    code = "import sys, cnn_desktop.core.app.session; print('torch' in sys.modules, 'PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split() == ["False", "False"]


# --- the save policy, read as a table ---


@pytest.mark.parametrize("ending, saved", [("finished", True), ("stopped", True), ("failed", False)])
def test_a_run_is_saved_when_it_ends_well_and_only_then(session, ending, saved):
    run_training(session, ending)
    assert session.engine.saves() == ([user_model_path(TICKS, session.home)] if saved else [])


def test_a_run_is_saved_once_even_if_its_end_is_reported_twice(session):
    run_training(session, "finished")
    session.handle(TrainingState("stopped"))
    assert len(session.engine.saves()) == 1


def test_switching_task_mid_run_stops_and_saves_it_under_its_own_task_before_loading_the_other(session):
    session.start_training(TrainConfig(epochs=1), from_scratch=False)
    session.handle(TrainingState("running"))
    session.engine.commands.clear()
    session.switch_task("digits")
    kinds = [type(c).__name__ for c in session.engine.commands]
    assert kinds == ["StopTraining", "SaveModel", "UseModel"]  # the engine takes them in this order
    assert session.engine.saves() == [user_model_path(TICKS, session.home)]
    # The stopped run's end arrives after the switch: it is not saved again, nor as the digits model.
    session.handle(model_ready(TICKS))
    session.handle(TrainingState("stopped"))
    assert len(session.engine.saves()) == 1


def test_closing_mid_run_stops_and_saves_it(session):
    session.start_training(TrainConfig(epochs=1), from_scratch=False)
    session.handle(TrainingState("running"))
    session.close()
    assert [type(c) for c in session.engine.commands[-2:]] == [StopTraining, SaveModel]


def test_closing_while_idle_saves_nothing(session):
    session.close()
    assert session.engine.saves() == []


def test_an_opened_model_is_saved_as_the_persons_once_it_loads(session, tmp_path):
    opened = tmp_path / "theirs.safetensors"
    session.open_model(opened)
    assert isinstance(session.engine.commands[-1], UseModel) and not session.engine.commands[-1].fallback_to_fresh
    session.handle(model_ready(TICKS, origin="file", path=tmp_path / "bundled.safetensors"))
    assert session.engine.saves() == []  # another file loading is not the opened one
    session.handle(model_ready(TICKS, origin="file", path=opened))
    assert session.engine.saves() == [user_model_path(TICKS, session.home)]


def test_an_opened_model_that_is_refused_is_never_saved_later(session, tmp_path):
    opened = tmp_path / "broken.safetensors"
    session.open_model(opened)
    session.handle(EngineError(f"{opened}: not a cnn-desktop model"))
    session.handle(model_ready(TICKS, origin="file", path=opened))  # even if that path loads later
    assert session.engine.saves() == []
    assert ("problem", (f"{opened}: not a cnn-desktop model",)) in session.events


def test_bundled_and_untrained_models_are_never_saved(session):
    session.handle(model_ready(TICKS, origin="file", path=TICKS.bundled_model_path()))
    session.handle(model_ready(TICKS, origin="fresh", trained=False))
    assert session.engine.saves() == []


def test_the_policy_alone():
    policy = SavePolicy()
    assert not policy.run_ended(RunState.FINISHED)  # no run was started
    policy.run_started()
    assert policy.run_ended(RunState.STOPPED) and not policy.run_ended(RunState.STOPPED)
    policy.run_started()
    assert policy.interrupted(training=True) and not policy.run_ended(RunState.STOPPED)
    assert not policy.interrupted(training=False)


# --- labelling, predictions, the threshold, the run state ---


def test_a_label_key_stores_the_drawing_and_says_so(session):
    drawings, _ = generate_ticks_crosses(1, seed=3)
    session.drawing_changed(drawings[0])
    assert session.add_drawing("tick")
    assert session.store.counts() == {"tick": 1, "cross": 0}
    assert ("drawing_added", ("tick",)) in session.events
    assert session.events[-2] == ("counts_changed", ({"tick": 1, "cross": 0},))


def test_an_empty_canvas_is_not_stored(session):
    assert not session.add_drawing("tick")
    assert session.store.counts() == {"tick": 0, "cross": 0}
    assert session.events[-1] == ("status", ("Nothing to add: the canvas is empty.",))


def test_each_drawing_change_sends_one_predict_and_stale_answers_are_dropped(session):
    drawings, _ = generate_ticks_crosses(2, seed=1)
    session.drawing_changed(drawings[0])
    session.drawing_changed(drawings[1])
    first, second = [c.request_id for c in session.engine.commands if type(c).__name__ == "Predict"]
    answer = lambda rid, classes=TICKS.classes: Prediction(rid, 1, classes, np.zeros((28, 28)), np.array([0.5, 0.5]))
    session.handle(answer(second))
    session.handle(answer(first))  # late answer to an older drawing
    session.handle(answer(second + 1, DIGITS.classes))  # the other task's model
    shown = [args[0].request_id for name, args in session.events if name == "prediction_changed"]
    assert shown == [second]


def test_the_heat_map_choice_sends_the_same_drawing_again_with_it(session):
    drawings, _ = generate_ticks_crosses(1, seed=1)
    session.drawing_changed(drawings[0])
    session.set_saliency("top", "gradient-x-input")
    last = session.engine.commands[-1]
    assert last.drawing is drawings[0] and (last.saliency_class, last.saliency_method) == ("top", "gradient-x-input")


def test_the_threshold_has_one_owner_and_is_clamped(session):
    session.set_threshold(0.8)
    session.set_threshold(0.8)  # no change, no event
    session.set_threshold(7)
    assert [args for name, args in session.events if name == "threshold_changed"] == [(0.8,), (1.0,)]
    assert session.threshold == 1.0


def test_run_states_are_enums_and_a_failed_start_is_a_problem(session):
    session.start_training(TrainConfig(epochs=1), from_scratch=True)
    assert session.run_state is RunState.STARTING
    session.handle(EngineError("the collection has one class only"))
    assert session.run_state is RunState.FAILED
    assert ("problem", ("the collection has one class only",)) in session.events


def test_a_from_scratch_run_names_the_new_network(session):
    session.start_training(TrainConfig(epochs=1), from_scratch=True)
    session.handle(TrainingStarted(10, 2, 5, TrainConfig(epochs=1)))
    assert session.events[-1] == ("model_described", ("a new network, training from scratch", True))


def test_switching_task_loads_the_persons_model_before_the_bundled_one(session):
    path = user_model_path(DIGITS, session.home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    session.switch_task("digits")
    use = session.engine.commands[-1]
    assert isinstance(use, UseModel) and use.path == path and use.spec.classes == DIGITS.classes
    assert session.task is DIGITS and session.prediction is None


def test_a_collection_that_cannot_be_opened_is_a_problem_not_a_crash(tmp_path):
    home = tmp_path / "home"
    (home / "collections").mkdir(parents=True)
    (home / "collections" / "digits").write_text("a file where the folder should be")
    events = []
    session = Session(FakeEngine(), home=home)
    session.problem.connect(events.append)
    session.switch_task("digits")
    assert session.store is None and events and "drawings cannot be saved" in events[0]
    assert not session.add_drawing("3")


def test_start_training_without_a_collection_fails_at_once(tmp_path):
    home = tmp_path / "home"
    (home / "collections").mkdir(parents=True)
    (home / "collections" / "digits").write_text("x")
    engine = FakeEngine()
    session = Session(engine, home=home)
    session.switch_task("digits")
    session.start_training(TrainConfig(), from_scratch=False)
    assert session.run_state is RunState.FAILED
    assert not any(isinstance(c, StartTraining) for c in engine.commands)
