"""Adam and SGD with momentum, the two optimisers training offers, each one fused kernel per step.

They run the kernels ``torch.optim.Adam(fused=True)`` and ``torch.optim.SGD(momentum=0.9, fused=True)``
run (``torch._fused_adam_``, ``torch._fused_sgd_``: the whole update over all parameters in one call,
~5 % faster a training step than torch's default per-parameter updates on CPU), and give the same
weights step for step (tests/core/test_optim.py). They exist because the first use of anything in
``torch.optim`` imports ``torch._dynamo`` (its methods are wrapped in a lazy ``torch._disable_dynamo``):
0.97 s of Python holding the GIL, measured on these machines, spent on the compute thread the moment
the person presses Train, while the window stutters.

The interface is the part of ``torch.optim.Optimizer`` the trainer uses: ``param_groups[0]["lr"]``,
``zero_grad(set_to_none=True)`` and ``step()``.
"""

from __future__ import annotations

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
        """(indices, parameters, gradients) of the parameters that have a gradient."""
        indices = [i for i, p in enumerate(self.params) if p.grad is not None]
        params = [self.params[i] for i in indices]
        return indices, params, [p.grad for p in params]


def _zeros_like(p: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(p, memory_format=torch.preserve_format)  # in the parameter's own layout


class Adam(_Optimizer):
    """``torch.optim.Adam`` (betas 0.9 and 0.999, eps 1e-8, L2 weight decay added to the gradient)."""

    def __init__(self, parameters, learning_rate: float = 1e-3, weight_decay: float = 0.0,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(parameters, learning_rate, weight_decay)
        self.betas, self.eps = betas, eps
        # Per parameter, as the kernel wants them: both moments and the step count (a float tensor).
        self._first = [_zeros_like(p) for p in self.params]
        self._second = [_zeros_like(p) for p in self.params]
        # On the parameter's device: the fused kernel wants every tensor of a parameter in one place.
        self._steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        indices, params, grads = self._gradients()
        if not params:
            return
        steps = [self._steps[i] for i in indices]
        torch._foreach_add_(steps, 1)
        beta1, beta2 = self.betas
        group = self.param_groups[0]
        torch._fused_adam_(params, grads, [self._first[i] for i in indices], [self._second[i] for i in indices],
                           [], steps, amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2,
                           weight_decay=group["weight_decay"], eps=self.eps, maximize=False)


class SGDMomentum(_Optimizer):
    """``torch.optim.SGD`` with momentum (no dampening, not Nesterov) and L2 weight decay."""

    def __init__(self, parameters, learning_rate: float, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        super().__init__(parameters, learning_rate, weight_decay)
        self.momentum = momentum
        self._velocity = [_zeros_like(p) for p in self.params]
        self._first_step = True  # the kernel starts each velocity at the gradient itself

    @torch.no_grad()
    def step(self) -> None:
        indices, params, grads = self._gradients()
        if not params:
            return
        group = self.param_groups[0]
        torch._fused_sgd_(params, grads, [self._velocity[i] for i in indices], weight_decay=group["weight_decay"],
                          momentum=self.momentum, lr=group["lr"], dampening=0.0, nesterov=False, maximize=False,
                          is_first_step=self._first_step)
        self._first_step = False
