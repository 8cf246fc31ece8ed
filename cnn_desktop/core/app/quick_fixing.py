"""The session's part of the quick fix (core/app/quick_fix.py): noticing a label key that corrected the
network, offering to teach it, and starting the fine-tune in the engine. Part of the Session, kept apart
to be read on its own, as class_editing and network_editing are."""

from __future__ import annotations

import numpy as np

from cnn_desktop.core.app.messages import Prediction, QuickFix
from cnn_desktop.core.app.project_modes import is_user_project
from cnn_desktop.core.app.quick_fix import QUICK_FIX_STEPS, replay_source
from cnn_desktop.core.app.run_state import RunState


class QuickFixing:
    """Mixed into ``Session``: uses its task, store, signals, run state and save policy."""

    def _notice_correction(self, label: str, raster: np.ndarray, shown: Prediction | None) -> None:
        """After a label key stored ``raster`` as ``label``: when the network's answer on screen was
        wrong or borderline, remember the drawing and offer to teach it (``quick_fix_offered``)."""
        if shown is None or label not in self.task.class_ids:
            return
        offer = self.quick_fixes.noticed(self.task.class_ids.index(label), raster, shown.probabilities,
                                         self.task.classes)
        if offer is not None:
            self.quick_fix_offered.emit(offer)

    def start_quick_fix(self, steps: int = QUICK_FIX_STEPS) -> bool:
        """Fine-tune the model in use on the corrections noticed, in the engine (quick_fix.py); the
        result is kept as a new version, "quick fix", and made current. False when it cannot start."""
        if not self.quick_fixes.corrections or self.store is None or not self.writable("the quick fix"):
            return False
        if self.run_state.active or self.run_state is RunState.STARTING:
            self.status.emit("Training is running: the quick fix can start once it ends.")
            return False
        replay = replay_source(None if is_user_project(self.task) else self.task.name)
        plan = self.quick_fixes.plan(replay, self.store.root, tuple(self.task.class_ids), steps=steps)
        self.quick_fix_offered.emit(None)
        self._run_parent = self._current_version()
        self._from_scratch = False
        self._save_policy.run_started("quick fix")
        self._set_run_state(RunState.STARTING)
        self._submit(QuickFix(plan))
        return True
