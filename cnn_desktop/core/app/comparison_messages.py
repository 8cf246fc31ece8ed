"""What crosses between the compare window and the comparison's compute thread (comparison.py).

Frozen dataclasses of numpy copies, as in messages.py: the window may keep any of them while the two
networks train on. Side 0 is network A, side 1 is network B.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_desktop.core.data.datasets import Dataset
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.network.spec import ModelSpec, TrainConfig
from cnn_desktop.core.training.progress import EpochInfo, StepInfo

SIDES = ("A", "B")

# --- commands: window -> comparison thread ---


@dataclass(frozen=True)
class Contender:
    """One of the two networks: its design, its own settings, and where its weights start."""

    label: str  # how the person picked it: "tiny preset", "version v0003"
    spec: ModelSpec  # made for the classes being compared
    config: TrainConfig  # epochs, learning rate...; the seed and the split are the comparison's, not its own
    start: Path | None = None  # a version's model file to start from; None: fresh weights from the seed
    parent: str | None = None  # the version it starts from, recorded by the version it becomes


@dataclass(frozen=True)
class StartComparison:
    """Train ``a`` and ``b`` on the same drawings, the same split and the same seed."""

    data: Path | Dataset  # a collection folder (read in the comparison thread) or drawings in memory
    classes: tuple[str, ...]  # output order
    a: Contender
    b: Contender
    labels: tuple[str, ...] | None = None  # the collection's folder labels in output order (class ids); None: classes
    seed: int = 0
    validation_fraction: float = 0.2  # held out from both, the same drawings for both
    save_to: tuple[Path, Path] | None = None  # where each network is saved once trained; None: not saved


@dataclass(frozen=True)
class PredictBoth:
    """Classify this drawing with both networks. Only the newest request waiting is answered."""

    request_id: int
    drawing: Strokes


@dataclass(frozen=True)
class StopComparison:
    pass


ComparisonCommand = StartComparison | PredictBoth | StopComparison

# --- messages: comparison thread -> window ---


@dataclass(frozen=True)
class SideStarted:
    label: str
    spec: ModelSpec
    config: TrainConfig  # as trained: the comparison's seed, split and batch size in it
    parameters: int
    total_steps: int
    steps_per_epoch: int


@dataclass(frozen=True)
class ComparisonStarted:
    classes: tuple[str, ...]
    train_size: int
    val_size: int
    val_counts: tuple[int, ...]  # validation drawings per class
    val_indices: np.ndarray  # int64 indices into the data: the same held-out drawings for A and B
    sides: tuple[SideStarted, SideStarted]


@dataclass(frozen=True)
class ComparisonSteps:
    """One side's optimiser steps since its last report, oldest first (never empty)."""

    side: int
    steps: tuple[StepInfo, ...]


@dataclass(frozen=True)
class ComparisonEpoch:
    """One side's epoch ended: its figures, and its accuracy per class on the held-out drawings."""

    side: int
    info: EpochInfo
    per_class: tuple[float | None, ...]  # None for a class with no held-out drawing


@dataclass(frozen=True)
class BothPredictions:
    """The answer to PredictBoth (or a refresh of it while the weights change)."""

    request_id: int
    classes: tuple[str, ...]
    image: np.ndarray | None  # the 28x28 input both saw; None for an empty drawing
    a: np.ndarray | None  # softmax of A; None for an empty drawing or before training started
    b: np.ndarray | None


@dataclass(frozen=True)
class Disagreement:
    index: int  # into the data trained on (a collection: in the order it was read)
    true: int  # class indices
    guess_a: int
    guess_b: int
    image: np.ndarray  # the 28x28 input


@dataclass(frozen=True)
class Disagreements:
    """The held-out drawings A and B classify differently, once both have stopped training."""

    classes: tuple[str, ...]
    items: tuple[Disagreement, ...]
    val_size: int
    correct: tuple[int, int]  # held-out drawings each got right


@dataclass(frozen=True)
class ComparisonSaved:
    """A side's trained network was saved at ``path``, to be kept as a version."""

    side: int
    path: Path


@dataclass(frozen=True)
class ComparisonState:
    """"running", then "finished", "stopped" or "failed" (with the line saying why)."""

    state: str
    message: str = ""


@dataclass(frozen=True)
class ComparisonError:
    message: str
