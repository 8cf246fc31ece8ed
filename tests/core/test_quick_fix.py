"""Borderline answers and the quick fix, without Qt: the rule, the corrections noticed, the data mix, the
session's command and how its result is kept, and the engine running it."""

import numpy as np
import pytest

from cnn_desktop.core.app.messages import (
    ModelReady, ModelSaved, Prediction, QuickFix, SaveModel, StartTraining, TrainingStarted, TrainingState, UseModel,
)
from cnn_desktop.core.app.quick_fix import (
    BLEND, CORRECTION_SHARE, MAX_CORRECTIONS, FixPlan, QuickFixes, fix_data, mix, needs_fix, replay_source,
)
from cnn_desktop.core.app.save_policy import SavePolicy
from cnn_desktop.core.app.run_state import RunState
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.inspection.confidence import headline, top_two
from cnn_desktop.core.tasks import TASKS

DIGITS = tuple("0123456789")
TICK = Strokes.from_points([[(100, 300), (160, 380), (330, 120)]])


def probabilities(**by_class):
    """Ten digit probabilities: the named ones, the rest sharing what is left."""
    p = np.zeros(10)
    for name, value in by_class.items():
        p[int(name[1:])] = value
    rest = [i for i in range(10) if p[i] == 0]
    p[rest] = (1 - p.sum()) / len(rest)
    return p


# --- the borderline rule and the headline ---

def test_close_top_two_make_the_headline_name_both():
    p = probabilities(d1=0.55, d7=0.40)
    assert top_two(p) == (1, 7)
    assert headline(DIGITS, p) == "1 or 7?  (55% / 40%)"
    p = probabilities(d7=0.55, d1=0.40)  # most probable first
    assert headline(DIGITS, p) == "7 or 1?  (55% / 40%)"


@pytest.mark.parametrize("p, borderline", [
    (probabilities(d1=0.95, d7=0.04), False),  # sure
    (probabilities(d1=0.78, d7=0.21), False),  # a clear lead (57 points)
    (probabilities(d1=0.45, d7=0.15), False),  # unsure, but no runner-up to name: "Not sure"
    (probabilities(d1=0.60, d7=0.20), True),  # the edges of the rule are in it
    (probabilities(d1=0.30, d7=0.30), True),
])
def test_the_rule_needs_a_real_runner_up_and_a_small_lead(p, borderline):
    assert (top_two(p) is not None) is borderline


def test_a_borderline_answer_wins_over_not_sure_and_works_for_any_classes():
    p = probabilities(d3=0.45, d8=0.35)
    assert headline(DIGITS, p, threshold=0.6) == "3 or 8?  (45% / 35%)"
    assert headline(("tick", "cross"), np.array([0.4, 0.6])) == "cross or tick?  (60% / 40%)"
    assert headline(("tick", "cross"), np.array([0.1, 0.9])) == "Guess: cross  (90%)"
    assert headline(("circle", "square", "star"), np.array([0.45, 0.1, 0.45])) == "circle or star?  (45% / 45%)"


# --- which labels are corrections ---

def test_a_misread_or_borderline_drawing_is_a_correction_and_a_sure_right_one_is_not():
    assert needs_fix(probabilities(d7=0.9), 1) is True  # read as 7, labelled 1
    assert needs_fix(probabilities(d1=0.55, d7=0.4), 1) is False  # right, but torn
    assert needs_fix(probabilities(d1=0.95), 1) is None
    assert needs_fix(None, 1) is None  # no answer to judge by


def test_corrections_are_remembered_newest_last_and_the_offer_names_their_classes():
    fixes = QuickFixes()
    image = np.full((28, 28), 0.5, np.float32)
    assert fixes.noticed(1, image, probabilities(d1=0.99), DIGITS) is None and not fixes.corrections
    offer = fixes.noticed(1, image, probabilities(d7=0.8), DIGITS)
    assert offer.text == "Teach it your 1 now? (a few seconds)"
    image[0, 0] = 1.0  # the correction kept a copy
    assert fixes.corrections[0].image[0, 0] == 0.5 and fixes.corrections[0].misread
    offer = fixes.noticed(4, image, probabilities(d4=0.5, d9=0.45), DIGITS)
    assert offer.names == ("4", "1") and offer.text == "Teach it your 4 and 1 now? (2 drawings, a few seconds)"
    for _ in range(MAX_CORRECTIONS + 3):
        fixes.noticed(7, image, probabilities(d1=0.9), DIGITS)
    assert len(fixes.corrections) == MAX_CORRECTIONS and {c.label for c in fixes.corrections} == {7}


def test_a_plan_takes_the_corrections_and_forgets_them():
    fixes = QuickFixes()
    for label in (1, 1, 4):
        fixes.noticed(label, np.full((28, 28), label / 10, np.float32), probabilities(d7=0.9), DIGITS)
    plan = fixes.plan("digits", steps=7, seed=3)
    assert plan.images.shape == (3, 28, 28) and plan.labels.tolist() == [1, 1, 4]
    assert plan.steps == 7 and plan.train_config().seed == 3 and plan.train_config().validation_fraction == 0
    assert not fixes.corrections and fixes.offer(DIGITS) is None
    with pytest.raises(ValueError):
        fixes.plan("digits")


def test_replay_comes_from_the_generator_for_built_in_modes_and_from_the_drawings_for_projects():
    assert replay_source("digits") == "digits" and replay_source("ticks-crosses") == "ticks-crosses"
    assert replay_source(None) == "collection" and replay_source("my shapes") == "collection"


# --- the data mix ---

def test_the_mix_is_a_quarter_corrections_each_as_often_as_the_others():
    corrections, labels = np.zeros((5, 28, 28), np.float32), np.full(5, 1)
    corrections[:, 0, 0] = np.arange(5)  # which correction each copy is
    replay = np.ones((300, 28, 28), np.float32)
    replay_labels = np.arange(300) % 10
    images, mixed = mix(corrections, labels, replay, replay_labels, total=1280, seed=0)
    assert images.shape == (1280, 28, 28) and mixed.shape == (1280,)
    from_corrections = images[:, 1, 1] == 0
    assert from_corrections.sum() == round(1280 * CORRECTION_SHARE)
    assert (mixed[from_corrections] == 1).all()
    assert np.bincount(images[from_corrections, 0, 0].astype(int)).tolist() == [64] * 5
    assert np.bincount(mixed[~from_corrections], minlength=10).min() >= 90  # every class is replayed
    assert not (from_corrections[:320].all() or from_corrections[-320:].all())  # shuffled, not blocks
    again, _ = mix(corrections, labels, replay, replay_labels, total=1280, seed=0)
    assert np.array_equal(images, again)


def test_without_replay_the_corrections_alone_and_without_corrections_the_replay_alone():
    corrections, labels = np.zeros((2, 28, 28), np.float32), np.array([0, 1])
    images, mixed = mix(corrections, labels, corrections[:0], labels[:0], total=10, seed=1)
    assert len(mixed) == 10 and sorted(set(mixed.tolist())) == [0, 1]
    images, mixed = mix(corrections[:0], labels[:0], np.ones((4, 28, 28), np.float32), np.arange(4), total=8, seed=1)
    assert (images == 1).all() and np.bincount(mixed).tolist() == [2, 2, 2, 2]
    with pytest.raises(ValueError):
        mix(corrections[:0], labels[:0], corrections[:0], labels[:0], total=8, seed=1)


def test_a_projects_fix_replays_its_own_drawings(bars_collection):
    plan = FixPlan(np.zeros((2, 28, 28), np.float32), np.array([1, 1]), "collection", bars_collection,
                   ("tick", "cross"), steps=3)
    images, labels = fix_data(plan, ("tick", "cross"))
    assert images.shape == (3 * plan.config.batch_size, 28, 28)
    assert set(np.bincount(labels, minlength=2)) and (labels == 0).sum() > 0  # the other class is there


# --- the session: the offer after a label key, the command, the version it makes ---

class FakeEngine:
    def __init__(self):
        self.commands = []

    def __call__(self, command):
        self.commands.append(command)


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_DESKTOP_RESOURCES", str(tmp_path / "no-resources"))
    engine = FakeEngine()
    session = Session(engine, home=tmp_path)
    session.engine = engine
    session.offers = []
    session.quick_fix_offered.connect(session.offers.append)
    session.switch_task("ticks-crosses")
    return session


def _label_with_answer(session, label, p):
    session.drawing_changed(TICK)
    session.handle(Prediction(session.last_request_id, 1, session.task.classes, np.zeros((28, 28), np.float32),
                              np.asarray(p, np.float64)))
    assert session.add_drawing(label)


def test_a_label_key_on_a_misread_drawing_offers_the_fix_and_a_sure_one_does_not(session):
    _label_with_answer(session, "tick", [0.98, 0.02])
    assert session.offers == [None]  # (the mode's switch withdrew any offer)
    _label_with_answer(session, "tick", [0.1, 0.9])
    assert session.offers[-1].text == "Teach it your tick now? (a few seconds)"
    session.drawing_changed(TICK)  # no answer yet for this drawing: nothing to judge, no offer
    assert session.add_drawing("cross") and len(session.quick_fixes.corrections) == 1


def test_accepting_sends_one_quick_fix_and_its_run_is_kept_as_a_new_current_version(session):
    assert not session.start_quick_fix()  # nothing to teach yet
    _label_with_answer(session, "cross", [0.55, 0.45])
    assert session.start_quick_fix(steps=5)
    (command,) = [c for c in session.engine.commands if isinstance(c, QuickFix)]
    assert command.plan.replay == "ticks-crosses" and command.plan.steps == 5
    assert command.plan.labels.tolist() == [1] and session.offers[-1] is None
    assert session.run_state is RunState.STARTING
    session.handle(TrainingStarted(160, 0, 5, command.plan.train_config(), "none", command.plan.opening_line()))
    session.handle(TrainingState("running"))
    session.handle(ModelReady(session.task.spec(), "m", True, (), 100, "training"))
    session.handle(TrainingState("finished"))
    (save,) = [c for c in session.engine.commands if isinstance(c, SaveModel)]
    from cnn_desktop.core.network.checkpoint import save_model
    from cnn_desktop.core.network.model import build_model

    save_model(save.path, build_model(session.task.spec(), seed=0))
    session.handle(ModelSaved(save.path))
    assert session.versions[0]["reason"] == "quick fix" and session.project.current_version() == session.versions[0]["version"]


def test_no_quick_fix_while_training(session):
    _label_with_answer(session, "cross", [0.9, 0.1])
    session.start_training(TASKS["ticks-crosses"].app_train_config, from_scratch=False)
    assert not session.start_quick_fix()
    assert len(session.quick_fixes.corrections) == 1  # still there for later


def test_a_finished_quick_fix_is_kept_as_quick_fix_and_a_stopped_one_is_asked_about():
    policy = SavePolicy()
    policy.run_started("quick fix")
    keep = policy.run_ended(RunState.FINISHED)
    assert keep.reason == "quick fix" and keep.make_current
    policy.run_started()
    assert policy.run_ended(RunState.FINISHED).reason == "trained"
    policy.run_started("quick fix")
    assert policy.run_ended(RunState.STOPPED).ask


# --- the engine runs it ---

def test_the_engine_fine_tunes_on_the_mix_and_ends_like_a_run(bars_collection):
    from cnn_desktop.core.app.engine import Engine

    messages = []
    engine = Engine(messages.append, step_report_seconds=0)
    engine.submit(UseModel(None, TASKS["ticks-crosses"].spec(), "fresh"))
    engine.run_once()
    before = {k: v.clone() for k, v in engine.model.state_dict().items()}
    plan = FixPlan(np.zeros((2, 28, 28), np.float32), np.array([1, 1]), "collection", bars_collection,
                   ("tick", "cross"), steps=3)
    engine.submit(QuickFix(plan))
    for _ in range(50):
        engine.run_once()
        if engine.trainer is None:
            break
    (started,) = [m for m in messages if isinstance(m, TrainingStarted)]
    assert started.total_steps == 3 and started.validation == "none" and "Quick fix: 3 steps" in started.validation_line
    assert [m.state for m in messages if isinstance(m, TrainingState)] == ["running", "finished"]
    assert any(not np.array_equal(before[k], v) for k, v in engine.model.state_dict().items())
    assert engine.info["quick_fix"] == {"corrections": 2, "replay": "collection", "steps": 3, "blend": BLEND}
    assert not [m for m in messages if isinstance(m, StartTraining)]

    after = {k: v.clone() for k, v in engine.model.state_dict().items()}
    engine.submit(QuickFix(FixPlan(plan.images, plan.labels, "collection", bars_collection, ("tick", "cross"),
                                   steps=3, blend=0.0)))  # keeps none of its change: the weights stay
    for _ in range(50):
        engine.run_once()
        if engine.trainer is None:
            break
    assert all(np.allclose(after[k], v) for k, v in engine.model.state_dict().items())


def test_replay_keeps_what_the_model_reads_right_and_all_of_a_class_it_reads_none_of():
    from cnn_desktop.core.app.quick_fix import known_replay

    labels = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 1, 1, 1, 0, 1])
    assert known_replay(predicted, labels).tolist() == [True, False, True, True, True, True]


def test_blending_keeps_a_share_of_the_change():
    import torch
    from cnn_desktop.core.app.quick_fix import blend

    model = torch.nn.Linear(2, 1)
    start = {k: v.detach().clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.weight.add_(1.0)
    blend(start, model, 0.5)
    assert torch.allclose(model.weight, start["weight"] + 0.5) and torch.equal(model.bias, start["bias"])

