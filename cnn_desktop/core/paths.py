"""Where the app keeps a person's collections and models.

Everything lives under one folder: the platform's user-data folder (platformdirs), or
``CNN_DESKTOP_HOME`` when set (tests, portable installs, a teacher's USB stick).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from cnn_desktop.core.presets import Preset


def data_home() -> Path:
    override = os.environ.get("CNN_DESKTOP_HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir("cnn-desktop", appauthor=False))


def collection_dir(preset: Preset, home: Path | None = None) -> Path:
    """The drawing collection of one mode: ``<home>/collections/<preset name>``."""
    return (home or data_home()) / "collections" / preset.name


def user_model_path(preset: Preset, home: Path | None = None) -> Path:
    """The model the app trained for one mode, saved automatically: ``<home>/models/<name>.safetensors``."""
    return (home or data_home()) / "models" / f"{preset.name}.safetensors"
