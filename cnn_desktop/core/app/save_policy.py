"""When the model in use becomes the person's own model of a task (the file loaded at the next launch).

The whole rule, in one place:
- a training run this task started, that finished or was stopped by the person, is saved when it ends
  (a failed run was rolled back by the engine and is not);
- a run interrupted by switching task or closing the window is saved at once, under the task it
  trained for, before anything else happens;
- a model file the person opened is saved as theirs once it has loaded (a refused file changes
  nothing);
- nothing else is ever saved: bundled and untrained models stay as they are.

Each method answers "save now?"; the session then asks the engine to save. Kept apart from the session
so that the rule can be read, and tested, without an engine, a window or torch.
"""

from __future__ import annotations

from pathlib import Path

from cnn_desktop.core.app.messages import ModelOrigin
from cnn_desktop.core.app.run_state import RunState


class SavePolicy:
    def __init__(self) -> None:
        self._run_pending = False  # a run this task started, not yet ended
        self._opened: Path | None = None  # a file the person opened, not yet loaded

    def run_started(self) -> None:
        self._run_pending = True

    def run_ended(self, state: RunState) -> bool:
        """The engine says a run ended (it has already announced the model the run left)."""
        pending, self._run_pending = self._run_pending, False
        return pending and state in (RunState.FINISHED, RunState.STOPPED)

    def interrupted(self, training: bool) -> bool:
        """Switching task or closing while a run trains: save what it trained now, and not again
        when its end is reported (by then the session belongs to another task, or is gone)."""
        self._run_pending = False
        self._opened = None
        return training

    def file_opened(self, path: Path) -> None:
        self._opened = path

    def model_loaded(self, origin: str, path: Path | None) -> bool:
        """A model became current: save it if it is the file the person opened."""
        if origin == ModelOrigin.FILE and path is not None and path == self._opened:
            self._opened = None
            return True
        return False

    def open_refused(self) -> None:
        self._opened = None
