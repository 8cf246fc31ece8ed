"""The session's side of projects: opening a mode's project, built-in or the person's own (read-only
when another window writes it), where a run's model waits before it becomes a version, and what the versions list shows.

A run's model is saved by the engine to ``<project>/models/.incoming-<n>.safetensors`` and imported
from there as a version. Such a file outlives a crash or a window closed mid-save; the next session
that opens the project for writing keeps it as a version (not current) and removes it.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from cnn_desktop.core.app.messages import UseModel
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.spec import ModelSpec
from cnn_desktop.core.projects.lock import LOCK_NAME, ProjectError
from cnn_desktop.core.projects.manifest import PROJECT_FILE
from cnn_desktop.core.projects.versions import MODEL_FILE, MODELS
from cnn_desktop.core.tasks import Task, collection_dir, user_model_path

if TYPE_CHECKING:  # projects load torch (model files): imported when a project is opened, not before
    from cnn_desktop.core.projects.project import Project

INCOMING_PREFIX = ".incoming-"
INCOMING_SUFFIX = ".safetensors"
READ_ONLY_NOTE = "opened read-only: drawings and training are off here"
_counter = itertools.count(1)


def migrate_old_home(home: Path, tasks) -> tuple[list[str], str]:
    """Move a home made before projects into projects (only when it still holds a collection or a
    model to move in): what was done, and a problem line ("" when none)."""
    if not any(collection_dir(t, home).exists() or user_model_path(t, home).exists() for t in tasks.values()):
        return [], ""
    from cnn_desktop.core.projects.migrate import migrate_home

    try:
        return migrate_home(home, tasks), ""
    except CnnDesktopError as error:
        return [], str(error)


def open_task_project(task: Task, home: Path, open_already: Sequence[Project] = ()) -> tuple[Project, str | None]:
    """The task's project (its own folder for a person's project, else the built-in one), for writing (one of ``open_already`` when it is among them);
    read-only, with the line saying why, when another window or process holds it. Raises
    ProjectError when it cannot be opened at all."""
    from cnn_desktop.core.projects.builtin import builtin_project_dir, open_or_create_builtin
    from cnn_desktop.core.projects.project import Project

    # A person's own project is opened where it is; a built-in one is made first when it is not there.
    folder = task.folder or builtin_project_dir(task, home)
    for project in open_already:
        if project.folder == folder and not project.read_only:
            return project, None
    try:
        return (Project.open(folder) if task.folder else open_or_create_builtin(task, folder)), None
    except ProjectError as error:
        if not (folder / PROJECT_FILE).is_file():
            raise
        reason = str(error)
    project = Project.open(folder, read_only=True)
    if "another window" in reason:
        pid = _holder(folder)
        return project, f"{folder}: open in another window{f' (pid {pid})' if pid else ''}; {READ_ONLY_NOTE}"
    return project, f"{reason}; {READ_ONLY_NOTE}"


def _holder(folder: Path) -> int | None:
    try:
        text = (folder / LOCK_NAME).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def incoming_path(project: Project) -> Path:
    """A new name for a run's model, inside the project (so the import is a copy on one disk)."""
    return project.folder / MODELS / f"{INCOMING_PREFIX}{os.getpid()}-{next(_counter)}{INCOMING_SUFFIX}"


def leftover_incoming(project: Project) -> list[Path]:
    """Run models a crash or a closed window left un-imported (oldest first by name)."""
    try:
        names = sorted(n for n in os.listdir(project.folder / MODELS)
                       if n.startswith(INCOMING_PREFIX) and n.endswith(INCOMING_SUFFIX))
    except OSError:
        return []
    return [project.folder / MODELS / n for n in names]


def keep_incoming(project: Project, path: Path, reason: str, make_current: bool, parent: str | None) -> str:
    """Import a run's saved model as the next version and remove the temp file; the version's name."""
    version = project.import_version(path, reason=reason, parent=parent, make_current=make_current)
    remove_quietly(path)
    return version


def remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def network_of(task: Task, project: Project | None) -> ModelSpec:
    """The network an untrained start of this project gets: the project's own (project.json), which the
    editor or ``train --project --arch`` may have changed since ``task`` was made (a built-in task's
    spec() is always the default network); the task's when there is no project, or it names other classes."""
    if project is not None and project.spec.classes == tuple(task.classes):
        return project.spec
    return task.spec()


def model_to_use(task: Task, project: Project | None) -> UseModel:
    """The project's current version, else the bundled model, else an untrained network (the project's)."""
    spec = network_of(task, project)
    bundled = task.bundled_model_path()  # None for a person's project: it ships with no model
    use_bundled = (UseModel(bundled, spec, f"bundled {task.title.lower()} model")
                   if bundled is not None and bundled.exists() else None)
    current = _current(project)
    if current is not None:
        name, reason, note = current
        label = (f"bundled {task.title.lower()} model" if reason == "bundled"
                 else f"a new project's start, {note} ({name})" if reason == "start"  # not trained yet
                 else f"a new network, not trained yet ({name})" if reason == "network changed"
                 else f"your trained model ({name})")
        path = project.folder / MODELS / name / MODEL_FILE
        return UseModel(path, spec, label, fallback=use_bundled if reason != "bundled" else None)
    return use_bundled or UseModel(None, spec, "untrained network")


def version_model(project: Project, name: str, task: Task, label: str = "") -> UseModel:
    return UseModel(project.folder / MODELS / name / MODEL_FILE, network_of(task, project), label or f"version {name}",
                    fallback_to_fresh=False)


def _current(project: Project | None) -> tuple[str, str, str] | None:
    """The current version's name, reason and note."""
    if project is None:
        return None
    try:
        name = project.current_version()
        if not name:
            return None
        record = project.record(name)
        return name, record.get("reason", ""), record.get("note") or ""
    except CnnDesktopError:
        return None


def version_rows(project: Project | None) -> tuple[list[dict[str, Any]], str]:
    """What the versions list shows, newest first: version, date, reason, validation accuracy (or
    None), whether current; and a problem line when the list cannot be read."""
    if project is None:
        return [], ""
    try:
        records, current = project.versions(), project.current_version()
    except CnnDesktopError as error:
        return [], str(error)
    rows = []
    for record in reversed(records):
        validation = record.get("validation") or {}
        rows.append({"version": record.get("version"), "date": str(record.get("date") or ""),
                     "reason": record.get("reason", ""), "note": record.get("note") or "",
                     "accuracy": validation.get("accuracy"), "measured": validation.get("method") or "holdout",
                     "current": record.get("version") == current})
    return rows, ""
