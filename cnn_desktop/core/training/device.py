"""Which torch device computes: the person's choice (``auto``, ``cpu``, ``cuda``, ``mps``) made real.

``resolve_device`` turns the choice into a ``torch.device``, or refuses it in one line when that
device is not here (the CLI prints the line and exits with status 2, the app shows it). ``auto`` picks
an accelerator only where it pays. The networks a person can design are small (summary.py caps one
drawing at 20 million multiply-adds), and for a small network a GPU step is dominated by fixed costs:
a dozen kernel launches forward and back, the optimiser's, copying the batch over and the loss back
to read it. So ``auto`` looks at the work of one call (multiply-adds per example x examples per call,
x3 when training: forward, and backward for inputs and weights) and uses the accelerator only above
``AUTO_ACCELERATOR_MACS``.

How the threshold was set. The CPU side was measured (``python -m benchmarks.device_choice``: Trainer
steps of batch 64 per preset, Adam, one torch thread on a shared 2-core machine, torch 2.13 CPU):
default 13.9 ms a step (316 million multiply-adds of step work), lenet5 9.0 ms (80 million), tiny
6.6 ms (23 million), deeper 34.0 ms (536 million); a fit gives 3.9 ms fixed (Python, dispatch,
the optimiser: paid on any device) plus 0.50 ms per 10 million multiply-adds. The GPU side could NOT
be measured: no GPU on these machines. The rule assumes a GPU step of these small networks costs the
same fixed part plus ``ASSUMED_GPU_OVERHEAD_MS`` more (kernel launches, copying the loss back each
step), its arithmetic next to nothing. The GPU then pays once the CPU's arithmetic alone costs more
than that overhead: from 60 million multiply-adds a call. So ``auto`` trains the default, lenet5 and
deeper presets on a GPU at batch 64, keeps tiny and every single-drawing prediction on the CPU, and
evaluates large sets on a GPU. Where a GPU is at hand, ``python -m benchmarks.device_choice`` times
both sides and shows whether the rule holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnn_desktop.core.errors import CnnDesktopError

if TYPE_CHECKING:  # torch is imported where it is used: the window's settings read CHOICES before it loads
    import torch

CHOICES = ("auto", "cpu", "cuda", "mps")
# Multiply-adds in one call (a training step or an inference batch) from which ``auto`` uses an
# accelerator: see the module's docstring for where it comes from and what was not measured.
ASSUMED_GPU_OVERHEAD_MS = 3.0  # not measured here: see above
CPU_MS_PER_10M_MACS = 0.50  # measured: benchmarks/device_choice.py, one thread
AUTO_ACCELERATOR_MACS = int(ASSUMED_GPU_OVERHEAD_MS / CPU_MS_PER_10M_MACS * 10_000_000)  # 60 million
TRAINING_FACTOR = 3  # forward, backward to the inputs, backward to the weights


class DeviceError(CnnDesktopError):
    """The device asked for is not available here."""


@dataclass(frozen=True)
class DeviceChoice:
    """What was asked and what it became, with the reason: printed by the CLI, shown by the app."""

    asked: str
    device: torch.device
    reason: str

    @property
    def line(self) -> str:
        return f"device: {self.device.type} ({self.reason})"


def available() -> tuple[str, ...]:
    """The accelerators present, in the order ``auto`` prefers them."""
    import torch

    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return tuple(found)


def step_macs(example_macs: int, examples: int, training: bool) -> int:
    """The multiply-adds of one call: ``examples`` at ``example_macs`` each, x3 when training."""
    return int(example_macs) * max(1, int(examples)) * (TRAINING_FACTOR if training else 1)


def choose_device(asked: str, work_macs: int = 0) -> DeviceChoice:
    """The device for ``asked`` ("auto", "cpu", "cuda", "mps", or "cuda:1"), given the multiply-adds of
    one call (``step_macs``) for ``auto``. Raises DeviceError, one line, for a device that is missing."""
    import torch

    asked = (asked or "auto").strip().lower()
    kind = asked.split(":", 1)[0]
    if kind not in CHOICES:
        raise DeviceError(f"unknown device {asked!r}: choose one of {', '.join(CHOICES)}")
    if kind == "cpu":
        return DeviceChoice(asked, torch.device("cpu"), "asked for")
    if kind == "auto":
        accelerators = available()
        if not accelerators:
            return DeviceChoice(asked, torch.device("cpu"), "auto: no GPU here")
        if work_macs < AUTO_ACCELERATOR_MACS:
            return DeviceChoice(asked, torch.device("cpu"),
                                f"auto: {work_macs / 1e6:.0f} million multiply-adds a step is too little for "
                                f"the {accelerators[0]} GPU to pay off (it does from "
                                f"{AUTO_ACCELERATOR_MACS / 1e6:.0f} million)")
        return DeviceChoice(asked, torch.device(accelerators[0]),
                            f"auto: {work_macs / 1e6:.0f} million multiply-adds a step")
    if kind not in available():
        raise DeviceError(_missing(kind))
    device = torch.device(asked)
    if kind == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise DeviceError(f"device {asked}: there are {torch.cuda.device_count()} CUDA GPU(s) here, "
                          f"numbered from 0")
    return DeviceChoice(asked, device, "asked for")


def resolve_device(asked: str, work_macs: int = 0) -> torch.device:
    """``choose_device(...).device``."""
    return choose_device(asked, work_macs).device


def _missing(kind: str) -> str:
    import torch

    if kind == "cuda":
        why = ("this torch was built without CUDA" if torch.version.cuda is None
               else "torch has CUDA support but finds no GPU (driver or CUDA_VISIBLE_DEVICES?)")
        return f"device cuda is not available here: {why}; choose cpu or auto"
    return "device mps is not available here: it needs Apple silicon and a torch built with MPS; choose cpu or auto"


def model_device(model: "torch.nn.Module") -> "torch.device":
    """Where ``model``'s weights are (the CPU for a model without any)."""
    import torch

    for parameter in model.parameters():
        return parameter.device
    return torch.device("cpu")
