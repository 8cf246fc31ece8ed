"""Adam and SGD with momentum, the two optimisers training offers, in a few vectorised tensor operations.

They follow ``torch.optim.Adam`` and ``torch.optim.SGD(momentum=0.9)`` exactly (tests/core/test_optim.py
checks the weights match step for step), for two reasons of speed:

- the first use of anything in ``torch.optim`` imports ``torch._dynamo`` (its methods are wrapped in a
  lazy ``torch._disable_dynamo``): about a second of Python holding the GIL, measured on these
  machines, spent on the compute thread when the person presses Train, while the window stutters;
- a step here is one ``torch._foreach_*`` call per update term over all parameters at once, with none of
  ``torch.optim``'s per-step bookkeeping (hooks, profiler records, capturable/differentiable checks).

The interface is the part of ``torch.optim.Optimizer`` the trainer uses: ``param_groups[i]["lr"]``,
``zero_grad(set_to_none=True)`` and ``step()``.
"""

from __future__ import annotations

import math
from typing import Iterable

import torch


class _Optimizer:
    def __init__(self, parameters: Iterable[torch.nn.Parameter], learning_rate: float, weight_decay: float) -> None:
        self.params = [p for p in parameters if p.requires_grad]
        if not self.params:
            raise ValueError("no parameters to optimise")
        # One group, as in torch.optim, so a learning-rate schedule can set ``param_groups[0]["lr"]``.
        self.param_groups = [{"lr": float(learning_rate), "weight_decay": float(weight_decay)}]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def _gradients(self) -> tuple[list[int], list[torch.Tensor], list[torch.Tensor]]:
        """(indices, parameters, their gradients plus the L2 term) of the parameters that have a gradient."""
        indices = [i for i, p in enumerate(self.params) if p.grad is not None]
        params = [self.params[i] for i in indices]
        grads = [p.grad for p in params]
        weight_decay = self.param_groups[0]["weight_decay"]
        if weight_decay and grads:
            grads = torch._foreach_add(grads, params, alpha=weight_decay)
        return indices, params, grads


def _zeros_like(p: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(p, memory_format=torch.preserve_format)  # in the parameter's own layout


class Adam(_Optimizer):
    """``torch.optim.Adam`` (betas 0.9 and 0.999, eps 1e-8, L2 weight decay added to the gradient)."""

    def __init__(self, parameters, learning_rate: float = 1e-3, weight_decay: float = 0.0,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(parameters, learning_rate, weight_decay)
        self.betas, self.eps = betas, eps
        self.steps = 0
        # The moments of every parameter, in parameter order.
        self._first = [_zeros_like(p) for p in self.params]
        self._second = [_zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        indices, params, grads = self._gradients()
        if not params:
            return
        first = [self._first[i] for i in indices]
        second = [self._second[i] for i in indices]
        beta1, beta2 = self.betas
        self.steps += 1
        torch._foreach_lerp_(first, grads, 1 - beta1)  # m = beta1 m + (1 - beta1) g
        torch._foreach_mul_(second, beta2)
        torch._foreach_addcmul_(second, grads, grads, value=1 - beta2)  # v = beta2 v + (1 - beta2) g^2
        bias_correction1 = 1 - beta1**self.steps
        bias_correction2_sqrt = math.sqrt(1 - beta2**self.steps)
        step_size = self.param_groups[0]["lr"] / bias_correction1
        denominators = torch._foreach_sqrt(second)
        torch._foreach_div_(denominators, bias_correction2_sqrt)
        torch._foreach_add_(denominators, self.eps)
        torch._foreach_addcdiv_(params, first, denominators, value=-step_size)  # p -= lr m^ / (sqrt(v^) + eps)


class SGDMomentum(_Optimizer):
    """``torch.optim.SGD`` with momentum (no dampening, not Nesterov) and L2 weight decay."""

    def __init__(self, parameters, learning_rate: float, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        super().__init__(parameters, learning_rate, weight_decay)
        self.momentum = momentum
        self._velocity: list[torch.Tensor | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self) -> None:
        indices, params, grads = self._gradients()
        if not params:
            return
        carried_velocities, carried_grads = [], []
        for i, g in zip(indices, grads):
            if self._velocity[i] is None:
                self._velocity[i] = g.clone(memory_format=torch.preserve_format)  # the first step: v = g
            else:
                carried_velocities.append(self._velocity[i])
                carried_grads.append(g)
        if carried_velocities:
            torch._foreach_mul_(carried_velocities, self.momentum)
            torch._foreach_add_(carried_velocities, carried_grads)  # v = momentum v + g
        torch._foreach_add_(params, [self._velocity[i] for i in indices], alpha=-self.param_groups[0]["lr"])
