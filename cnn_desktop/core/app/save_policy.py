"""Which models are kept as versions of the task's project, and which become current (the model
loaded at the next launch). Nothing is ever overwritten: every kept model is a new version.

The whole rule, in one place:
- a training run this task started that finished is kept as a version, "trained", and made current
  (a quick fix, core/app/quick_fix.py, likewise as "quick fix");
- a run the person stopped is kept as a version, "stopped early", but made current only if the
  person says so (the session asks: keep and use it, keep it as a version only, or discard it);
- a run interrupted by switching task or closing the window is kept at once as a version
  "stopped early" of the project it trained for, not current, and nobody is asked;
- a failed run was rolled back by the engine and is not kept;
- a model file the person opens is imported as a version "imported" and made current (a refused
  file changes nothing: the import checks it before anything is written);
- nothing else is kept: bundled and untrained models stay as they are.

Each method answers "keep now, and how?"; the session then has the engine save the model and
imports it. Kept apart from the session so that the rule can be read, and tested, without an engine,
a window or torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_desktop.core.app.run_state import RunState


@dataclass(frozen=True)
class Keep:
    reason: str  # the version's reason ("trained", "stopped early")
    make_current: bool
    ask: bool = False  # ask the person whether to use it (then make it current) or discard it


FINISHED_RUN = Keep("trained", make_current=True)
STOPPED_RUN = Keep("stopped early", make_current=False, ask=True)
INTERRUPTED_RUN = Keep("stopped early", make_current=False)
OPENED_FILE = Keep("imported", make_current=True)


class SavePolicy:
    def __init__(self) -> None:
        self._run_pending = False  # a run this task started, not yet ended
        self._finished = FINISHED_RUN  # how that run is kept if it finishes

    def run_started(self, reason: str = FINISHED_RUN.reason) -> None:
        """A run starts; ``reason`` names the version it makes when it finishes ("quick fix", say)."""
        self._run_pending = True
        self._finished = Keep(reason, make_current=True)

    def run_ended(self, state: RunState) -> Keep | None:
        """The engine says a run ended (it has already announced the model the run left)."""
        pending, self._run_pending = self._run_pending, False
        if not pending:
            return None
        return {RunState.FINISHED: self._finished, RunState.STOPPED: STOPPED_RUN}.get(state)

    def interrupted(self, training: bool) -> Keep | None:
        """Switching task or closing while a run trains: keep what it trained now, and not again
        when its end is reported (by then the session belongs to another task, or is gone)."""
        self._run_pending = False
        return INTERRUPTED_RUN if training else None

    def file_opened(self) -> Keep:
        return OPENED_FILE
