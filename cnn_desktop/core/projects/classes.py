"""Classes are the person's: add, rename, re-key, merge, delete (into a restorable trash), restore.

A rename changes the display name only: the class keeps its output index and its folder, so the
trained model stays valid. Adding, merging or deleting a class changes the network's output layer;
``Project.adapted_model`` then carries a trained version over (transfer.py).

Order of the steps on disk, so that a crash never loses a drawing and never leaves drawings in a
folder that project.json does not list (the store would take it for a class the network lacks):
delete moves the folder to the trash first, then rewrites project.json; restore rewrites project.json
first (an empty class), then moves the folder back; merge moves the drawings one by one (a second
merge finishes an interrupted one), puts whatever could not be moved into the trash, then rewrites
project.json. Trash layout: ``trash/<UTC time>-<class id>/`` holds the class's PNGs as they were,
and ``class.json`` (``{"format": "cnn-desktop-trashed-class", "version": 1, "id", "name", "key",
"index", "deleted"}``).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any

from cnn_desktop.core.atomic import fsync_folder, write_atomically
from cnn_desktop.core.errors import at, shown
from cnn_desktop.core.projects.lock import ProjectError
from cnn_desktop.core.projects.manifest import (
    MAX_CLASSES, MIN_CLASSES, ProjectClass, check_class_name, check_key, free_key, is_folder_name, new_class_id,
)

TRASH = "trash"
TRASH_INFO = "class.json"
TRASH_FORMAT = "cnn-desktop-trashed-class"


class ClassEdits:
    """Mixed into Project, which provides folder, classes, _manifest, store, _save_manifest, _check_writable."""

    def find_class(self, which: str) -> ProjectClass:
        """A class by its display name (or, failing that, its folder id)."""
        for c in self.classes:
            if c.name == which:
                return c
        for c in self.classes:
            if c.id == which:
                return c
        raise ProjectError(at(self.folder, f"no class {shown(which)}"))

    def add_class(self, name: str, key: str | None = None) -> ProjectClass:
        """A new class at the end of the outputs; without ``key``, one is chosen from its name."""
        self._check_writable("add a class")
        check_class_name(self.folder, name)
        if len(self.classes) >= MAX_CLASSES:
            raise ProjectError(at(self.folder, f"a project has at most {MAX_CLASSES} classes"))
        key = check_key(self.folder, key) or free_key(name, [c.key for c in self.classes])
        new = ProjectClass(new_class_id(name, self._taken_ids()), name, key)
        self._save_manifest(self._manifest.with_classes([*self.classes, new]), "add a class")
        return new

    def rename_class(self, which: str, new_name: str) -> ProjectClass:
        """A new display name; the output index and the drawings' folder stay (no retraining)."""
        self._check_writable("rename a class")
        old = self.find_class(which)
        renamed = ProjectClass(old.id, check_class_name(self.folder, new_name), old.key)
        self._replace(old, renamed, "rename a class")
        return renamed

    def set_key(self, which: str, key: str | None) -> ProjectClass:
        """The key that labels a drawing as this class; None for none."""
        self._check_writable("change a key")
        old = self.find_class(which)
        changed = ProjectClass(old.id, old.name, check_key(self.folder, key))
        self._replace(old, changed, "change a key")
        return changed

    def merge_classes(self, source: str, target: str) -> None:
        """The drawings of ``source`` become ``target``'s, and ``source`` is removed."""
        self._check_writable("merge classes")
        a, b = self.find_class(source), self.find_class(target)
        if a == b:
            raise ProjectError(at(self.folder, f"cannot merge class {shown(a.name)} into itself"))
        self._check_can_remove(a, "merge")
        store = self.store
        for example in store.examples(a.id):
            store.relabel(example.id, b.id)  # one atomic rename each: a crash leaves it in one place
        if (self.folder / "drawings" / a.id).exists():
            try:  # empty now, unless it held files the store skips (damaged): those go to the trash
                os.rmdir(self.folder / "drawings" / a.id)
            except OSError:
                self._move_to_trash(a)
        self._save_manifest(self._manifest.with_classes([c for c in self.classes if c != a]), "merge classes")

    def delete_class(self, which: str) -> str:
        """Move the class's drawings to the trash and remove it; returns the trash entry's name."""
        self._check_writable("delete a class")
        doomed = self.find_class(which)
        self._check_can_remove(doomed, "delete")
        entry = self._move_to_trash(doomed)
        self._save_manifest(self._manifest.with_classes([c for c in self.classes if c != doomed]), "delete a class")
        return entry

    def trash(self) -> list[dict[str, Any]]:
        """The deleted classes, oldest first: entry, id, name, key, deleted (UTC), drawings."""
        folder = self.folder / TRASH
        try:
            names = sorted(e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))
        except FileNotFoundError:
            return []
        except OSError as error:
            raise ProjectError(at(folder, f"cannot list ({error.strerror or error})")) from None
        return [self._trash_entry(name) for name in names]

    def restore_from_trash(self, entry: str) -> ProjectClass:
        """Bring a deleted class back, with its drawings, as the last output (the model then needs
        adapting, as for a new class)."""
        self._check_writable("restore a class")
        info = self._trash_entry(entry)  # refuses a name that is no entry
        if any(c.name.casefold() == info["name"].casefold() for c in self.classes):
            raise ProjectError(at(self.folder, f"a class named {shown(info['name'])} exists; rename it first"))
        if len(self.classes) >= MAX_CLASSES:
            raise ProjectError(at(self.folder, f"a project has at most {MAX_CLASSES} classes"))
        key = info["key"] if info["key"] not in self.keys else free_key(info["name"], self.keys)
        restored = ProjectClass(new_class_id(info["id"], self._taken_ids()), info["name"], key)
        self._save_manifest(self._manifest.with_classes([*self.classes, restored]), "restore a class")
        source, target = self.folder / TRASH / entry, self.folder / "drawings" / restored.id
        try:
            os.rename(source, target)
            fsync_folder(target.parent)
            fsync_folder(source.parent)
            if (target / TRASH_INFO).exists():
                os.unlink(target / TRASH_INFO)
        except OSError as error:
            raise ProjectError(at(source, f"cannot move its drawings back ({error.strerror or error})")) from None
        self._store = None  # its folder appeared after the store was opened
        return restored

    # --- helpers ---

    def _replace(self, old: ProjectClass, new: ProjectClass, what: str) -> None:
        self._save_manifest(self._manifest.with_classes([new if c == old else c for c in self.classes]), what)

    def _check_can_remove(self, doomed: ProjectClass, verb: str) -> None:
        if len(self.classes) <= MIN_CLASSES:
            raise ProjectError(at(self.folder, f"cannot {verb} {shown(doomed.name)}: a project keeps at least "
                                               f"{MIN_CLASSES} classes; add another first"))

    def _taken_ids(self) -> list[str]:
        """Folder names a new class may not take: the classes' and any folder already under drawings/."""
        try:
            on_disk = [e.name for e in os.scandir(self.folder / "drawings")]
        except OSError:
            on_disk = []
        return [*(c.id for c in self.classes), *on_disk]

    def _move_to_trash(self, doomed: ProjectClass) -> str:
        trash = self.folder / TRASH
        now = datetime.now(timezone.utc)
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        entry, number = f"{stamp}-{doomed.id}", 2
        while os.path.lexists(trash / entry):
            entry, number = f"{stamp}-{doomed.id}-{number}", number + 1
        source, target = self.folder / "drawings" / doomed.id, trash / entry
        info = {"format": TRASH_FORMAT, "version": 1, "id": doomed.id, "name": doomed.name, "key": doomed.key,
                "index": self.classes.index(doomed), "deleted": now.isoformat(timespec="seconds")}
        try:
            trash.mkdir(exist_ok=True)
            if source.is_dir():
                os.rename(source, target)  # all its drawings in one atomic move
                fsync_folder(source.parent)
            else:
                target.mkdir()  # a class with no drawing yet: restorable all the same
            write_atomically(target / TRASH_INFO, (json.dumps(info, indent=2, ensure_ascii=False) + "\n").encode())
            fsync_folder(trash)
        except OSError as error:
            raise ProjectError(at(self.folder, f"cannot move class {shown(doomed.name)} to the trash "
                                               f"({error.strerror or error})")) from None
        return entry

    def _trash_entry(self, entry: str) -> dict[str, Any]:
        path = self.folder / TRASH / entry if isinstance(entry, str) and is_folder_name(entry) else None
        if path is None or not path.is_dir():
            raise ProjectError(at(self.folder, f"no trash entry {shown(entry)}"))
        try:
            info = json.loads((path / TRASH_INFO).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            info = {}  # a delete interrupted before its note was written: the folder name says enough
        guessed = entry.split("-", 1)[-1]
        name = info.get("name") if isinstance(info, dict) else None
        cid = info.get("id") if isinstance(info, dict) else None
        key = info.get("key") if isinstance(info, dict) else None
        try:
            key = check_key(self.folder, key)
        except ProjectError:
            key = None
        drawings = sum(1 for e in os.scandir(path) if e.name.endswith(".png") and not e.name.startswith("."))
        return {"entry": entry, "id": cid if is_folder_name(cid) else guessed,
                "name": name if isinstance(name, str) and name.strip() == name and name else guessed[:40],
                "key": key, "deleted": info.get("deleted") if isinstance(info, dict) else None, "drawings": drawings}
