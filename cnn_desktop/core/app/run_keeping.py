"""What becomes of a run's model: the engine saves it inside the task's project, and it is imported
from there as a version (save_policy.py says which runs, and which become current). A stopped run
waits for the person's answer (``run_stopped_keep``); one left behind by a switch of task or by
closing is kept as a version, not current. Part of the Session, kept apart to be read on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cnn_desktop.core.app.messages import ModelSaved, SaveModel, StopTraining
from cnn_desktop.core.app.project_use import (
    incoming_path, keep_incoming, leftover_incoming, model_to_use, remove_quietly,
)
from cnn_desktop.core.app.save_policy import Keep
from cnn_desktop.core.errors import CnnDesktopError


if TYPE_CHECKING:
    from cnn_desktop.core.projects.project import Project


class RunKeeping:
    """Mixed into Session: uses its project, task, _submit, _incoming, _asking and events."""

    def keep_stopped_run(self, token: Path, use: bool) -> None:
        """The answer to ``run_stopped_keep``: keep the stopped run as a version, current if ``use``
        (else the current version is loaded again)."""
        if token not in self._asking:
            return
        project, parent = self._asking.pop(token)
        self._import(project, token, Keep("stopped early", use), parent)
        if not use and project is self.project:
            self._submit(model_to_use(self.task, project))

    def discard_stopped_run(self, token: Path) -> None:
        if token not in self._asking:
            return
        project, _ = self._asking.pop(token)
        remove_quietly(token)
        self.status.emit("The stopped run was discarded.")
        if project is self.project:
            self._submit(model_to_use(self.task, project))
        self._close_if_done(project)

    def _keep(self, keep: Keep | None, stop: bool = False) -> None:
        """Have the engine save the model it has into the project; ``_model_saved`` imports it."""
        if stop and keep is not None:
            self._submit(StopTraining())  # the engine takes commands in order: stop, save, then load
        if keep is None or self.project is None or self.read_only:
            return
        path = incoming_path(self.project)
        self._incoming[path] = (self.project, keep, self._run_parent)
        self._submit(SaveModel(path))

    def _model_saved(self, message: ModelSaved) -> None:
        if message.path not in self._incoming:
            self.model_saved.emit(message.path)
            return
        project, keep, parent = self._incoming.pop(message.path)
        if keep.ask and project is self.project:
            self._asking[message.path] = (project, parent)
            self.run_stopped_keep.emit(message.path)
        else:
            self._import(project, message.path, keep, parent)

    def _save_refused(self, line: str) -> None:
        """The engine could not save a run's model (its line names the file): nothing to import."""
        for path in [p for p in self._incoming if line.startswith(f"{p}: ")]:
            project, _, _ = self._incoming.pop(path)
            self._close_if_done(project)

    def _import(self, project: Project, path: Path, keep: Keep, parent: str | None) -> None:
        try:
            version = keep_incoming(project, path, keep.reason, keep.make_current, parent)
        except CnnDesktopError as error:
            self.problem.emit(f"{error} (the run's model stays in {path})")
        else:
            self.status.emit(f"Kept as version {version}" + (", now in use." if keep.make_current else "."))
            if project is self.project:
                self._versions_changed()
        self._close_if_done(project)

    def _close_if_done(self, project: Project) -> None:
        """A project left behind by a switch is closed once no save for it is on its way."""
        busy = [p for p, _, _ in self._incoming.values()] + [p for p, _ in self._asking.values()]
        if project is not self.project and project not in busy:
            project.close()

    def _leave_project(self) -> None:
        old, self.project = self.project, None
        if old is not None:
            for token in [t for t, (p, _) in self._asking.items() if p is old]:
                project, parent = self._asking.pop(token)
                self._import(project, token, Keep("stopped early", False), parent)
            self._close_if_done(old)

    def _keep_leftovers(self) -> None:
        """Run models an earlier window saved but never imported: kept as versions, not current."""
        if self.project is None or self.read_only:
            return
        for path in leftover_incoming(self.project):
            if path not in self._incoming and path not in self._asking:
                self._import(self.project, path, Keep("stopped early", False), None)
