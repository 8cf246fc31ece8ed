"""The rules a run on a person's drawings follows before its first step (core/training/run_plan.py):
the settings when the person chose none, the validation plan, the warning and the lines shown."""

import numpy as np
import pytest

from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import TrainConfig, lenet_spec
from cnn_desktop.core.tasks import TASKS
from cnn_desktop.core.training.run_plan import (
    MIN_STEPS_FINE_TUNING,
    MIN_STEPS_FROM_SCRATCH,
    class_counts,
    default_config,
    estimate_line,
    few_drawings_warning,
    is_small,
    plan_run,
    settings_chosen,
)
from cnn_desktop.core.training.small_data import (
    MIN_PER_CLASS_FOR_HOLDOUT,
    SMALL_DATA_TRAIN_CONFIG,
    KFoldEstimate,
)
from cnn_desktop.core.training.trainer import Trainer

APP = TASKS["ticks-crosses"].app_train_config


def _steps(config: TrainConfig, per_class: int) -> int:
    """The optimiser steps a Trainer really runs with ``config`` on two classes of ``per_class``."""
    images = np.zeros((2 * per_class, 28, 28), np.float32)
    labels = np.repeat([0, 1], per_class)
    return Trainer(build_model(lenet_spec(("a", "b")), seed=0), images, labels, config).total_steps


def test_from_scratch_twenty_drawings_get_enough_steps_not_fifteen():
    """Issue 13's case: from scratch with the default settings, 20 drawings trained for 15 steps (one
    batch of 32 an epoch, 15 epochs)."""
    counts = {"tick": 10, "cross": 10}
    config, note = default_config(APP, counts, from_scratch=True)
    run = plan_run(counts, config).config
    assert _steps(APP.with_(validation_fraction=0.0), 10) == 15  # what the old defaults gave
    assert _steps(run, 10) >= MIN_STEPS_FROM_SCRATCH
    # From scratch keeps its own settings otherwise: only the number of epochs grows.
    assert config.with_(epochs=APP.epochs) == APP and f"at least {MIN_STEPS_FROM_SCRATCH}" in note


def test_fine_tuning_a_small_collection_uses_the_small_data_settings():
    counts = {"tick": 10, "cross": 10, "star": 10, "moon": 10}
    config, note = default_config(APP.with_(seed=4), counts, from_scratch=False)
    assert config.with_(epochs=SMALL_DATA_TRAIN_CONFIG.epochs) == SMALL_DATA_TRAIN_CONFIG.with_(seed=4)
    assert config.epochs == SMALL_DATA_TRAIN_CONFIG.epochs  # 40 drawings: 60 steps already
    assert "slant" in note
    few, _ = default_config(APP, {"tick": 5, "cross": 5}, from_scratch=False)
    assert _steps(few.with_(validation_fraction=0.0), 5) >= MIN_STEPS_FINE_TUNING


def test_a_large_collection_keeps_the_given_settings():
    counts = {"tick": MIN_PER_CLASS_FOR_HOLDOUT, "cross": 200}
    assert not is_small(counts)
    assert default_config(APP, counts, from_scratch=False) == (APP, "")
    assert default_config(APP, counts, from_scratch=True) == (APP, "")


@pytest.mark.parametrize("counts, kind", [({"a": 10, "b": 10}, "kfold"), ({"a": 3, "b": 40}, "none"),
                                          ({"a": 30, "b": 30}, "holdout")])
def test_the_plan_holds_drawings_out_only_for_a_held_out_split(counts, kind):
    plan = plan_run(counts, APP)
    assert plan.kind == kind
    assert plan.config.validation_fraction == (APP.validation_fraction if kind == "holdout" else 0.0)
    assert plan.config.with_(validation_fraction=APP.validation_fraction) == APP
    line = plan.opening_line(6)
    assert line and "\n" not in line
    assert ("5-fold" in line) == (kind == "kfold") and ("at least 5" in line) == (kind == "none")


def test_classes_without_drawings_are_neither_planned_nor_warned_about():
    """In Digits a person may label only the digits the bundled model gets wrong."""
    counts = class_counts(np.array([3] * 12 + [8] * 12), [str(d) for d in range(10)])
    assert counts["3"] == 12 and counts["0"] == 0
    assert plan_run(counts, APP).kind == "kfold" and few_drawings_warning(counts) == ""


def test_the_warning_names_the_classes_with_few_drawings():
    line = few_drawings_warning({"circle": 20, "star": 4, "moon": 1})
    assert line.startswith("'moon' has 1 drawing, 'star' has 4 drawings;") and "fewer than 10" in line
    assert "circle" not in line and few_drawings_warning({"circle": 10, "star": 10}) == ""


def test_the_estimate_line_gives_the_count_the_share_and_the_interval():
    line = estimate_line(KFoldEstimate(37, 40, (1.0,) * 5, np.zeros(40, np.int64)), 5)
    assert line.startswith("5-fold estimate: 37 of 40 right (92%, 95% interval 80%-97%)")


def test_settings_stored_without_anyone_choosing_are_not_chosen():
    assert not settings_chosen(TrainConfig(seed=3)) and not settings_chosen(SMALL_DATA_TRAIN_CONFIG)
    assert not settings_chosen(APP, APP) and settings_chosen(APP)
    assert settings_chosen(TrainConfig(epochs=12))
