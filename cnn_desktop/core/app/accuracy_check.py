"""The engine's side of training honestly on few drawings: the run's plan (``core/training/run_plan.py``)
and, for a small collection, the k-fold estimate that follows its training.

When the estimate runs: after the run's own training, not before. The model the person keeps trains
on every drawing either way; trained first, it is in use (live predictions, feature maps) as soon as
it is ready, and the curves move from the first second instead of after a wait. The estimate then
trains k more models of the same size on (k-1)/k of the drawings: about k - 1 runs' time. Measured
with 10 drawings a class of 4 shapes from the digits model's layers (one torch thread): the run 0.5 s,
the 5-fold estimate 1.2 s more. The run ends (and its model is kept) only once the estimate is in,
so the version records it; Stop during the estimate keeps the trained model without a figure.

Each call to ``step`` is one optimiser step of one fold, so the engine answers predictions, Pause and
Stop between two of them, as it does while the run itself trains.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from cnn_desktop.core.app.messages import AccuracyEstimate, StartTraining
from cnn_desktop.core.data.datasets import Dataset, load_dataset
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.model import CNN, build_model
from cnn_desktop.core.training.run_plan import RunPlan, class_counts, estimate_line, plan_run
from cnn_desktop.core.training.small_data import KFoldRun


class AccuracyCheck:
    """The k-fold estimate of a run on a small collection; the engine drives it like a trainer."""

    def __init__(self, plan: RunPlan, model_factory: Callable[[], CNN], images: np.ndarray, labels: np.ndarray):
        self.plan = plan
        self._factory = model_factory
        self._images, self._labels = images, labels
        self._kfold: KFoldRun | None = None
        self._paused = False
        self._ended: AccuracyEstimate | None = None  # the last message, once it is done, stopped or failed
        self._estimate = None

    @property
    def folds(self) -> int:
        return self.plan.validation.folds

    @property
    def running(self) -> bool:
        return self._kfold is not None and self._ended is None

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def begin(self) -> AccuracyEstimate:
        self._kfold = KFoldRun(self._factory, self._images, self._labels, self.plan.config, self.folds)
        return self._progress()

    def step(self) -> AccuracyEstimate | None:
        """One training step of the current fold: a message when a fold starts or the estimate ends."""
        fold = self._kfold.fold
        try:
            self._kfold.step()
        except CnnDesktopError as error:  # a fold diverged: no figure, the run's own model is fine
            return self._end("failed", f"No accuracy estimate: {error}")
        if self._kfold.finished:
            estimate = self._kfold.estimate()
            self._estimate = estimate
            return self._end("done", estimate_line(estimate, self.folds), estimate)
        return self._progress() if self._kfold.fold != fold else None

    def stop(self) -> AccuracyEstimate:
        if self._kfold is not None:
            self._kfold.stop()
        return self._end("stopped", "No accuracy estimate: it was stopped before every fold was done "
                                    "(the trained model is kept).")

    @property
    def ended(self) -> AccuracyEstimate | None:
        return self._ended

    def record(self) -> dict[str, Any]:
        """What the model's record keeps (``info["validation"]``)."""
        ended = self._ended
        if ended is not None and ended.state == "done":
            return self.plan.record(self._estimate)
        return self.plan.record(note=ended.line if ended is not None else "")

    def _progress(self) -> AccuracyEstimate:
        fold = self._kfold.fold
        return AccuracyEstimate("running", fold, self.folds,
                                f"Estimating accuracy: fold {fold} of {self.folds} (each drawing held out once)...")

    def _end(self, state: str, line: str, estimate=None) -> AccuracyEstimate:
        interval = estimate.interval() if estimate is not None else None
        fold = self._kfold.fold if self._kfold is not None else 0
        self._ended = AccuracyEstimate(state, fold, self.folds, line,
                                       estimate.correct if estimate else 0, estimate.total if estimate else 0,
                                       interval)
        return self._ended


@dataclass(frozen=True)
class PreparedRun:
    dataset: Dataset
    plan: RunPlan
    model: CNN  # the network the run trains: the current one, or fresh weights from scratch
    check: AccuracyCheck | None  # the k-fold estimate to run after training, when the plan says so


def prepare_run(command: StartTraining, current: CNN) -> PreparedRun:
    """Read the collection (in the engine's thread), plan how the run is measured, and make what the
    estimate's folds start from: the same start as the run (the current weights, or fresh ones)."""
    # Drawings are read under the folder labels the session names (a project's class ids) when given,
    # in output order; counted and named by the model's class names.
    dataset = load_dataset(command.collection, command.labels or current.classes)
    plan = plan_run(class_counts(dataset.labels, current.classes), command.config)
    spec, seed = current.spec, command.config.seed
    model = build_model(spec, seed=seed) if command.from_scratch else current
    check = None
    if plan.kind == "kfold":
        if command.from_scratch:
            factory = lambda: build_model(spec, seed=seed)  # noqa: E731
        else:
            start = copy.deepcopy(current)  # taken before the run trains the current model in place
            factory = lambda: copy.deepcopy(start)  # noqa: E731
        check = AccuracyCheck(plan, factory, dataset.images, dataset.labels)
    return PreparedRun(dataset, plan, model, check)
