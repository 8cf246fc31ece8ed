"""The session and its save policy, driven by a fake engine: no torch, no window.

The fake engine records the commands the session sends and answers with the messages a real engine
would send, in the real engine's order (a run's ModelReady, then its TrainingState).
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from cnn_desktop.core.app.messages import (
    EngineError, ModelReady, ModelSaved, Prediction, SaveModel, StartTraining, StopTraining, TrainingStarted,
    TrainingState, UseModel,
)
from cnn_desktop.core.network.checkpoint import save_model
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.projects.builtin import builtin_project_dir
from cnn_desktop.core.tasks import user_model_path
from cnn_desktop.core.tasks import TASKS
from cnn_desktop.core.app.run_state import RunState
from cnn_desktop.core.app.save_policy import Keep, SavePolicy
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


@pytest.fixture(autouse=True)
def no_bundled_models(tmp_path, monkeypatch):
    """Projects start without a bundled version, so that the versions below are the tests' own."""
    monkeypatch.setenv("CNN_DESKTOP_RESOURCES", str(tmp_path / "no-resources"))


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


# --- the save policy, read as a table: every kept model is a new version, nothing is overwritten ---


def saved(session, message_path=None, task=TICKS):
    """The engine's answer to the session's last SaveModel: the model file, written where asked."""
    path = message_path or session.engine.saves()[-1]
    save_model(path, build_model(task.spec(), seed=1), [{"epoch": 1, "val_loss": 0.5, "val_accuracy": 0.75}])
    session.handle(ModelSaved(path))
    return path


def versions(session):
    return [(r["version"], r["reason"]) for r in session.project.versions()]


def test_a_finished_run_becomes_the_current_version(session):
    run_training(session, "finished")
    [path] = session.engine.saves()
    assert path.parent == session.project.folder / "models" and path.name.startswith(".incoming-")
    saved(session, path)
    assert versions(session) == [("v0001", "trained")] and session.project.current_version() == "v0001"
    assert not path.exists()  # the temp file is gone once imported
    assert session.versions[0]["current"] and session.versions[0]["reason"] == "trained"
    assert session.versions[0]["accuracy"] == 0.75 and session.versions[0]["date"]


def test_a_run_whose_model_cannot_be_saved_keeps_nothing_and_holds_nothing(session):
    ticks = session.project
    run_training(session, "finished")
    [path] = session.engine.saves()
    session.handle(EngineError(f"{path}: cannot save the model (No space left on device)"))
    session.switch_task("digits")
    assert ticks.read_only and versions(session) == []  # the ticks project was let go


def test_a_failed_run_is_not_kept(session):
    run_training(session, "failed")
    assert session.engine.saves() == []


def test_a_stopped_run_is_kept_as_a_version_only_if_the_person_says_so(session):
    asked = []
    session.run_stopped_keep.connect(asked.append)
    run_training(session, "finished")
    saved(session)
    run_training(session, "stopped")
    token = saved(session)
    assert asked == [token] and versions(session) == [("v0001", "trained")]  # nothing kept before the answer
    session.engine.commands.clear()
    session.keep_stopped_run(token, use=False)
    assert versions(session) == [("v0001", "trained"), ("v0002", "stopped early")]
    assert session.project.current_version() == "v0001"
    use = session.engine.commands[-1]  # the current version is in use again
    assert isinstance(use, UseModel) and use.path.parent.name == "v0001"
    session.keep_stopped_run(token, use=True)  # answered twice: nothing more
    assert session.project.current_version() == "v0001"

    run_training(session, "stopped")
    session.keep_stopped_run(saved(session), use=True)
    assert session.project.current_version() == "v0003"
    run_training(session, "stopped")
    token = saved(session)
    session.discard_stopped_run(token)
    assert not token.exists() and len(versions(session)) == 3


def test_a_run_is_kept_once_even_if_its_end_is_reported_twice(session):
    run_training(session, "finished")
    session.handle(TrainingState("stopped"))
    assert len(session.engine.saves()) == 1


def test_switching_task_mid_run_stops_and_keeps_it_in_its_own_project_before_loading_the_other(session):
    ticks = session.project
    session.start_training(TrainConfig(epochs=1), from_scratch=False)
    session.handle(TrainingState("running"))
    session.engine.commands.clear()
    session.switch_task("digits")
    kinds = [type(c).__name__ for c in session.engine.commands]
    assert kinds == ["StopTraining", "SaveModel", "UseModel"]  # the engine takes them in this order
    [path] = session.engine.saves()
    assert path.parent == ticks.folder / "models"
    # The stopped run's end arrives after the switch: it is not saved again, nor as the digits model.
    session.handle(model_ready(TICKS))
    session.handle(TrainingState("stopped"))
    assert len(session.engine.saves()) == 1
    saved(session, path)
    assert [(r["version"], r["reason"]) for r in ticks.versions()] == [("v0001", "stopped early")]
    assert ticks.current_version() is None and ticks.read_only  # kept, not current; the project let go
    assert session.project.versions() == []


def test_closing_mid_run_stops_and_keeps_it_as_a_version_at_the_next_start(session, tmp_path):
    session.start_training(TrainConfig(epochs=1), from_scratch=False)
    session.handle(TrainingState("running"))
    session.close()
    assert [type(c) for c in session.engine.commands[-2:]] == [StopTraining, SaveModel]
    saved(session)  # the engine saves after the window let the project go
    again = Session(FakeEngine(), home=tmp_path)
    again.switch_task("ticks-crosses")
    assert versions(again) == [("v0001", "stopped early")] and again.project.current_version() is None


def test_closing_while_idle_saves_nothing(session):
    session.close()
    assert session.engine.saves() == []


def test_an_opened_model_becomes_the_current_version(session, tmp_path):
    opened = tmp_path / "theirs.safetensors"
    save_model(opened, build_model(TICKS.spec(), seed=2))
    session.open_model(opened)
    assert versions(session) == [("v0001", "imported")] and session.project.current_version() == "v0001"
    use = session.engine.commands[-1]
    assert isinstance(use, UseModel) and not use.fallback_to_fresh and use.path.parent.name == "v0001"
    assert session.engine.saves() == []


def test_an_opened_model_that_is_refused_changes_nothing(session, tmp_path):
    opened = tmp_path / "broken.safetensors"
    opened.write_bytes(b"\0" * 64)
    session.engine.commands.clear()
    session.open_model(opened)
    assert versions(session) == [] and session.engine.commands == []
    assert any(name == "problem" and str(opened) in args[0] for name, args in session.events)


def test_bundled_and_untrained_models_are_never_saved(session):
    session.handle(model_ready(TICKS, origin="file", path=TICKS.bundled_model_path()))
    session.handle(model_ready(TICKS, origin="fresh", trained=False))
    assert session.engine.saves() == []


def test_the_current_version_is_the_model_in_use_at_the_next_start(session, tmp_path):
    run_training(session, "finished")
    saved(session)
    session.close()
    engine = FakeEngine()
    Session(engine, home=tmp_path).switch_task("ticks-crosses")
    use = engine.commands[-1]
    assert use.path.parent.name == "v0001" and "your trained model" in use.label


def test_a_version_chosen_in_the_list_becomes_current_and_is_loaded(session):
    for _ in range(2):
        run_training(session, "finished")
        saved(session)
    session.use_version("v0001")
    assert session.project.current_version() == "v0001" and session.engine.commands[-1].path.parent.name == "v0001"
    assert [r["current"] for r in session.versions] == [False, True]  # newest first


def test_a_project_open_elsewhere_is_read_only_here_and_says_so(tmp_path):
    first = Session(FakeEngine(), home=tmp_path)
    first.switch_task("ticks-crosses")  # holds the lock, as another window would
    events, engine = [], FakeEngine()
    second = Session(engine, home=tmp_path)
    second.problem.connect(events.append)
    second.switch_task("ticks-crosses")
    assert second.read_only
    assert events[0] == (f"{first.project.folder}: open in another window (pid {os.getpid()}); "
                         "opened read-only: drawings and training are off here")
    drawings, _ = generate_ticks_crosses(1, seed=3)
    second.drawing_changed(drawings[0])
    assert not second.add_drawing("tick") and len(events) == 2
    second.start_training(TrainConfig(epochs=1), from_scratch=False)
    assert len(events) == 3 and not any(isinstance(c, StartTraining) for c in engine.commands)
    assert second.run_state is RunState.FAILED
    assert first.store.counts() == {"tick": 0, "cross": 0}
    first.close()
    second.close()


def test_the_policy_alone():
    policy = SavePolicy()
    assert policy.run_ended(RunState.FINISHED) is None  # no run was started
    policy.run_started()
    assert policy.run_ended(RunState.STOPPED) == Keep("stopped early", make_current=False, ask=True)
    assert policy.run_ended(RunState.STOPPED) is None
    policy.run_started()
    assert policy.run_ended(RunState.FINISHED) == Keep("trained", make_current=True)
    policy.run_started()
    assert policy.run_ended(RunState.FAILED) is None
    policy.run_started()
    assert policy.interrupted(training=True) == Keep("stopped early", make_current=False)
    assert policy.run_ended(RunState.STOPPED) is None
    assert policy.interrupted(training=False) is None
    assert policy.file_opened() == Keep("imported", make_current=True)


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


def test_an_old_home_is_moved_into_projects_at_start(tmp_path):
    path = user_model_path(DIGITS, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(path, build_model(DIGITS.spec(), seed=3))
    engine = FakeEngine()
    session = Session(engine, home=tmp_path)
    session.switch_task("digits")
    use = engine.commands[-1]
    assert isinstance(use, UseModel) and use.path.parent.parent == builtin_project_dir(DIGITS, tmp_path) / "models"
    assert versions(session) == [("v0001", "migrated")] and use.spec.classes == DIGITS.classes
    assert session.task is DIGITS and session.prediction is None


def test_a_project_that_cannot_be_opened_is_a_problem_not_a_crash(tmp_path):
    home = tmp_path / "home"
    (home / "projects").mkdir(parents=True)
    (home / "projects" / "digits").write_text("a file where the folder should be")
    events = []
    session = Session(FakeEngine(), home=home)
    session.problem.connect(events.append)
    session.switch_task("digits")
    assert session.store is None and events and "drawings cannot be saved" in events[0]
    assert not session.add_drawing("3")


def test_start_training_without_a_collection_fails_at_once(tmp_path):
    home = tmp_path / "home"
    (home / "projects").mkdir(parents=True)
    (home / "projects" / "digits").write_text("x")
    engine = FakeEngine()
    session = Session(engine, home=home)
    session.switch_task("digits")
    session.start_training(TrainConfig(), from_scratch=False)
    assert session.run_state is RunState.FAILED
    assert not any(isinstance(c, StartTraining) for c in engine.commands)


def test_an_old_model_that_cannot_be_moved_in_is_a_problem_line(tmp_path):
    path = user_model_path(TICKS, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(path, build_model(DIGITS.spec(), seed=3))  # made for the other task's classes
    events = []
    session = Session(FakeEngine(), home=tmp_path)
    session.problem.connect(events.append)
    session.switch_task("ticks-crosses")
    assert len(events) == 1 and events[0].startswith(str(path)) and events[0].endswith("(left where it is)")
    assert path.exists() and versions(session) == []


@pytest.mark.parametrize("first_start", [True, False])
def test_opening_a_task_loads_no_torch(tmp_path, first_start):
    """The window is built before the compute thread imports torch: switching to a task reads its
    project without torch, and so does making it at the first start (the bundled model is copied in
    reading only its header; the engine checks it fully when it loads it)."""
    if not first_start:
        Session(FakeEngine(), home=tmp_path).switch_task("digits")
    code = ("import sys; from pathlib import Path; from cnn_desktop.core.app.session import Session; "
            f"Session(lambda c: None, home=Path({str(tmp_path)!r})).switch_task('digits'); "
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["False"], result.stderr
