"""Training on a person's few drawings, honestly: where to start from and what a validation figure means.

People make projects of their own symbols with about ten drawings a class. Two things follow, both
measured in ``benchmarks/small_data.py`` (results in ``benchmarks/SMALL_DATA.md``):

* Starting from the learned layers of a bundled model (every layer but the output copied, a fresh
  output layer for the person's classes: ``model_from_learned_layers``) learns a new set of shapes
  from ten drawings a class better than starting from random weights.
* A held-out figure from a handful of drawings means little: with two held-out drawings of each of
  four classes, a model right three times in four still shows "100%" one time in ten. Below
  ``MIN_PER_CLASS_TO_VALIDATE`` drawings in some class no figure is shown; below
  ``MIN_PER_CLASS_FOR_HOLDOUT`` the figure comes from k-fold cross-validation (``kfold_accuracy``),
  in which every drawing is held out once; above it, from the usual held-out split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np

from cnn_desktop.core.errors import TrainingError
from cnn_desktop.core.network.spec import TrainConfig

# The plan and its thresholds are read by the window's thread (the training controls show them before
# any run), which must not import torch: the k-fold run and the transfer start import it when used.
if TYPE_CHECKING:
    from cnn_desktop.core.network.model import CNN
    from cnn_desktop.core.training.trainer import Trainer

# Below this many drawings in some class, no validation figure at all. Not from the study (there every
# estimate was within 1 point of the truth, because the 4-shape task is easy once the start point is a
# bundled model's layers) but from counting: with 4 classes, 5 each held out once by k-fold is 20
# drawings, and "20 of 20 right" still only says "at least 84%" (95% Wilson bound); 2 held out a class
# (8 drawings), "8 of 8" says "at least 68%", which is no information.
MIN_PER_CLASS_TO_VALIDATE = 5
# Below this many in some class, the person is told the model will likely be unreliable. In the study,
# 10 a class from random weights with the app's settings gave 93% (worst person 80%) on new drawings of
# the same hand; from the digits model's layers, 3 a class already gave 99.8%, but for four shapes
# that differ a lot: a person's own symbols can be closer to each other, so 10 stays the warning line.
MIN_PER_CLASS_WARNING = 10
# From this many in every class, a held-out split (the trainer's ``validation_fraction``, 10%) keeps
# at least 3 drawings a class; fewer, and cross-validation uses every drawing instead.
MIN_PER_CLASS_FOR_HOLDOUT = 30
DEFAULT_FOLDS = 5
# Training a bundled model's learned layers on a person's few drawings: chosen in the study among
# epochs, batch sizes, learning rates, augmentation and frozen conv layers (benchmarks/SMALL_DATA.md).
# The app's settings (15 epochs) do as well on the same person's new drawings; 30 epochs with slant
# and aspect augmentation did best on other people's, i.e. on a hand that drifts.
SMALL_DATA_TRAIN_CONFIG = TrainConfig(epochs=30, batch_size=32, learning_rate=0.002, max_shear=0.3,
                                      max_aspect_change=0.3)


@dataclass(frozen=True)
class ValidationPlan:
    """How a collection's accuracy can be estimated, and why, in one line for the person."""

    kind: str  # "holdout", "kfold" or "none"
    explanation: str
    folds: int = 0  # for "kfold": how many


def validation_plan(counts_per_class: Mapping[str, int] | Sequence[int]) -> ValidationPlan:
    """The plan for a collection with these drawings per class (by class name, or in class order)."""
    if isinstance(counts_per_class, Mapping):
        named = {str(name): int(count) for name, count in counts_per_class.items()}
    else:
        named = {f"class {i + 1}": int(count) for i, count in enumerate(counts_per_class)}
    if len(named) < 2:
        return ValidationPlan("none", "a model needs drawings of at least two classes before it can be checked")
    fewest_name = min(named, key=lambda name: named[name])
    fewest = named[fewest_name]
    if fewest < MIN_PER_CLASS_TO_VALIDATE:
        return ValidationPlan(
            "none",
            f"Too few drawings to measure accuracy: at least {MIN_PER_CLASS_TO_VALIDATE} of each class are needed "
            f"('{fewest_name}' has {fewest}); any figure from fewer would be mostly luck",
        )
    if fewest < MIN_PER_CLASS_FOR_HOLDOUT:
        folds = min(DEFAULT_FOLDS, fewest)
        return ValidationPlan(
            "kfold",
            f"accuracy estimated by {folds}-fold cross-validation (each drawing held out once), because "
            f"'{fewest_name}' has only {fewest} drawings; from {MIN_PER_CLASS_FOR_HOLDOUT} of each a part is "
            "set aside instead",
            folds,
        )
    return ValidationPlan("holdout", "accuracy measured on a part of your drawings set aside from training")


@dataclass(frozen=True)
class KFoldEstimate:
    """Accuracy over drawings each predicted by a model that never trained on them."""

    correct: int
    total: int
    fold_accuracies: tuple[float, ...]
    predictions: np.ndarray  # int64 (N,): each drawing's class as predicted by the fold that held it out

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else float("nan")

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """A Wilson score interval for the accuracy (95% for the default ``z``): what the figure is
        worth with this many drawings."""
        if not self.total:
            return float("nan"), float("nan")
        n, p = self.total, self.correct / self.total
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)


def stratified_folds(labels: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Each example's fold 0..k-1: every class dealt round the folds in a seeded random order, each
    class starting where the previous one stopped, so folds differ in size by at most one."""
    labels = np.asarray(labels)
    rng = np.random.default_rng([seed, 4242])
    folds = np.zeros(len(labels), dtype=np.int64)
    offset = 0
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        rng.shuffle(members)
        folds[members] = (offset + np.arange(len(members))) % k
        offset = (offset + len(members)) % k
    return folds


def kfold_accuracy(
    model_factory: Callable[[], CNN],
    images: np.ndarray,
    labels: np.ndarray,
    config: TrainConfig,
    k: int = DEFAULT_FOLDS,
) -> KFoldEstimate:
    """Stratified, seeded (``config.seed``) k-fold estimate: k fresh models from ``model_factory``, each
    trained with ``config`` (no validation split of its own) on all folds but one and tested on that one."""
    return KFoldRun(model_factory, images, labels, config, k).run()


class KFoldRun:
    """``kfold_accuracy`` one training step at a time.

    The app's engine runs the estimate in its compute thread, where it must still answer predictions,
    pause and stop between two steps: a whole fold at once (a second or more on a busy laptop) would
    hold Stop up that long. ``run()`` does every step in one go, for the command line and the study.
    """

    def __init__(self, model_factory: Callable[[], CNN], images: np.ndarray, labels: np.ndarray,
                 config: TrainConfig, k: int = DEFAULT_FOLDS):
        self._images = np.asarray(images, dtype=np.float32)
        self._labels = np.asarray(labels, dtype=np.int64)
        if not 2 <= k <= len(self._labels):
            raise TrainingError(f"k-fold validation needs 2 <= k <= {len(self._labels)} drawings, got k={k}")
        self.k = k
        self._factory = model_factory
        self._config = config.with_(validation_fraction=0.0)
        self._folds = stratified_folds(self._labels, k, config.seed)
        self._predictions = np.full(len(self._labels), -1, dtype=np.int64)
        self._accuracies: list[float] = []
        self._trainer: Trainer | None = None
        self._stopped = False

    @property
    def fold(self) -> int:
        """The fold being trained, 1..k (k + 1 once every fold is done)."""
        return len(self._accuracies) + 1

    @property
    def finished(self) -> bool:
        return self._stopped or len(self._accuracies) == self.k

    @property
    def stopped(self) -> bool:
        return self._stopped and len(self._accuracies) < self.k

    def stop(self) -> None:
        self._stopped = True

    def step(self) -> bool:
        """One training step of the current fold (its fresh model made first); a fold's last step also
        predicts the drawings it held out. False when there is nothing left to do."""
        if self.finished:
            return False
        held = self._folds == len(self._accuracies)
        if self._trainer is None:
            from cnn_desktop.core.training.trainer import Trainer

            self._trainer = Trainer(self._factory(), self._images[~held], self._labels[~held], self._config)
        self._trainer.step()
        if self._trainer.finished:
            from cnn_desktop.core.network.model import predict_proba

            self._predictions[held] = predict_proba(self._trainer.model, self._images[held]).argmax(axis=1)
            self._accuracies.append(float((self._predictions[held] == self._labels[held]).mean()))
            self._trainer = None
        return True

    def run(self) -> KFoldEstimate:
        while self.step():
            pass
        return self.estimate()

    def estimate(self) -> KFoldEstimate | None:
        """The estimate once every fold is done; None before (or when stopped)."""
        if len(self._accuracies) < self.k:
            return None
        correct = int((self._predictions == self._labels).sum())
        return KFoldEstimate(correct, len(self._labels), tuple(self._accuracies), self._predictions.copy())


def model_from_learned_layers(source_model: CNN, classes: Sequence[str], seed: int) -> CNN:
    """A new network for ``classes`` with the layers of ``source_model``: every layer but the output
    copied bit for bit, the output layer fresh (seeded) with one unit per class."""
    import torch

    from cnn_desktop.core.network.model import build_model

    model = build_model(source_model.spec.with_classes(tuple(classes)), seed=seed)
    learned = source_model.state_dict()
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not name.startswith("layers.out."):
                tensor.copy_(learned[name])
    return model


def freeze_conv_layers(model: CNN) -> list[str]:
    """Stop training the conv layers (the Trainer's optimisers skip them); returns their names."""
    names = []
    for name, layer in model.conv_layers():
        for parameter in layer.parameters():
            parameter.requires_grad_(False)
        names.append(name)
    return names
