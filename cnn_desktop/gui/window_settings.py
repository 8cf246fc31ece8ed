"""What the window remembers between launches: where the person put the docks, and whether the
first-run hint was dismissed.

Kept in ``<data home>/window.ini`` (QSettings' INI format) rather than QSettings' default place
(~/.config/... or the Windows registry): it lives beside the person's projects, goes with them when the
data folder moves, and each test's private data home keeps tests from reading or changing a real one.
QSettings writes the file through a temporary and a rename, and locks it, so two windows saving at
once leave one whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

SETTINGS_FILE = "window.ini"
# Saved with the dock layout and checked when it is restored: raise it when docks are added, removed
# or renamed, so that a layout saved by an older release (which knows nothing of a new dock) is not
# applied and the window starts from its built layout instead.
LAYOUT_VERSION = 1


def window_settings(home: Path) -> QSettings:
    return QSettings(str(Path(home) / SETTINGS_FILE), QSettings.Format.IniFormat)


class LayoutMemory:
    """Saves the window's geometry and dock layout on close, restores them at launch, and puts the
    docks back as built on request (View > Reset layout)."""

    def __init__(self, window: QMainWindow, settings: QSettings, arrange: Callable[[], None]) -> None:
        self._window = window
        self._settings = settings
        self._arrange = arrange  # builds the default layout; called again to reset it

    def restore(self) -> bool:
        """Apply the saved layout; False (and the built layout kept) when there is none or it does
        not fit this release: a damaged or foreign file is not worth a message, only ignored."""
        geometry, state = self._settings.value("window/geometry"), self._settings.value("window/layout")
        if not isinstance(state, QByteArray) or state.isEmpty():
            return False
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self._window.restoreGeometry(geometry)
        if self._window.restoreState(state, LAYOUT_VERSION):
            return True
        self._arrange()  # a half-applied state would be worse than none
        return False

    def save(self) -> None:
        self._settings.setValue("window/geometry", self._window.saveGeometry())
        self._settings.setValue("window/layout", self._window.saveState(LAYOUT_VERSION))
        self._settings.sync()

    def reset(self) -> None:
        """Every dock back where the window puts it at first launch, shown and docked again."""
        self._arrange()
        self.save()
