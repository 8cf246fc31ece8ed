"""The two ready-made tasks the app and the CLI know: digits, and ticks & crosses.

A preset names a task's classes, its bundled model file, and how its training examples are drawn
by default. The app shows one mode per preset, each with its own collection and model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.spec import DIGIT_CLASSES, TICK_CROSS_CLASSES, ModelSpec, TrainConfig, lenet_spec


@dataclass(frozen=True)
class Preset:
    name: str  # used on the command line and as the collection's folder name
    title: str  # shown in the app
    classes: tuple[str, ...]
    keys: tuple[str, ...]  # the key that labels a drawing as each class, in class order
    model_file: str  # bundled model, inside resources/models/
    train_config: TrainConfig  # what `cnn-desktop train --preset NAME` uses unless told otherwise

    def spec(self) -> ModelSpec:
        return lenet_spec(self.classes)

    def bundled_model_path(self) -> Path:
        return resources_dir() / "models" / self.model_file


PRESETS: dict[str, Preset] = {
    "digits": Preset(
        name="digits",
        title="Digits",
        classes=DIGIT_CLASSES,
        keys=DIGIT_CLASSES,
        model_file="digits.safetensors",
        train_config=TrainConfig(epochs=20, batch_size=64, learning_rate=2e-3),
    ),
    "ticks-crosses": Preset(
        name="ticks-crosses",
        title="Ticks & crosses",
        classes=TICK_CROSS_CLASSES,
        keys=("T", "X"),  # X looks like what it labels; C would be the first letter of "cross"
        model_file="ticks-crosses.safetensors",
        train_config=TrainConfig(epochs=6, batch_size=64, learning_rate=2e-3),
    ),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise CnnDesktopError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}") from None


def resources_dir() -> Path:
    """The project's resources/ folder (CNN_DESKTOP_RESOURCES overrides it, e.g. for a packaged app)."""
    override = os.environ.get("CNN_DESKTOP_RESOURCES")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "resources"
