"""A person's new project and the network it starts with: the learned layers of the digits model, or none.

Where a new project's first version comes from is the one choice that matters most with ten drawings a
class (``benchmarks/SMALL_DATA.md``): from the bundled digits model's learned layers (every layer but
the output copied, a fresh output layer for the person's classes) four shapes were told apart 99.9% of
the time on average, against 93.0% from random weights. So that start is the default, and the first
version records which start it was, so that a version list always says where a model came from.

Its training settings are ``SMALL_DATA_TRAIN_CONFIG``, chosen in the same study for ten drawings a class
(the project's own, changeable like any project's; the training controls start from them).

Where a person's projects live: ``<home>/projects/<folder>``, beside the built-in projects, in a folder
named after the project (made safe for every system, and never one that exists already).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from cnn_desktop.core.errors import CnnDesktopError, at
from cnn_desktop.core.projects.builtin import projects_dir
from cnn_desktop.core.projects.lock import ProjectError
from cnn_desktop.core.projects.manifest import new_class_id
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.tasks import TASKS


@dataclass(frozen=True)
class StartPoint:
    key: str
    label: str  # what the new-project dialog offers
    note: str  # the first version's note (its reason is "start"), shown in the versions list


FROM_DIGITS = StartPoint("digits-layers", "From the digits model's learned layers (recommended)",
                         "learned layers of the bundled digits model")
FROM_SCRATCH = StartPoint("scratch", "From scratch", "untrained network (from scratch)")
START_REASON = "start"
START_POINTS = (FROM_DIGITS, FROM_SCRATCH)
# The measurement behind the default, in one line for the dialog (benchmarks/SMALL_DATA.md, 10 a class).
START_ADVICE = ("With 10 drawings a class, starting from the digits model's layers reached 99.9% on average, "
                "from scratch 93.0% (benchmarks/SMALL_DATA.md).")
# Seeds the fresh output layer (or the whole untrained network): the same project made twice starts the same.
START_SEED = 0


def user_projects_dir(home: Path | None = None) -> Path:
    """Where new projects go unless the person picks another folder (the built-in ones live there too)."""
    return projects_dir(home)


def folder_for(name: str, parent: Path) -> Path:
    """A new folder in ``parent`` for a project named ``name``: the name made safe on every system,
    numbered when a file or folder of that name (ignoring case) is already there. Never an existing one."""
    try:
        taken = os.listdir(parent)
    except OSError:
        taken = []
    taken += [task.name for task in TASKS.values()]  # the built-in projects' folders, made or not yet
    return parent / new_class_id(name.strip() or "project", taken)


def create_project(folder: Path, name: str, classes: Sequence[str], keys: Sequence[str | None] | None = None,
                   start: StartPoint = FROM_DIGITS) -> Path:
    """Make the project (``Project.create``: absent or empty folder, checked, atomic) with its first
    version from ``start``, made current; the project is closed again. Returns its folder.

    Loads torch (a model is built and saved): call it off the window's thread. A start that cannot be
    made (no bundled digits model) leaves no project behind and raises one line naming the file."""
    folder = Path(folder)
    if os.path.lexists(folder):  # Project.create accepts an empty folder; the app never reuses one
        raise ProjectError(at(folder, "already exists; a new project needs a new folder"))
    from cnn_desktop.core.training.small_data import SMALL_DATA_TRAIN_CONFIG  # torch: not before it is needed

    model = None
    if start is FROM_DIGITS:
        model = _digits_source()  # before anything is written: a missing model leaves no half project
    with Project.create(folder, name, classes, keys, config=SMALL_DATA_TRAIN_CONFIG) as project:
        try:
            project.add_version(_first_network(project, model), reason=START_REASON, parent=None,
                                    note=start.note)
        except BaseException:
            project.close()
            _remove_new_project(folder)
            raise
    return folder


def _digits_source():
    from cnn_desktop.core.network.checkpoint import load_model

    path = TASKS["digits"].bundled_model_path()
    if not path.is_file():
        raise CnnDesktopError(at(path, "no bundled digits model to start from; choose \"From scratch\""))
    return load_model(path).model


def _first_network(project: Project, digits_model):
    if digits_model is None:
        from cnn_desktop.core.network.model import build_model

        return build_model(project.spec, seed=START_SEED)
    from cnn_desktop.core.training.small_data import model_from_learned_layers

    return model_from_learned_layers(digits_model, project.class_names, seed=START_SEED)


def _remove_new_project(folder: Path) -> None:
    """Undo a creation whose first version failed: only what create_project itself just made."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
