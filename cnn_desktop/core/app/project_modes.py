"""A person's own project as a mode of the app, beside the built-in Digits and Ticks & crosses.

The session and every view work with a Task: classes, keys, hint, network, training defaults. A
project of one's own is described the same way by ``ProjectTask``, built from its project.json, so
that no view needs to know which kind of mode it shows. Two things only a project has:

* ``class_ids``: the folder of each class under ``drawings/``. Drawings are labelled by id; buttons,
  guesses and the network's outputs use the display names (``classes``), which may be renamed freely.
  A built-in task's ids are its class names (``Task.class_ids``).
* ``folder``: where the project is; it is also the mode's key (``mode_key``), since two projects in
  different folders may share a name.

Which projects the mode selector lists: the folders under ``<home>/projects/`` holding a project.json
(the built-in ones apart), and the projects opened recently from elsewhere (``recent-projects.json`` in
the home, written atomically; a folder that has gone since is left out, not an error).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cnn_desktop.core.atomic import write_atomically
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.spec import ModelSpec, TrainConfig
from cnn_desktop.core.projects.builtin import projects_dir
from cnn_desktop.core.projects.manifest import PROJECT_FILE, Manifest, read_manifest
from cnn_desktop.core.tasks import TASKS, Task

RECENT_FILE = "recent-projects.json"
MAX_RECENT = 10
_HINT_NAMES = 4  # more classes than this, and the canvas hint names none of them


@dataclass(frozen=True)
class ProjectTask:
    """A project described as a task (see the module's docstring); read by the session and the views."""

    folder: Path
    title: str  # the project's name
    classes: tuple[str, ...]  # display names, in output order
    class_ids: tuple[str, ...]  # folder names under drawings/, in the same order
    keys: tuple[str | None, ...]
    app_train_config: TrainConfig  # the project's own training settings
    network: ModelSpec = field(repr=False)

    @property
    def name(self) -> str:
        """A file-name stem for what is saved from this mode (exports, Save model as)."""
        return self.folder.name

    @property
    def mode_key(self) -> str:
        return str(self.folder)

    @property
    def hint(self) -> str:
        return canvas_hint(self.classes)

    def spec(self) -> ModelSpec:
        return self.network

    def bundled_model_path(self) -> None:
        return None  # a person's project ships with no model: its versions are its own


def project_task(folder: Path, manifest: Manifest) -> ProjectTask:
    return ProjectTask(Path(folder), manifest.name, tuple(c.name for c in manifest.classes),
                       tuple(c.id for c in manifest.classes), tuple(c.key for c in manifest.classes),
                       manifest.config, manifest.spec)


def task_of_project(project) -> ProjectTask:
    """The task of an open Project, as its project.json stands now (after a class edit, say)."""
    return ProjectTask(project.folder, project.name, project.class_names, project.class_ids, project.keys,
                       project.config, project.spec)


def read_project_task(folder: Path) -> ProjectTask:
    """The task of the project in ``folder`` (reads only its project.json); ProjectError if it is none."""
    return project_task(folder, read_manifest(Path(folder)))


def is_user_project(task: Task | ProjectTask | None) -> bool:
    return isinstance(task, ProjectTask)


def canvas_hint(classes: tuple[str, ...]) -> str:
    if len(classes) > _HINT_NAMES:
        return f"Draw one of your {len(classes)} classes here"
    return f"Draw {', '.join(classes[:-1])} or {classes[-1]} here"


# --- which projects the mode selector lists ------------------------------------------------------------


@dataclass(frozen=True)
class KnownProject:
    folder: Path
    title: str


def known_projects(home: Path) -> list[KnownProject]:
    """The person's projects: those in ``<home>/projects/`` (by name), then recent ones from elsewhere.
    A folder whose project.json cannot be read is left out (opening it says why)."""
    found: dict[Path, KnownProject] = {}
    builtin = {task.name for task in TASKS.values()}
    parent = projects_dir(home)
    try:
        entries = sorted(e.name for e in os.scandir(parent) if e.is_dir() and not e.name.startswith("."))
    except OSError:
        entries = []
    for folder in [parent / n for n in entries if n not in builtin] + read_recent(home):
        if folder.resolve() in found or not (folder / PROJECT_FILE).is_file():
            continue
        try:
            found[folder.resolve()] = KnownProject(folder, read_manifest(folder).name)
        except CnnDesktopError:
            continue
    return list(found.values())


def read_recent(home: Path) -> list[Path]:
    """Recently opened project folders, newest first; an unreadable list is an empty one."""
    try:
        data = json.loads((Path(home) / RECENT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    folders = data.get("projects") if isinstance(data, dict) else None
    return [Path(f) for f in folders if isinstance(f, str) and f][:MAX_RECENT] if isinstance(folders, list) else []


def remember_recent(home: Path, folder: Path) -> None:
    """Put ``folder`` first in the recent list. Best effort: a home that cannot be written loses nothing
    but the list, so a failure is silent."""
    folder = Path(folder).resolve()
    folders = [folder] + [f for f in read_recent(home) if f.resolve() != folder]
    data = {"format": "cnn-desktop-recent-projects", "version": 1, "projects": [str(f) for f in folders[:MAX_RECENT]]}
    try:
        Path(home).mkdir(parents=True, exist_ok=True)
        write_atomically(Path(home) / RECENT_FILE, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    except OSError:
        pass
