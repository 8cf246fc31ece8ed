"""What training reports after each step and each epoch: plain frozen records, no torch.

They travel from the compute thread to the window inside messages, so the window can import them
without importing torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class StepInfo:
    """What one optimiser step did."""

    epoch: int  # 1-based epoch the step belongs to
    step: int  # 1-based step count since training started
    steps_per_epoch: int
    total_steps: int
    loss: float  # cross-entropy on this (augmented) batch
    accuracy: float  # share of this batch classified right
    samples_per_second: float  # smoothed training throughput
    learning_rate: float


@dataclass(frozen=True)
class EpochInfo:
    """Where training stood at the end of an epoch."""

    epoch: int
    step: int
    train_loss: float  # mean over the epoch's batches
    train_accuracy: float
    val_loss: float | None  # None when nothing is held out
    val_accuracy: float | None
    seconds: float  # training time since the start, pauses excluded

    def to_dict(self) -> dict:
        return asdict(self)
