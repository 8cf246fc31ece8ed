"""Small-data honesty helpers: when a validation figure is shown and how, the k-fold estimate, and the
transfer start point made from a trained model's learned layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnn_desktop.core.errors import TrainingError
from cnn_desktop.core.network.model import build_model, predict_proba
from cnn_desktop.core.network.spec import TrainConfig, lenet_spec
from cnn_desktop.core.training.small_data import (
    MIN_PER_CLASS_FOR_HOLDOUT,
    MIN_PER_CLASS_TO_VALIDATE,
    MIN_PER_CLASS_WARNING,
    KFoldEstimate,
    freeze_conv_layers,
    kfold_accuracy,
    model_from_learned_layers,
    stratified_folds,
    validation_plan,
)
from cnn_desktop.core.training.trainer import Trainer

SHAPES = ("circle", "square", "triangle", "star")


def test_the_minima_are_ordered_and_a_two_drawing_holdout_is_never_shown():
    assert 3 <= MIN_PER_CLASS_TO_VALIDATE <= MIN_PER_CLASS_WARNING < MIN_PER_CLASS_FOR_HOLDOUT
    # The trainer's usual 10% split keeps at least 3 drawings a class from the holdout minimum on.
    assert round(0.1 * MIN_PER_CLASS_FOR_HOLDOUT) >= 3


def test_validation_plan_by_the_fewest_drawings_of_any_class():
    few = validation_plan({"circle": 40, "star": MIN_PER_CLASS_TO_VALIDATE - 1})
    assert few.kind == "none" and "'star'" in few.explanation and str(MIN_PER_CLASS_TO_VALIDATE) in few.explanation
    some = validation_plan({"circle": 40, "star": MIN_PER_CLASS_TO_VALIDATE})
    assert some.kind == "kfold" and some.folds == min(5, MIN_PER_CLASS_TO_VALIDATE) and "'star'" in some.explanation
    assert validation_plan([MIN_PER_CLASS_FOR_HOLDOUT - 1] * 3).kind == "kfold"
    many = validation_plan([MIN_PER_CLASS_FOR_HOLDOUT] * 3)
    assert many.kind == "holdout" and many.folds == 0
    assert validation_plan([100]).kind == "none"  # one class: nothing to tell apart
    for plan in (few, some, many):
        assert plan.explanation and "\n" not in plan.explanation and len(plan.explanation) < 200


def test_stratified_folds_share_out_every_class_and_are_seeded():
    labels = np.array([0] * 7 + [1] * 5 + [2] * 3)
    folds = stratified_folds(labels, 3, seed=1)
    assert np.array_equal(folds, stratified_folds(labels, 3, seed=1))
    assert not np.array_equal(folds, stratified_folds(labels, 3, seed=2))
    for cls, count in ((0, 7), (1, 5), (2, 3)):
        per_fold = np.bincount(folds[labels == cls], minlength=3)
        assert per_fold.max() - per_fold.min() <= 1 and per_fold.sum() == count
    sizes = np.bincount(folds, minlength=3)
    assert sizes.max() - sizes.min() <= 1


def _separable(n_per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """Two classes a network tells apart in a few steps: ink on the left half or on the right half."""
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 0.1, (2 * n_per_class, 28, 28)).astype(np.float32)
    labels = np.repeat([0, 1], n_per_class)
    images[labels == 0, 8:20, 3:12] += 0.9
    images[labels == 1, 8:20, 16:25] += 0.9
    return images, labels


CONFIG = TrainConfig(epochs=6, batch_size=8, learning_rate=3e-3, augment=False, seed=3)


def test_kfold_holds_each_drawing_out_once_with_a_fresh_model_per_fold():
    images, labels = _separable(6)
    made = []

    def factory():
        made.append(build_model(lenet_spec(("left", "right")), seed=len(made)))
        return made[-1]

    estimate = kfold_accuracy(factory, images, labels, CONFIG, k=3)
    assert len(made) == 3 and len({id(m) for m in made}) == 3
    assert estimate.total == 12 and len(estimate.fold_accuracies) == 3
    assert (estimate.predictions >= 0).all()  # every drawing predicted by the fold that held it out
    assert estimate.accuracy == pytest.approx(estimate.correct / 12)
    assert estimate.accuracy >= 0.9
    again = kfold_accuracy(lambda: build_model(lenet_spec(("left", "right")), seed=0), images, labels, CONFIG, k=3)
    same = kfold_accuracy(lambda: build_model(lenet_spec(("left", "right")), seed=0), images, labels, CONFIG, k=3)
    assert np.array_equal(again.predictions, same.predictions)  # seeded


def test_kfold_does_not_train_on_what_it_tests():
    # Labels that are pure noise: a model that had seen the held-out drawings would score far above
    # chance (it memorises 16 drawings easily); held out honestly, it cannot.
    rng = np.random.default_rng(1)
    images = rng.uniform(0, 1, (16, 28, 28)).astype(np.float32)
    labels = np.array([0, 1] * 8)
    factory = lambda: build_model(lenet_spec(("a", "b")), seed=0)  # noqa: E731
    memorised = factory()
    Trainer(memorised, images, labels, CONFIG.with_(epochs=10, validation_fraction=0.0)).fit()
    assert (predict_proba(memorised, images).argmax(1) == labels).mean() >= 0.9  # what leakage would show
    assert kfold_accuracy(factory, images, labels, CONFIG.with_(epochs=10), k=4).accuracy <= 0.75


def test_kfold_refuses_impossible_fold_counts():
    images, labels = _separable(2)
    factory = lambda: build_model(lenet_spec(("a", "b")), seed=0)  # noqa: E731
    with pytest.raises(TrainingError, match="k=1"):
        kfold_accuracy(factory, images, labels, CONFIG, k=1)
    with pytest.raises(TrainingError, match="k=5"):
        kfold_accuracy(factory, images, labels, CONFIG, k=5)


def test_the_interval_is_wide_for_a_few_drawings_and_narrow_for_many():
    few = KFoldEstimate(4, 4, (1.0,), np.zeros(4, np.int64)).interval()
    many = KFoldEstimate(400, 400, (1.0,), np.zeros(400, np.int64)).interval()
    assert few[1] == 1.0 and few[0] < 0.55  # "4 out of 4" says little
    assert many[0] > 0.99
    low, high = KFoldEstimate(15, 20, (0.75,), np.zeros(20, np.int64)).interval()
    assert low < 0.75 < high


def test_the_learned_layers_are_copied_bit_for_bit_and_the_output_is_fresh():
    source = build_model(lenet_spec(), seed=11)
    source.to(memory_format=torch.channels_last)  # as a model the Trainer trained is
    model = model_from_learned_layers(source, SHAPES, seed=5)
    assert model.classes == SHAPES and model.spec.layers == source.spec.layers
    learned, new = source.state_dict(), model.state_dict()
    assert set(new) == set(learned)
    for name in new:
        if name.startswith("layers.out."):
            assert new[name].shape[0] == len(SHAPES)
        else:
            assert torch.equal(new[name], learned[name]), name
            assert new[name].data_ptr() != learned[name].data_ptr()  # copies, not shared
    assert new["layers.out.weight"].shape == (4, 64)
    # The output layer is seeded, and it is what a fresh network of the seed has.
    again = model_from_learned_layers(source, SHAPES, seed=5)
    assert torch.equal(again.state_dict()["layers.out.weight"], new["layers.out.weight"])
    fresh = build_model(lenet_spec(SHAPES), seed=5)
    assert torch.equal(fresh.state_dict()["layers.out.weight"], new["layers.out.weight"])
    # Training the new model leaves the source alone.
    before = source.state_dict()["layers.conv1.weight"].clone()
    images, labels = _separable(4)
    labels = labels * 3  # classes 0 and 3
    Trainer(model, images, labels, CONFIG.with_(epochs=1, validation_fraction=0.0)).fit()
    assert torch.equal(source.state_dict()["layers.conv1.weight"], before)
    assert not torch.equal(model.state_dict()["layers.conv1.weight"], before)


def test_freezing_keeps_the_conv_layers_as_they_were_while_the_rest_learns():
    model = model_from_learned_layers(build_model(lenet_spec(), seed=1), ("left", "right"), seed=2)
    assert freeze_conv_layers(model) == ["conv1", "conv2"]
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    images, labels = _separable(4)
    Trainer(model, images, labels, CONFIG.with_(epochs=2, validation_fraction=0.0)).fit()
    after = model.state_dict()
    for name in before:
        changed = not torch.equal(before[name], after[name])
        assert changed == (not name.startswith(("layers.conv1.", "layers.conv2."))), name
