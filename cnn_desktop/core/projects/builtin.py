"""The built-in projects, Digits and Ticks & crosses, made from the tasks of tasks.py.

Each is an ordinary project in ``<home>/projects/<task name>/``: the task's classes (their names are
also their folder ids, as in the old collections), keys, network and the app's training settings,
with the bundled model copied in, byte for byte, as version v0001 "bundled". Copying it (250 kB) makes
the project whole on its own: other tools find the model in it, a version trained from it names it as
its parent, and a later upgrade of the app's bundled model does not change what the person's project
was using.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from cnn_desktop.core.atomic import STALE_TEMP_SECONDS, TEMP_NAME
from cnn_desktop.core.data.home import data_home
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.projects.manifest import PROJECT_FILE
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.tasks import Task

PROJECTS = "projects"


def projects_dir(home: Path | None = None) -> Path:
    return (home or data_home()) / PROJECTS


def builtin_project_dir(task: Task, home: Path | None = None) -> Path:
    return projects_dir(home) / task.name


def open_or_create_builtin(task: Task, folder: Path) -> Project:
    """The task's project in ``folder``, opened for writing; made first if it is not there. A project
    made but left without its bundled version (a crash in between) gets it now."""
    if not (folder / PROJECT_FILE).exists():
        _remove_stale_creations(folder)
        try:
            Project.create(folder, task.title, task.classes, task.keys, task.spec(), task.app_train_config).close()
        except CnnDesktopError:
            if not (folder / PROJECT_FILE).exists():
                raise
            # another process (a second window starting) made it meanwhile: use that one
    project = Project.open(folder)
    try:
        versions = project.versions()
        if not versions and task.bundled_model_path().is_file():
            # Header only: checking the weights would load torch on the window's thread at the first start
            # (about 2 s before the first frame); the engine checks the file fully when it loads it.
            project.import_version(task.bundled_model_path(), reason="bundled", parent=None, check_weights=False)
        elif [r["reason"] for r in versions] == ["bundled"] and project.current_version() is None:
            project.make_current(versions[0]["version"])  # a crash came between writing it and this
    except BaseException:
        project.close()
        raise
    return project


def _remove_stale_creations(folder: Path) -> None:
    """Temp folders of creations of this project that crashed (old enough to be nobody's work)."""
    too_old = time.time() - STALE_TEMP_SECONDS
    try:
        names = [n for n in os.listdir(folder.parent) if TEMP_NAME.match(n) and n.startswith(f".{folder.name}.")]
    except OSError:
        return
    for name in names:
        path = folder.parent / name
        try:
            if path.is_dir() and not path.is_symlink() and path.stat().st_mtime < too_old:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass
