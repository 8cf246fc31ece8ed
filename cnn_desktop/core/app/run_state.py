"""Where a training run stands, as the engine reports it and the window shows it."""

from __future__ import annotations

from enum import Enum


class RunState(str, Enum):
    """A str enum: the values travel in messages and compare equal to their names ("running")."""

    IDLE = "idle"  # no run yet
    STARTING = "starting"  # asked for; the engine is reading the collection
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # every epoch done
    STOPPED = "stopped"  # ended early by the person (or by switching task)
    FAILED = "failed"  # could not start, or diverged (the engine rolled the weights back)

    @property
    def active(self) -> bool:
        return self in (RunState.RUNNING, RunState.PAUSED)

    def __str__(self) -> str:
        return self.value
