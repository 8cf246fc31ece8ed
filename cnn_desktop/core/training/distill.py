"""Distillation: training a network on the averaged answers of an ensemble of others (issue #17).

Hinton et al. 2015: the probabilities an ensemble gives every class, softened by a temperature, say
more than the label alone (this 7 looks a little like a 1, not at all like a 0), and a small network
trained to match them can get closer to the ensemble than it gets from the labels. Used through the
Trainer's ``loss`` hook, so the teachers see exactly the augmented batch the student sees.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from cnn_desktop.core.network.model import CNN


class DistillationLoss:
    """``alpha * T^2 * KL(ensemble || student)`` at temperature T, plus ``(1 - alpha) * cross-entropy``
    with the labels. The T^2 keeps the soft part's gradients the size of the hard part's whatever T is."""

    def __init__(self, teachers: Sequence[CNN], temperature: float = 4.0, alpha: float = 0.7):
        if not teachers:
            raise ValueError("distillation needs at least one teacher")
        self.teachers = list(teachers)
        for teacher in self.teachers:  # frozen and without dropout: their answers are the targets
            teacher.eval()
            teacher.requires_grad_(False)
        self.temperature = temperature
        self.alpha = alpha

    @torch.inference_mode()
    def soft_targets(self, images: torch.Tensor) -> torch.Tensor:
        """The teachers' class probabilities at the temperature, averaged over the teachers."""
        probs = [torch.softmax(teacher(images) / self.temperature, dim=1) for teacher in self.teachers]
        return torch.stack(probs).mean(0)

    def __call__(self, logits: torch.Tensor, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        soft = self.soft_targets(images).clone()  # clone: out of inference mode, usable by autograd
        log_student = F.log_softmax(logits / self.temperature, dim=1)
        soft_part = F.kl_div(log_student, soft, reduction="batchmean") * self.temperature**2
        return self.alpha * soft_part + (1 - self.alpha) * F.cross_entropy(logits, labels)
