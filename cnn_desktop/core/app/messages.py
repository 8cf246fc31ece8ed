"""What crosses between the window and the compute thread: frozen dataclasses, numpy copies only.

Commands go to the engine; messages come back. Nothing here holds a live tensor or a reference into
the model, so the window can keep a message as long as it likes while training changes the weights.
These carry no Qt: the engine that produces them is tested and benchmarked without a window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from cnn_desktop.core.app.quick_fix import FixPlan
from cnn_desktop.core.network.spec import ModelSpec, TrainConfig
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.inspection.timeline import SnapshotInfo  # noqa: F401 (travels in Timeline)
from cnn_desktop.core.training.progress import EpochInfo, StepInfo

# Predict.saliency_class for "explain the class the network guesses", whichever that is.
TOP_CLASS = "top"


class ModelOrigin(str, Enum):
    """Where the model in use came from (a str enum: compares equal to "file", "fresh", "training")."""

    FILE = "file"  # loaded from a model file
    FRESH = "fresh"  # new, untrained weights
    TRAINING = "training"  # just trained in the app


# --- commands: window -> engine ---


@dataclass(frozen=True)
class Predict:
    """Classify this drawing. Only the newest request waiting is answered; older ones are dropped."""

    request_id: int
    drawing: Strokes
    # "What the network looks at": None for no heat map (the default: it costs a backward pass),
    # "top" for the predicted class, or a class index.
    saliency_class: int | str | None = None
    saliency_method: str = "gradcam"  # "gradcam" (regions, Grad-CAM) or "gradient-x-input" (pixels)


@dataclass(frozen=True)
class UseModel:
    """Make this the current model: a file, or a fresh untrained network for ``spec``."""

    path: Path | None = None
    spec: ModelSpec | None = None  # the file's classes must be this spec's; the spec of a fresh network
    label: str = ""  # how the window names this model ("bundled digits model", a file name...)
    fallback_to_fresh: bool = True  # if the file cannot be used: True starts untrained, False keeps the current
    # With fallback_to_fresh, what to use before an untrained network (the bundled model, when the
    # person's own model file cannot be read).
    fallback: "UseModel | None" = None


@dataclass(frozen=True)
class StartTraining:
    """Train on the collection stored at ``collection`` (read by the engine, off the GUI thread)."""

    collection: Path
    config: TrainConfig
    from_scratch: bool = False  # False: fine-tune the current model
    # The drawings' folder labels in output order, where they are not the model's class names (a
    # person's project labels drawings by class id, and a renamed class keeps its id); None: the names.
    labels: tuple[str, ...] | None = None
    # Where to train: "auto", "cpu", "cuda" or "mps" (core/training/device.py resolves it, and refuses a
    # device that is missing with one line). "cpu" by default: a command built without a setting trains
    # where it always did.
    device: str = "cpu"


@dataclass(frozen=True)
class QuickFix:
    """Fine-tune the current model on a few corrected drawings mixed with replay drawings
    (core/app/quick_fix.py); it runs, reports and ends like a training run (no accuracy figure)."""

    plan: FixPlan


@dataclass(frozen=True)
class PauseTraining:
    pass


@dataclass(frozen=True)
class ResumeTraining:
    pass


@dataclass(frozen=True)
class StopTraining:
    pass


@dataclass(frozen=True)
class SaveModel:
    path: Path


@dataclass(frozen=True)
class EvaluateCollection:
    """Classify the validation split of the collection at ``collection`` (the split of the last
    training, or the default one) and answer with a CollectionEvaluation: the confusion matrix and,
    per cell, the ids of the drawings in it."""

    collection: Path
    request_id: int = 0


@dataclass(frozen=True)
class ShowSnapshot:
    """Show the network as it was at snapshot ``index`` of the last training (filters, and the drawing
    re-run with those weights); None goes back to the live weights. Training is not disturbed."""

    index: int | None


# --- messages: engine -> window ---


@dataclass(frozen=True)
class Prediction:
    """The answer to a Predict request (or a refresh of it after the weights changed)."""

    request_id: int
    model_version: int  # increases whenever the weights change
    classes: tuple[str, ...]  # of the model that answered: a window that changed mode drops the rest
    image: np.ndarray | None  # the 28x28 input the network saw; None for an empty drawing
    probabilities: np.ndarray | None  # softmax over the classes; None for an empty drawing
    activations: dict[str, np.ndarray] = field(default_factory=dict)  # layer name -> (C, H, W) or (N,)
    to_input: np.ndarray | None = None  # 2x3 affine: drawing coordinates -> 28x28 input coordinates
    seconds: float = 0.0  # preprocessing + forward time
    saliency: np.ndarray | None = None  # (28, 28) heat map when the request asked for one, else None
    saliency_class: int | None = None  # the class the heat map explains
    saliency_method: str = ""  # "gradcam" (in [0, 1]) or "gradient-x-input" (in [-1, 1])
    snapshot: int | None = None  # answered with the weights of this timeline snapshot; None: live weights


@dataclass(frozen=True)
class Filters:
    """Every conv layer's kernels, (out, in, k, k) each, and biases."""

    model_version: int
    layers: tuple[tuple[str, np.ndarray, np.ndarray], ...]  # (layer name, weights, biases)
    # The fully connected layers too, (name, weights (out, in), biases), for the step-by-step view.
    dense: tuple[tuple[str, np.ndarray, np.ndarray], ...] = ()
    snapshot: int | None = None  # the weights of this timeline snapshot; None: live weights


@dataclass(frozen=True)
class ModelReady:
    """A model became current (loaded, created, or trained)."""

    spec: ModelSpec
    label: str
    trained: bool  # False for fresh, untrained weights
    history: tuple[dict[str, Any], ...]
    parameters: int
    origin: ModelOrigin = ModelOrigin.FRESH
    path: Path | None = None


@dataclass(frozen=True)
class TrainingStarted:
    train_size: int
    val_size: int
    total_steps: int
    config: TrainConfig  # what the run trains with (no held-out split unless validation is "holdout")
    # How accuracy is measured (core/training/run_plan.py): "holdout" (per-epoch validation figures),
    # "kfold" (an estimate once training ends: AccuracyEstimate) or "none" (too few drawings).
    validation: str = "holdout"
    validation_line: str = ""  # one line for under the curves: what the figure is and why
    warning: str = ""  # e.g. a class with fewer than 10 drawings; "" when none
    device: str = "cpu"  # where the run trains, as torch names it ("cpu", "cuda", "mps")
    device_line: str = ""  # why: "device: cpu (auto: ...)", for the status line


@dataclass(frozen=True)
class AccuracyEstimate:
    """The k-fold estimate that follows a run's training when the collection is small.

    "running" (at the start of each fold), then "done" (with the figures), "stopped" or "failed"; only
    then does the run end (TrainingState), so that the model kept records the estimate."""

    state: str
    fold: int  # 1..folds while running
    folds: int
    line: str  # one line for the person
    correct: int = 0
    total: int = 0
    interval: tuple[float, float] | None = None  # 95% interval of the accuracy, when done


@dataclass(frozen=True)
class TrainingSteps:
    """The optimiser steps since the last report, oldest first (never empty).

    Steps are reported in batches a few times a second rather than one message per step: at ~100 steps
    a second, a message (and a status-line update) per step kept the window's thread busy for nothing.
    """

    steps: tuple[StepInfo, ...]

    @property
    def last(self) -> StepInfo:
        return self.steps[-1]


@dataclass(frozen=True)
class TrainingEpoch:
    info: EpochInfo


@dataclass(frozen=True)
class TrainingState:
    """Where training stands: "running", "paused", "finished", "stopped" or "failed" (with why)."""

    state: str
    message: str = ""


@dataclass(frozen=True)
class ModelSaved:
    path: Path


@dataclass(frozen=True)
class Timeline:
    """The snapshots kept of the last training (oldest first), and which one is shown (None: live)."""

    snapshots: tuple[SnapshotInfo, ...]
    showing: int | None = None


@dataclass(frozen=True)
class CollectionEvaluation:
    """The answer to EvaluateCollection."""

    request_id: int
    model_version: int
    classes: tuple[str, ...]
    confusion: np.ndarray  # (C, C) int64: row = true class, column = predicted class
    example_ids: tuple[tuple[tuple[str, ...], ...], ...]  # [true][predicted] -> ids of those drawings
    split: str  # "validation" (held out from the last training) or "all" (no validation split)
    fraction: float  # validation fraction used for the split
    seed: int  # seed used for the split
    note: str = ""  # one line for the person, e.g. why every drawing was used


@dataclass(frozen=True)
class EngineError:
    """A problem the person should see (one line), e.g. an unreadable model file."""

    message: str


Command = (Predict | UseModel | StartTraining | QuickFix | PauseTraining | ResumeTraining | StopTraining | SaveModel
           | EvaluateCollection | ShowSnapshot)


@dataclass(frozen=True)
class DrawingsCounted:
    """A large project's first count is done, in a thread of its own (core/app/first_count.py): the
    window can count the collection at ``root`` from its saved listing now."""

    root: Path
