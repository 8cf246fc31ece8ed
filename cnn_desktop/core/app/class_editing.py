"""Editing a person's project's classes from the app: add, rename, re-key, merge, delete, restore.

The project does the edit on disk (core/projects/classes.py: drawings of a deleted class go to the
trash, nothing is lost). What the app adds is the model: the engine loads model files, and a version's
file names its classes, so after an edit that touches the outputs the model in use is carried over as
a new version, made current, with a reason saying what happened:

* a rename or a merge's survivor keeps its output row: the same weights under today's names (no
  retraining; a rename only changes what the outputs are called);
* a class added or restored gets a fresh output row, one deleted or merged away loses its row, and
  every other layer is kept exactly (``Project.adapted_model``, transfer.py): the new class's guesses
  mean nothing until the person retrains.

A key change touches no model. Built-in projects (Digits, Ticks & crosses) are not edited here: their
classes are fixed by their task (its bundled model, its generated test drawings, the command line's
``--preset``), so a changed class list would no longer match what the app ships for them.

Making the new version loads and saves a model (about 30 ms once the compute thread has imported
torch, measured), on the caller's thread; edits are refused while a run trains, whose model would
no longer fit the classes. Part of the Session, kept apart to be read on its own.
"""

from __future__ import annotations

from typing import Any, Callable

from cnn_desktop.core.app.project_modes import is_user_project, task_of_project
from cnn_desktop.core.errors import CnnDesktopError, shown

BUILTIN_CLASSES_FIXED = ("The classes of a built-in mode are fixed (its bundled model and generated test drawings "
                         "are made for them); make a project of your own to choose classes.")
CLASSES_CHANGED = "classes changed"  # the reason of a version carried over to new classes (versions.py)
NEW_OUTPUT_NOTE = "The learned layers are kept; only the output layer is new: retrain to use the new class."


class ClassEditing:
    """Mixed into Session: uses its task, project, run_state, events and _show_mode."""

    def can_edit_classes(self) -> str:
        """"" when the classes can be edited now, else the one line saying why not."""
        if not is_user_project(self.task):
            return BUILTIN_CLASSES_FIXED
        if self.project is None or self.project.read_only:
            return "This project is open read-only in this window; its classes cannot be changed here."
        if self.run_state.active:
            return "Stop the training first: its model is made for the classes as they are."
        return ""

    def trashed_classes(self) -> list[dict[str, Any]]:
        """The project's deleted classes (entry, name, key, deleted, drawings), oldest first."""
        if self.project is None or not is_user_project(self.task):
            return []
        try:
            return self.project.trash()
        except CnnDesktopError as error:
            self.problem.emit(str(error))
            return []

    # Each edit returns "" when done, else the one line saying why not (nothing changed): the class
    # editor shows it beside what the person typed, so it is not also sent to ``problem``.

    def add_class(self, name: str, key: str | None = None) -> str:
        return self._edit(lambda p: p.add_class(name, key), f"added class {shown(name)}", outputs_changed=True)

    def rename_class(self, class_id: str, new_name: str) -> str:
        old = self.display_name(class_id)
        return self._edit(lambda p: p.rename_class(old, new_name), f"renamed {shown(old)} to {shown(new_name)}")

    def set_class_key(self, class_id: str, key: str | None) -> str:
        return self._edit(lambda p: p.set_key(self.display_name(class_id), key), "", model=False)

    def merge_classes(self, source_id: str, target_id: str) -> str:
        source, target = self.display_name(source_id), self.display_name(target_id)
        return self._edit(lambda p: p.merge_classes(source, target), f"merged {shown(source)} into {shown(target)}",
                          outputs_changed=True)

    def delete_class(self, class_id: str) -> str:
        """The class and its drawings go to the project's trash (``restore_class`` brings them back)."""
        name = self.display_name(class_id)
        return self._edit(lambda p: p.delete_class(name), f"deleted class {shown(name)}", outputs_changed=True)

    def restore_class(self, entry: str) -> str:
        return self._edit(lambda p: p.restore_from_trash(entry), f"restored class from the trash ({entry})",
                          outputs_changed=True)

    def display_name(self, class_id: str) -> str:
        """The name a class is shown by (its id when it is no class of this mode)."""
        ids = tuple(self.task.class_ids) if self.task is not None else ()
        return self.task.classes[ids.index(class_id)] if class_id in ids else class_id

    # --- helpers ---

    def _edit(self, change: Callable, what: str, outputs_changed: bool = False, model: bool = True) -> str:
        refusal = self.can_edit_classes()
        if refusal:
            return refusal
        project = self.project
        try:
            change(project)
        except CnnDesktopError as error:
            return str(error)
        if model:
            self._carry_model_over(what, outputs_changed)
        self.task = task_of_project(project)
        self.store = project.store  # a new store: the classes it sorts drawings into changed
        self._show_mode()
        if outputs_changed:
            self.status.emit(NEW_OUTPUT_NOTE)
        return ""

    def _for_todays_classes(self, version: str) -> str:
        """``version`` itself, or, when it was made before the classes last changed (its outputs name
        other classes), a new version carrying it over to today's classes, as a class edit does: a
        renamed class keeps its row, a new one gets a fresh row, and every other layer is kept."""
        made_for = [(c.get("id"), c.get("name")) for c in self.project.record(version).get("classes") or []]
        if not made_for or made_for == [(c.id, c.name) for c in self.project.classes]:
            return version  # (a record without classes predates class edits: made for these)
        return self.project.add_version(self.project.adapted_model(version), reason=CLASSES_CHANGED, parent=version,
                                        note=f"{version} carried over to today's classes", make_current=False)

    def _carry_model_over(self, what: str, outputs_changed: bool) -> None:
        """The current version, for today's classes, as a new current version (see the docstring)."""
        project = self.project
        try:
            current = project.current_version()
            if current is None:
                return  # nothing trained yet: the next model is made for the classes as they are
            model = project.adapted_model(current)
            kept = "learned layers kept, new output layer" if outputs_changed else "same weights"
            project.add_version(model, reason=CLASSES_CHANGED, parent=current, note=f"{what} ({kept})")
        except CnnDesktopError as error:
            self.problem.emit(f"{error} (the classes were changed; the model could not be carried over)")
