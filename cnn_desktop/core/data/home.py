"""Where the app keeps a person's collections, models and downloads.

Everything lives under one folder: the platform's user-data folder (platformdirs), or
``CNN_DESKTOP_HOME`` when set (tests, portable installs, a teacher's USB stick).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_home() -> Path:
    override = os.environ.get("CNN_DESKTOP_HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir("cnn-desktop", appauthor=False))
