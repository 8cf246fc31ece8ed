"""Copies of the weights taken during training, so the window can scrub back through a run.

A bounded list: a copy before the first step, then one every ``interval`` steps and one at the end.
When more than ``limit`` would be kept, every other one is dropped (the first and the newest always
stay) and the interval doubles, so a long run is covered evenly by at most ``limit`` copies
(65k parameters each for the default network: a quarter of a megabyte). Holds whatever the engine
gives it (state dicts of tensors); knows nothing of torch itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


DEFAULT_LIMIT = 50
SNAPSHOTS_PER_RUN = 40  # aimed for over a whole run, leaving room below the limit


@dataclass(frozen=True)
class SnapshotInfo:
    """One moment of the training timeline."""

    step: int  # optimiser steps done when the weights were copied (0: before training)
    epoch: float  # the same, in epochs (fractional mid-epoch)
    loss: float | None  # the last training step's loss then; None before training


@dataclass(frozen=True)
class Snapshot:
    info: SnapshotInfo
    weights: dict[str, Any]  # a state dict copy, never the live tensors


class SnapshotKeeper:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 2:
            raise ValueError("keep at least two snapshots (the start and the newest)")
        self.limit = limit
        self.interval = 1
        self._snapshots: list[Snapshot] = []

    def start(self, total_steps: int) -> None:
        """Forget the last run; take a copy about every total_steps / SNAPSHOTS_PER_RUN steps."""
        self._snapshots = []
        self.interval = max(1, total_steps // SNAPSHOTS_PER_RUN)

    def wants(self, step: int, finished: bool = False) -> bool:
        """Should the weights after ``step`` steps be kept?"""
        if self._snapshots and self._snapshots[-1].info.step == step:
            return False
        return step == 0 or finished or step % self.interval == 0

    def add(self, info: SnapshotInfo, weights: dict[str, Any]) -> None:
        self._snapshots.append(Snapshot(info, weights))
        while len(self._snapshots) > self.limit:
            first, *middle, newest = self._snapshots
            self._snapshots = [first, *middle[1::2], newest]
            self.interval *= 2

    def clear(self) -> None:
        self._snapshots = []

    def __len__(self) -> int:
        return len(self._snapshots)

    def __getitem__(self, index: int) -> Snapshot:
        return self._snapshots[index]

    def infos(self) -> tuple[SnapshotInfo, ...]:
        return tuple(s.info for s in self._snapshots)
