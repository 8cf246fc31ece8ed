"""Distillation (core/training/distill.py) and the Trainer's loss hook it uses."""

import pytest
import torch
import torch.nn.functional as F

from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import TrainConfig, lenet_spec
from cnn_desktop.core.training.distill import DistillationLoss
from cnn_desktop.core.training.trainer import Trainer

BARS = ("horizontal", "vertical")


def _model(seed=0):
    return build_model(lenet_spec(BARS), seed=seed)


def test_a_loss_hook_gets_the_batch_the_model_saw_and_cross_entropy_through_it_trains_as_without(bars):
    images, labels = bars
    config = TrainConfig(epochs=1, batch_size=16, validation_fraction=0.0)
    seen = []

    def hook(logits, x, y):
        seen.append((logits.detach().clone(), x.clone(), y.clone()))
        return F.cross_entropy(logits, y)

    hooked = Trainer(_model(), images, labels, config, loss=hook)
    plain = Trainer(_model(), images, labels, config)
    for _ in range(3):
        hooked.step(), plain.step()
    logits, x, y = seen[-1]
    assert x.shape == (16, 1, 28, 28) and y.shape == (16,)
    assert not any(torch.equal(x[i, 0], torch.from_numpy(images[j])) for i in range(16) for j in range(len(images)))
    for a, b in zip(hooked.model.parameters(), plain.model.parameters()):
        assert torch.equal(a, b)


def _trained(bars, seed):
    images, labels = bars
    model = _model(seed)
    Trainer(model, images, labels, TrainConfig(epochs=2, batch_size=32, seed=seed, validation_fraction=0.0)).fit()
    return model


def test_soft_targets_are_the_teachers_softened_probabilities_averaged(bars):
    teachers = [_trained(bars, 1), _trained(bars, 2)]
    loss = DistillationLoss(teachers, temperature=4.0, alpha=0.7)
    x = torch.from_numpy(bars[0][:10])[:, None]
    with torch.no_grad():
        expected = sum(torch.softmax(t(x) / 4.0, 1) for t in teachers) / 2
    soft = loss.soft_targets(x)
    assert torch.allclose(soft, expected, atol=1e-6)
    assert torch.allclose(soft.sum(1), torch.ones(10))
    sharp = DistillationLoss(teachers, temperature=1.0).soft_targets(x)
    assert sharp.max() > soft.max()  # a temperature above 1 softens
    assert all(not p.requires_grad for t in teachers for p in t.parameters()) and not teachers[0].training


def test_the_loss_mixes_kl_to_the_ensemble_and_cross_entropy_by_alpha(bars):
    teacher = _trained(bars, 1)
    x = torch.from_numpy(bars[0][:32])[:, None]
    y = torch.from_numpy(bars[1][:32]).long()
    student_logits = torch.randn(32, 2, requires_grad=True)
    hard_only = DistillationLoss([teacher], alpha=0.0)(student_logits, x, y)
    assert torch.allclose(hard_only, F.cross_entropy(student_logits, y))
    with torch.no_grad():
        teacher_logits = teacher(x)
    # A student that answers exactly as the teacher has nothing left to learn from the soft part.
    assert float(DistillationLoss([teacher], alpha=1.0)(teacher_logits, x, y)) == pytest.approx(0.0, abs=1e-5)
    mixed = DistillationLoss([teacher], temperature=4.0, alpha=0.7)(student_logits, x, y)
    soft = F.kl_div(F.log_softmax(student_logits / 4, 1), torch.softmax(teacher_logits / 4, 1), reduction="batchmean") * 16
    assert torch.allclose(mixed, 0.7 * soft + 0.3 * F.cross_entropy(student_logits, y), atol=1e-6)
    mixed.backward()  # the soft targets are constants: the gradient reaches the student's logits only
    assert student_logits.grad is not None


def test_a_student_distilled_from_a_teacher_learns_the_task(bars):
    images, labels = bars
    teacher = _trained(bars, 1)
    student = _model(5)
    trainer = Trainer(student, images, labels, TrainConfig(epochs=3, batch_size=32, validation_fraction=0.2),
                      loss=DistillationLoss([teacher]))
    trainer.fit()
    assert trainer.history[-1].val_accuracy >= 0.95
