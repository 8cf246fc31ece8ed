"""What a training run leaves behind: the record saved in its model file, and its split re-created.

Both the app (``core/app/engine.py``) and the command line (``cli/train.py``, ``cli/evaluate.py``)
use these, so a model file reads the same whoever trained it, and "the drawings held out from
training" means the same in the Mistakes panel and in ``cnn-desktop evaluate --split validation``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

import numpy as np

from cnn_desktop import __version__
from cnn_desktop.core.errors import TrainingError
from cnn_desktop.core.training.trainer import Trainer, split_indices


def run_info(trainer: Trainer, data: str, examples: int, init: str | None, **extra: Any) -> dict[str, Any]:
    """The ``info`` record of a model file for a run of ``trainer``, as it stands now.

    ``data`` names what it trained on (a folder, an MNIST file, "generated ..."), ``examples`` how many
    examples that held (the split is re-created from this count's labels, see ``split_like_training``),
    ``init`` the weights it started from (None: fresh ones). ``extra`` adds what only one caller knows
    (the CLI's command line and preset, the app's from-scratch choice). Called again when the run ends,
    it records the final time and step count.
    """
    return {
        **extra,
        "data": str(data),
        "examples": int(examples),
        "train_size": trainer.train_size,
        "val_size": trainer.val_size,
        "config": asdict(trainer.config),
        "init": init,
        "train_seconds": round(trainer.train_seconds, 2),
        "steps": trainer.step_count,
        "parameters": trainer.model.parameter_count(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cnn_desktop_version": __version__,
    }


@dataclass(frozen=True)
class TrainingSplit:
    train: np.ndarray  # int64 indices into the labels given
    validation: np.ndarray
    fraction: float  # the recorded validation fraction and seed it was made with
    seed: int
    # The data set holds another number of examples than the run recorded: drawings were added or
    # removed since, so the split differs from training's and may hold examples it trained on.
    changed: bool

    def part(self, name: str) -> np.ndarray:
        """The indices of "train" or "validation"."""
        return self.validation if name == "validation" else self.train


def recorded_split(info: Mapping[str, Any]) -> tuple[float, int] | None:
    """(validation fraction, seed) of the run recorded in a model file's ``info``; None when it records
    none (a network never trained, a file written by something else)."""
    config = info.get("config") or {}
    fraction, seed = config.get("validation_fraction"), config.get("seed")
    if not _is_number(fraction) or not _is_number(seed) or not 0 <= fraction < 1:
        return None
    return float(fraction), int(seed)


def split_like_training(info: Mapping[str, Any], labels: np.ndarray) -> TrainingSplit:
    """Re-create the train/validation split the run recorded in ``info`` made of a data set with these
    ``labels`` (in the order training read them).

    Only the recorded split is used. A model file that records none raises ``TrainingError``: guessing
    the default fraction and seed would call examples "held out" that the network may have trained on,
    which is worse than saying so. Whether ``labels`` are the data the run trained on is the caller's
    to judge (only it knows what the data is); a different count is flagged in ``changed``.
    """
    recorded = recorded_split(info)
    if recorded is None:
        raise TrainingError("the model file does not record its training split")
    fraction, seed = recorded
    labels = np.asarray(labels, np.int64)
    train, validation = split_indices(labels, fraction, seed)
    return TrainingSplit(train, validation, fraction, seed, changed=info.get("examples") != len(labels))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
