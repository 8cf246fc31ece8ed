"""Homes made before projects: ``collections/<task>/`` and ``models/<task>.safetensors`` become
``projects/<task>/``, without losing anything.

For each task, in steps that a second run (after a crash, a power cut, a full disk) simply finishes:

1. the built-in project is made, with the bundled model as v0001 (builtin.py);
2. every drawing of the old collection is copied byte for byte (same id, same PNG, strokes and all)
   to ``drawings/<class>/``; a label the task does not have goes to the trash as a restorable class;
   every copy is then compared with its original, and only then is the old folder renamed
   ``<task>.migrated`` (it stays, as it was, until the person deletes it);
3. the person's trained model is copied byte for byte as a version "migrated", made current, checked
   against the original, and the old file renamed ``<task>.safetensors.migrated``.

Files the old collection could not read (damaged PNGs) are not copied; they stay in the renamed old
folder and the report says so. A model file that cannot be read is left where it is, under its name.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from cnn_desktop.core.atomic import fsync_folder, write_atomically
from cnn_desktop.core.data.home import data_home
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.errors import CnnDesktopError, at
from cnn_desktop.core.projects.builtin import builtin_project_dir, open_or_create_builtin
from cnn_desktop.core.projects.classes import TRASH, TRASH_FORMAT, TRASH_INFO
from cnn_desktop.core.projects.lock import ProjectError
from cnn_desktop.core.projects.project import DRAWINGS, Project
from cnn_desktop.core.projects.versions import MODEL_FILE, MODELS
from cnn_desktop.core.tasks import TASKS, Task, collection_dir, user_model_path

MIGRATED = ".migrated"


def migrate_home(home: Path | None = None, tasks: Mapping[str, Task] = TASKS) -> list[str]:
    """Make every task's project, moving an old home's drawings and models into it. Returns one line
    per thing done or left alone (empty when there was nothing to do); safe to run at every start."""
    home = Path(home) if home else data_home()
    report: list[str] = []
    for task in tasks.values():
        folder = builtin_project_dir(task, home)
        made = not folder.exists()
        try:
            with open_or_create_builtin(task, folder) as project:
                if made:
                    report.append(f"{folder}: made the project {task.title}")
                report += _drawings(project, collection_dir(task, home))
                report += _model(project, user_model_path(task, home))
        except OSError as error:  # a full disk, a folder made read-only: the next run finishes
            raise ProjectError(at(folder, f"moving the old drawings and model in stopped "
                                          f"({error.strerror or error}); nothing was lost, and the "
                                          "next start finishes it")) from None
    return report


def _drawings(project: Project, old: Path) -> list[str]:
    if not old.is_dir():
        return []
    source = DrawingStore(old, project.class_ids, read_only=True)  # the old folder is only read
    examples = source.examples()
    skipped = list(source.problems)  # damaged files: unreadable here too, so they stay in the old folder
    copies = [(example.path, _destination(project, example.label) / example.path.name) for example in examples]
    for original, copy in copies:
        data = original.read_bytes()
        if not copy.exists():
            write_atomically(copy, data, sync_folder=False)
        elif copy.read_bytes() != data:
            raise ProjectError(at(copy, f"differs from {original}, which has the same id; nothing was moved"))
    for folder in {copy.parent for _, copy in copies}:
        fsync_folder(folder)
    for original, copy in copies:  # read back from the disk before the old folder is set aside
        if _digest(copy) != _digest(original):
            raise ProjectError(at(copy, f"does not match {original} after copying; the old folder stays"))
    renamed = _set_aside(old)
    lines = [f"{project.folder}: moved in {len(copies)} drawings from {old} (kept as {renamed})"]
    return lines + [f"{line} (not copied; it stays in {renamed})" for line in skipped]


def _destination(project: Project, label: str) -> Path:
    """Where a drawing of ``label`` goes: its class's folder, or a trash entry for a label the task
    does not have (found again by a second run, so that nothing is copied twice)."""
    if label in project.class_ids:
        folder = project.folder / DRAWINGS / label
        folder.mkdir(exist_ok=True)
        return folder
    trash = project.folder / TRASH
    for entry in project.trash():
        info = trash / entry["entry"] / TRASH_INFO
        try:
            note = json.loads(info.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(note, dict) and note.get("migrated") and note.get("id") == label:
            return trash / entry["entry"]
    now = datetime.now(timezone.utc)
    entry = trash / f"{now.strftime('%Y%m%dT%H%M%SZ')}-{label}"
    temp = trash / f".{entry.name}.{secrets.token_hex(4)}.tmp"
    note = {"format": TRASH_FORMAT, "version": 1, "id": label, "name": label[:40], "key": None, "index": None,
            "deleted": now.isoformat(timespec="seconds"), "migrated": True}
    trash.mkdir(exist_ok=True)
    temp.mkdir()
    write_atomically(temp / TRASH_INFO, (json.dumps(note, indent=2) + "\n").encode(), sync_folder=False)
    os.rename(temp, entry)  # with its note, or not at all: a second run finds it by the note
    fsync_folder(trash)
    return entry


def _model(project: Project, old: Path) -> list[str]:
    if not old.is_file():
        return []
    digest = _digest(old)
    version = next((r["version"] for r in project.versions() if r.get("reason") == "migrated"
                    and isinstance(r.get("source"), dict) and r["source"].get("sha256") == digest), None)
    if version is None:
        try:
            version = project.import_version(old, reason="migrated", parent=None)
        except CnnDesktopError as error:  # damaged, or made for other classes: left as it is
            return [f"{error} (left where it is)"]
    elif project.current_version() != version:
        project.make_current(version)  # an earlier run stopped between writing it and making it current
    if _digest(project.folder / MODELS / version / MODEL_FILE) != digest:
        raise ProjectError(at(project.folder / MODELS / version, f"does not match {old}; the old model stays"))
    renamed = _set_aside(old)
    return [f"{project.folder}: your trained model is now version {version} (the old file is kept as {renamed})"]


def _set_aside(path: Path) -> Path:
    """Rename ``path`` to ``<name>.migrated`` (``.migrated-2``... if taken): kept, but no longer used."""
    target, number = path.with_name(path.name + MIGRATED), 2
    while os.path.lexists(target):
        target, number = path.with_name(f"{path.name}{MIGRATED}-{number}"), number + 1
    os.rename(path, target)
    fsync_folder(path.parent)
    return target


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
