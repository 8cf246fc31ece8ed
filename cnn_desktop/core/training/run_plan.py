"""What a training run on a person's drawings does before its first step: which settings it uses when
the person has not chosen any, how its accuracy is measured (``small_data.validation_plan``), and
what the person is told about both. Shared by the app's engine and ``cnn-desktop train --project``,
so a collection is trained and judged the same way from either.

The figures behind the choices are in ``benchmarks/SMALL_DATA.md`` and ``benchmarks/SMALL_DEFAULTS.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from cnn_desktop.core.network.spec import TrainConfig
from cnn_desktop.core.training.small_data import (
    MIN_PER_CLASS_FOR_HOLDOUT,
    MIN_PER_CLASS_WARNING,
    SMALL_DATA_TRAIN_CONFIG,
    KFoldEstimate,
    ValidationPlan,
    validation_plan,
)

# The fewest optimiser steps a run on a small collection gets when the person has not chosen the
# settings. Epochs count passes over the data, but what trains is steps: 20 drawings with batch 32 are
# one batch an epoch, so the app's 15 epochs were 15 steps. From scratch, on 8 people's own shapes
# with 10 drawings a class (benchmarks/SMALL_DEFAULTS.md): 30 steps 93.0% on their new drawings (worst
# person 80%), 60 steps 99.4%, 120 steps 100% (worst 100%), 200 steps no better and twice as long.
MIN_STEPS_FROM_SCRATCH = 120
# Fine-tuning learned layers needs fewer. SMALL_DATA_TRAIN_CONFIG's 30 epochs are 60 steps at 10 a
# class (99.9%, worst 99.0%) but 30 at 5 a class: 100% on the same people's new drawings either way,
# and 60 steps did better on other people's (97.1% against 96.1%) for 0.2 s more.
MIN_STEPS_FINE_TUNING = 60


def class_counts(labels: np.ndarray, classes: Sequence[str]) -> dict[str, int]:
    """Drawings per class name, in class order."""
    counts = np.bincount(np.asarray(labels, np.int64), minlength=len(classes))
    return {name: int(count) for name, count in zip(classes, counts)}


def _present(counts: Mapping[str, int]) -> dict[str, int]:
    """The classes that have drawings. A class with none is not trained on nor judged (in Digits a
    person may label only the 3s and 8s the bundled model gets wrong): the plan and the warning speak
    of the classes the run sees."""
    return {name: int(count) for name, count in counts.items() if count > 0}


def is_small(counts: Mapping[str, int]) -> bool:
    """Whether a collection is small: some class (among those with drawings) has fewer than
    ``MIN_PER_CLASS_FOR_HOLDOUT``. The switch to small-data settings is the switch from a held-out
    split to k-fold on purpose: in the study the small-data settings were chosen on 10 a class and
    checked from 3 to 30 a class (99.8-100% on new drawings); from 30 a class an epoch is several
    batches, the app's usual 15 epochs are enough steps, and a held-out split can judge them."""
    present = _present(counts)
    return bool(present) and min(present.values()) < MIN_PER_CLASS_FOR_HOLDOUT


def few_drawings_warning(counts: Mapping[str, int]) -> str:
    """One line when some class has fewer than ``MIN_PER_CLASS_WARNING`` drawings, else "". Not a
    refusal: training still runs, the person is only told what to expect."""
    few = sorted(((count, name) for name, count in _present(counts).items() if count < MIN_PER_CLASS_WARNING))
    if not few:
        return ""
    named = [f"'{name}' has {count} drawing{'s' if count != 1 else ''}" for count, name in few[:3]]
    more = f" (and {len(few) - 3} more classes)" if len(few) > 3 else ""
    return (f"{', '.join(named)}{more}; with fewer than {MIN_PER_CLASS_WARNING} a class the model will "
            "likely be unreliable")


def default_config(base: TrainConfig, counts: Mapping[str, int], from_scratch: bool) -> tuple[TrainConfig, str]:
    """The settings a run uses when the person has not chosen any, with one line saying why ("" when
    they are ``base`` unchanged). ``base`` is the app's (``Task.app_train_config``) or the project's.

    Small collections fine-tuning the current model get ``SMALL_DATA_TRAIN_CONFIG`` (base's seed kept);
    from scratch keeps base's settings (the study's small-data settings were chosen for learned layers,
    not random weights). Either way a small collection gets at least ``MIN_STEPS_*`` steps: more epochs
    when one epoch is only a batch or two."""
    if not is_small(counts):
        return base, ""
    config = base if from_scratch else SMALL_DATA_TRAIN_CONFIG.with_(seed=base.seed)
    drawings = sum(_present(counts).values())
    per_epoch = math.ceil(drawings / min(config.batch_size, max(drawings, 1)))
    least = MIN_STEPS_FROM_SCRATCH if from_scratch else MIN_STEPS_FINE_TUNING
    epochs = max(config.epochs, math.ceil(least / per_epoch))
    config = config.with_(epochs=epochs)
    why = [f"{epochs} epochs of {per_epoch} batch{'es' if per_epoch != 1 else ''}"]
    if not from_scratch:
        why.append("slant and width changes in the augmentation")
    return config, f"Settings for a small collection: {', '.join(why)} (at least {least} training steps)"


def settings_chosen(config: TrainConfig, *usual: TrainConfig) -> bool:
    """Whether a project's stored settings were chosen by someone: not ``TrainConfig()`` (what
    ``cnn-desktop project new`` stores), ``SMALL_DATA_TRAIN_CONFIG`` (the app's new-project dialog) or
    one of ``usual`` (the built-in modes' app settings). Chosen settings are used as they are."""
    return config.with_(seed=0) not in [c.with_(seed=0) for c in (TrainConfig(), SMALL_DATA_TRAIN_CONFIG, *usual)]


@dataclass(frozen=True)
class RunPlan:
    validation: ValidationPlan
    config: TrainConfig  # what the run trains with: no held-out split unless the plan is "holdout"
    warning: str  # few_drawings_warning, or ""

    @property
    def kind(self) -> str:
        return self.validation.kind

    def opening_line(self, held_out: int) -> str:
        """What the line under the curves says while the run trains."""
        if self.kind == "holdout":
            return f"Validation: {held_out} of your drawings set aside from training, checked after every epoch."
        if self.kind == "kfold":
            return (f"No drawings held out: every one is trained on, and once training ends accuracy is "
                    f"estimated by {self.validation.folds}-fold cross-validation ({_reason(self.validation)}).")
        return f"No validation figure. {self.validation.explanation}."

    def record(self, estimate: KFoldEstimate | None = None, note: str = "") -> dict[str, Any]:
        """What the model's record keeps of how its accuracy was measured (``info["validation"]``)."""
        if self.kind == "kfold" and estimate is not None:
            low, high = estimate.interval()
            return {"method": "kfold", "folds": self.validation.folds, "correct": estimate.correct,
                    "total": estimate.total, "accuracy": estimate.accuracy,
                    "interval_95": [round(low, 4), round(high, 4)]}
        return {"method": self.kind, "note": note or self.validation.explanation}


def _reason(plan: ValidationPlan) -> str:
    """The kfold explanation's "because ..." part, for the opening line."""
    _, _, because = plan.explanation.partition("because ")
    return because.split(";")[0] or plan.explanation


def plan_run(counts: Mapping[str, int], config: TrainConfig) -> RunPlan:
    """How a run on a collection with these drawings per class is measured. A held-out split only from
    ``MIN_PER_CLASS_FOR_HOLDOUT`` a class: with 10 a class the trainer's 10% split was one drawing a
    class, and its "validation 100%" meant nothing."""
    plan = validation_plan(_present(counts) or counts)
    run_config = config if plan.kind == "holdout" else config.with_(validation_fraction=0.0)
    return RunPlan(plan, run_config, few_drawings_warning(counts))


def estimate_line(estimate: KFoldEstimate, folds: int) -> str:
    """e.g. "k-fold estimate: 37 of 40 right (93%, 95% interval 80-98%), each drawing judged by a model
    that never trained on it"."""
    low, high = estimate.interval()
    return (f"{folds}-fold estimate: {estimate.correct} of {estimate.total} right ({estimate.accuracy:.0%}, "
            f"95% interval {low:.0%}-{high:.0%}), each drawing judged by a model that never trained on it")

