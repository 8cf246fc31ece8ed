"""Two networks side by side (issue 14, part 4): the comparison's compute loop and its session, driven
on the test's thread (``run_once``) or in its own thread; two tiny networks on a tiny synthetic set."""

import time

import numpy as np
import pytest

from bars import make_bars
from cnn_desktop.core.app.comparison import Comparison, ComparisonThread
from cnn_desktop.core.app.comparison_messages import (
    BothPredictions, ComparisonEpoch, ComparisonSaved, ComparisonStarted, ComparisonState, ComparisonSteps,
    Contender, Disagreements, PredictBoth, StartComparison, StopComparison,
)
from cnn_desktop.core.app.comparison_session import ComparisonSession
from cnn_desktop.core.app.comparison_text import describe_pair, describe_spec, disagreement_caption
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.data.datasets import Dataset
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.network.model import predict_proba
from cnn_desktop.core.network.presets import preset_spec
from cnn_desktop.core.network.spec import Conv, Dense, Flatten, MaxPool, ModelSpec, ReLU, Tanh, TrainConfig
from cnn_desktop.core.projects.builtin import builtin_project_dir, open_or_create_builtin
from cnn_desktop.core.tasks import TASKS
from cnn_desktop.core.training.trainer import split_indices

CLASSES = ("flat", "tall")
TICKS = TASKS["ticks-crosses"]


def tiny(filters: int, activation=ReLU) -> ModelSpec:
    return ModelSpec(CLASSES, (Conv(filters, 5), activation(), MaxPool(4, 4), Flatten(), Dense(8), activation()))


def bars(n: int = 60, seed: int = 3) -> Dataset:
    images, labels = make_bars(n, seed=seed)
    return Dataset(images, labels, CLASSES, "bars")


def start(data=None, epochs=(2, 2), seed=0, a=None, b=None, save_to=None, lr=(3e-3, 3e-3)) -> StartComparison:
    a = a or Contender("A: 4 filters", tiny(4), TrainConfig(epochs=epochs[0], batch_size=16, learning_rate=lr[0]))
    b = b or Contender("B: 2 filters, tanh", tiny(2, Tanh),
                       TrainConfig(epochs=epochs[1], batch_size=16, learning_rate=lr[1]))
    return StartComparison(data if data is not None else bars(), CLASSES, a, b, seed=seed, save_to=save_to)


def run_to_end(comparison: Comparison, limit: int = 10000) -> None:
    for _ in range(limit):
        comparison.run_once()
        if comparison.state != "running":
            return
    raise AssertionError("the comparison did not end")


def of(messages, kind):
    return [m for m in messages if isinstance(m, kind)]


def test_both_train_on_the_same_split_and_seed_and_report_their_steps_epochs_and_per_class_accuracy():
    messages = []
    comparison = Comparison(messages.append, step_report_seconds=0)
    comparison.submit(start(seed=5))
    run_to_end(comparison)

    started = of(messages, ComparisonStarted)[0]
    labels = bars().labels
    _, expected_val = split_indices(labels, 0.2, 5)
    assert np.array_equal(started.val_indices, expected_val)
    assert started.val_size == len(expected_val) == sum(started.val_counts)
    # The trainers made that very split, each one: the same held-out drawings for A and B.
    for side in comparison.sides:
        assert side.trainer.val_size == len(expected_val) and side.trainer.config.seed == 5
        assert np.array_equal(side.trainer._val_y.numpy(), labels[expected_val])
    # Steps of both sides, taking turns; two epochs each with per-class accuracy on the held-out drawings.
    steps = {0: [], 1: []}
    for message in of(messages, ComparisonSteps):
        steps[message.side] += [s.step for s in message.steps]
    assert steps[0] == steps[1] == list(range(1, started.sides[0].total_steps + 1))
    epochs = of(messages, ComparisonEpoch)
    assert [(e.side, e.info.epoch) for e in epochs] == [(0, 1), (1, 1), (0, 2), (1, 2)]
    for message in epochs:
        assert len(message.per_class) == 2 and all(0 <= x <= 1 for x in message.per_class)
        counts = np.array(started.val_counts)
        overall = sum(a * n for a, n in zip(message.per_class, counts)) / counts.sum()
        assert overall == pytest.approx(message.info.val_accuracy)  # per class adds up to the trainer's figure
    assert of(messages, ComparisonState)[-1].state == "finished"
    assert not of(messages, ComparisonSaved)  # nowhere to save: nothing saved


def test_the_same_seed_gives_the_same_runs_and_another_seed_another_split():
    def losses(seed):
        messages = []
        comparison = Comparison(messages.append, step_report_seconds=0)
        comparison.submit(start(seed=seed, epochs=(1, 1)))
        run_to_end(comparison)
        started = of(messages, ComparisonStarted)[0]
        return started.val_indices, [(m.side, [s.loss for s in m.steps]) for m in of(messages, ComparisonSteps)]

    split1, run1 = losses(1)
    split1_again, run1_again = losses(1)
    split2, _ = losses(2)
    assert np.array_equal(split1, split1_again) and run1 == run1_again
    assert not np.array_equal(split1, split2)


def test_the_disagreements_are_the_held_out_drawings_the_two_models_classify_differently():
    messages = []
    comparison = Comparison(messages.append, step_report_seconds=0)
    # B barely trains (a tiny learning rate): the two disagree on some drawings.
    comparison.submit(start(bars(80, seed=7), epochs=(3, 1), lr=(3e-3, 1e-5)))
    run_to_end(comparison)
    found = of(messages, Disagreements)[-1]
    data = bars(80, seed=7)
    val = of(messages, ComparisonStarted)[0].val_indices
    guesses = [predict_proba(side.model, data.images[val]).argmax(1) for side in comparison.sides]
    expected = [(int(val[k]), int(data.labels[val[k]]), int(guesses[0][k]), int(guesses[1][k]))
                for k in np.flatnonzero(guesses[0] != guesses[1])]
    assert expected, "the two models should disagree somewhere for this test to mean anything"
    assert [(d.index, d.true, d.guess_a, d.guess_b) for d in found.items] == expected
    for item in found.items:
        assert np.array_equal(item.image, data.images[item.index])
    truth = data.labels[val]
    assert found.correct == (int(np.sum(guesses[0] == truth)), int(np.sum(guesses[1] == truth)))
    assert found.val_size == len(val)


def test_the_newest_drawing_is_answered_by_both_between_steps():
    messages = []
    comparison = Comparison(messages.append, step_report_seconds=0)
    comparison.submit(start(epochs=(50, 50)))
    comparison.run_once()
    drawing = Strokes.from_points([[(10, 10), (10, 60), (12, 90)]])
    comparison.submit(PredictBoth(1, Strokes()))
    comparison.submit(PredictBoth(2, drawing))  # replaces request 1, never answered
    comparison.run_once()
    answers = of(messages, BothPredictions)
    assert [a.request_id for a in answers] == [2]
    assert answers[0].a.shape == answers[0].b.shape == (2,) and answers[0].image.shape == (28, 28)
    assert answers[0].a.sum() == pytest.approx(1, abs=1e-5)
    comparison.submit(PredictBoth(3, Strokes()))
    comparison.run_once()
    assert of(messages, BothPredictions)[-1].a is None  # an empty canvas: nothing to guess


def test_stop_ends_both_runs_and_keeps_nothing(tmp_path):
    messages = []
    comparison = Comparison(messages.append, step_report_seconds=0)
    save_to = (tmp_path / "a.safetensors", tmp_path / "b.safetensors")
    comparison.submit(start(epochs=(1000, 1000), save_to=save_to))
    for _ in range(6):
        comparison.run_once()
    comparison.submit(StopComparison())
    comparison.run_once()
    assert comparison.state == "stopped"
    assert of(messages, ComparisonState)[-1] == ComparisonState("stopped", "Stopped: nothing kept.")
    assert all(side.trainer.step_count < 10 for side in comparison.sides)
    assert not of(messages, ComparisonSaved) and not any(p.exists() for p in save_to)
    assert of(messages, Disagreements)  # what they disagree on so far is still shown


def test_its_thread_shuts_down_within_a_second_mid_training():
    messages = []
    thread = ComparisonThread(messages.append)
    thread.submit(start(bars(400), epochs=(1000, 1000)))
    deadline = time.monotonic() + 10
    while not of(messages, ComparisonSteps) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert of(messages, ComparisonSteps)
    began = time.monotonic()
    assert thread.shutdown(timeout=1.0)
    assert time.monotonic() - began < 1.0 and not thread.running


def test_a_model_file_that_cannot_be_read_fails_the_start_in_one_line(tmp_path):
    messages = []
    comparison = Comparison(messages.append)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    comparison.submit(start(a=Contender("version v0001", tiny(4), TrainConfig(epochs=1), bad)))
    comparison.run_once()
    errors = [m.message for m in messages if hasattr(m, "message")]
    assert len(errors) == 1 and str(bad) in errors[0] and "\n" not in errors[0]
    assert comparison.state == "idle" and comparison.run_once() is False


# --- the comparison's session: a real project, both networks kept as new versions ---


@pytest.fixture
def ticks_session(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_DESKTOP_RESOURCES", str(tmp_path / "no-resources"))
    home = tmp_path / "home"
    images, labels = make_bars(40, seed=2)
    with open_or_create_builtin(TICKS, builtin_project_dir(TICKS, home)) as project:
        project.store.add_many((project.class_ids[label], image, None) for image, label in zip(images, labels))
    session = Session(lambda command: None, home=home)
    session.switch_task("ticks-crosses")
    yield session
    session.close()


def test_both_trained_networks_are_kept_as_new_versions_never_current(ticks_session):
    session = ticks_session
    before = [row["version"] for row in session.versions]
    current = session.project.current_version()
    thread = ComparisonThread(lambda m: delivered.append(m))
    delivered = []
    compare = ComparisonSession(session, thread.submit)
    kept, states = [], []
    compare.kept.connect(lambda side, version: kept.append((side, version)))
    compare.state_changed.connect(lambda state, line: states.append((state, line)))
    choices = {c.label: c for c in compare.choices()}
    assert {"tiny preset", "default preset", "lenet5 preset", "deeper preset", "this project's network"} <= set(choices)
    a = compare.contender(choices["tiny preset"], epochs=2)
    b = compare.contender(choices["lenet5 preset"], epochs=1)
    assert compare.start(a, b)
    deadline = time.monotonic() + 30
    while not states or states[-1][0] == "running":
        assert time.monotonic() < deadline
        while delivered:
            compare.handle(delivered.pop(0))
        time.sleep(0.01)
    thread.shutdown()
    assert states[-1][0] == "finished" and "A and B kept as new versions" in states[-1][1]
    assert [side for side, _ in kept] == [0, 1]
    versions = [version for _, version in kept]
    assert len(set(versions)) == 2 and not set(versions) & set(before)
    assert session.project.current_version() == current  # neither becomes the one in use
    assert {row["version"] for row in session.versions} >= set(versions)  # the versions list shows them
    networks = [session.project.record(v)["network"] for v in versions]
    assert networks[0]["layers"] == preset_spec("tiny", TICKS.classes).to_dict()["layers"]
    assert networks[1]["layers"] == preset_spec("lenet5", TICKS.classes).to_dict()["layers"]
    for version in versions:
        record = session.project.record(version)
        assert record["reason"] == "trained" and record["settings"]["seed"] == 0
        assert record["settings"]["validation_fraction"] == 0.2
    assert not list((session.project.folder / "models").glob(".incoming-*"))  # imported, then removed


def test_a_version_can_be_compared_from_its_own_weights(ticks_session):
    session = ticks_session
    compare = ComparisonSession(session, lambda command: None)
    spec = preset_spec("tiny", TICKS.classes)
    from cnn_desktop.core.network.model import build_model

    version = session.project.add_version(build_model(spec, seed=1), make_current=False)
    session.refresh_from_disk()
    choice = next(c for c in compare.choices() if c.kind == "version" and c.name == version)
    assert compare.spec_of(choice).layers == spec.layers
    own = compare.contender(choice, epochs=3, from_scratch=False)
    assert own.start == session.project.folder / "models" / version / "model.safetensors" and own.parent == version
    fresh = compare.contender(choice, epochs=3)
    assert fresh.start is None and fresh.config.epochs == 3


def test_the_words_a_learner_reads():
    assert describe_spec(tiny(16)) == "16 filters 5×5, ReLU, max pooling, 1 hidden layer (8)"
    assert describe_pair(tiny(16), tiny(4, Tanh)) == ("A: 16 filters 5×5, ReLU, max pooling, 1 hidden layer (8) — "
                                                     "B: 4 filters 5×5, tanh, max pooling, 1 hidden layer (8)")
    assert describe_pair(tiny(4), tiny(4)).startswith("A and B: the same network")
    assert disagreement_caption(("0", "1", "7"), 1, 2, 1) == "A: 7 · B: 1 · true 1"


def test_the_comparison_session_loads_neither_torch_nor_qt():
    import subprocess
    import sys

    code = ("import sys, cnn_desktop.core.app.comparison_session, cnn_desktop.core.app.comparison_text; "
            "print('torch' in sys.modules, 'PySide6' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split() == ["False", "False"]
