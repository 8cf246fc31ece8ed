"""One file job (an export, a project zip) in a plain thread, reported as one line.

Exports and project zips read and write files and never touch the engine's model, so they run in a
thread of their own; the outcome comes back through a Qt signal (queued to the window's thread) as
(succeeded, one line for the person). Every failure becomes that line: a bug in a thread would
otherwise vanish.
"""

from __future__ import annotations

import threading
from typing import Callable

from PySide6.QtCore import SignalInstance

from cnn_desktop.core.errors import CnnDesktopError, describe_error


def run_in_thread(work: Callable[..., str], args: tuple, finished: SignalInstance, name: str,
                  what: str) -> threading.Thread:
    """Start ``work(*args)``, which returns the success line; ``what`` names the job in a bug's line."""
    def run() -> None:
        try:
            finished.emit(True, work(*args))
        except CnnDesktopError as error:
            finished.emit(False, str(error))
        except Exception as error:  # noqa: BLE001 - a bug must reach the person, not vanish in a thread
            finished.emit(False, f"{what} failed: {type(error).__name__}: {describe_error(error)}")

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
