"""A project: a person's own classes, drawings and models in one folder other tools can read.

Exact layout::

    <project>/project.json                 name, classes, network, training settings (manifest.py)
    <project>/drawings/<class id>/<id>.png  a DrawingStore (strokes embedded in each PNG)
    <project>/models/v0001/...              immutable versions, and models/current (versions.py)
    <project>/trash/<time>-<class id>/      deleted classes, restorable (classes.py)
    <project>/.lock                         held by the one process writing the project (lock.py)

One process writes a project at a time (its OS lock). ``Project.open(folder, read_only=True)`` takes
no lock and never changes a byte on disk; every write it is asked for is refused with one line.
Every problem a person can cause is one ProjectError line naming the project folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from cnn_desktop.core.atomic import fsync_folder, write_atomically
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.errors import CnnDesktopError, at, listed, shown
from cnn_desktop.core.network.model_header import MAX_FILE_BYTES, read_description
from cnn_desktop.core.network.spec import ModelSpec, TrainConfig
from cnn_desktop.core.projects.classes import ClassEdits
from cnn_desktop.core.projects.lock import ProjectError, ProjectLock
from cnn_desktop.core.projects.manifest import (
    PROJECT_FILE, Manifest, ProjectClass, check_classes, check_spec, new_manifest, read_manifest,
)
from cnn_desktop.core.projects.readonly import ReadOnlyStore
from cnn_desktop.core.projects.versions import (
    MODEL_FILE, MODELS, make_record, next_version_name, read_current, read_record, remove_unfinished_versions,
    sha256, version_names, version_number, write_current, write_version,
)

if TYPE_CHECKING:  # model files need torch: loaded when a model is read or written, not to open a project
    from cnn_desktop.core.network.checkpoint import SavedModel
    from cnn_desktop.core.network.model import CNN

DRAWINGS = "drawings"
_CURRENT = object()  # add_version's default parent: the version current when it is added


class Project(ClassEdits):
    def __init__(self, folder: Path, manifest: Manifest, lock: ProjectLock | None) -> None:
        self.folder = folder
        self.read_only = lock is None
        self._manifest = manifest
        self._lock = lock
        self._store: DrawingStore | ReadOnlyStore | None = None
        self._closed = False

    # --- making and opening ---

    @classmethod
    def create(cls, folder: str | os.PathLike[str], name: str, classes: Sequence[str],
               keys: Sequence[str | None] | None = None, spec: ModelSpec | None = None,
               config: TrainConfig | None = None) -> "Project":
        """Make a new project in ``folder`` (absent or empty) and open it for writing.

        It is built under a hidden temp name beside ``folder`` and renamed into place: a crash leaves
        a whole project or none. ``keys`` may hold None for a key to be chosen automatically."""
        folder = Path(folder)
        manifest = new_manifest(folder, name, classes, keys, spec, config)
        if os.path.lexists(folder) and (not folder.is_dir() or any(os.scandir(folder))):
            raise ProjectError(at(folder, "already exists and is not an empty folder; a new project needs a new folder"))
        temp = folder.parent / f".{folder.name}.{secrets.token_hex(4)}.tmp"
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            temp.mkdir()
            DrawingStore(temp / DRAWINGS, [c.id for c in manifest.classes])
            (temp / MODELS).mkdir()
            write_atomically(temp / PROJECT_FILE, manifest.to_json().encode("utf-8"), sync_folder=False)
            fsync_folder(temp)
            if folder.is_dir():
                folder.rmdir()  # empty (checked above): the rename below takes its place
            os.rename(temp, folder)
            fsync_folder(folder.parent)
        except (OSError, CnnDesktopError) as error:
            shutil.rmtree(temp, ignore_errors=True)
            reason = getattr(error, "strerror", None) or str(error)
            raise ProjectError(at(folder, f"cannot create the project ({reason})")) from None
        return cls.open(folder)

    @classmethod
    def open(cls, folder: str | os.PathLike[str], read_only: bool = False) -> "Project":
        """Open a project; for writing (the default) it takes the project's lock, or says who holds it."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ProjectError(at(folder, "no such project folder"))
        manifest = read_manifest(folder)  # before the lock: never leave a .lock in a folder that is no project
        if read_only:
            return cls(folder, manifest, None)
        lock = ProjectLock.acquire(folder)
        try:
            project = cls(folder, read_manifest(folder), lock)  # read again: it may have changed meanwhile
            remove_unfinished_versions(folder / MODELS)
            project.store  # settles the drawings' marker now, while writing is allowed
        except BaseException:
            lock.release()
            raise
        return project

    def close(self) -> None:
        """Let go of the lock; the object then refuses writes (it can still be read)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self.read_only = True
        self._closed = True
        self._store = None

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what it holds ---

    @property
    def name(self) -> str:
        return self._manifest.name

    @property
    def classes(self) -> tuple[ProjectClass, ...]:
        return self._manifest.classes

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.classes)

    @property
    def class_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.classes)

    @property
    def keys(self) -> tuple[str | None, ...]:
        return tuple(c.key for c in self.classes)

    @property
    def spec(self) -> ModelSpec:
        return self._manifest.spec

    @property
    def config(self) -> TrainConfig:
        return self._manifest.config

    @property
    def store(self) -> DrawingStore | ReadOnlyStore:
        """The drawings, labelled by class id. A new object after every change of classes: ask again."""
        if self._store is None:
            drawings = self.folder / DRAWINGS
            self._store = (ReadOnlyStore(self.folder, drawings, self.class_ids) if self.read_only
                           else DrawingStore(drawings, self.class_ids))
        return self._store

    def counts(self) -> dict[str, int]:
        """Drawings per class, by display name, in output order."""
        by_id = self.store.counts()
        return {c.name: by_id.get(c.id, 0) for c in self.classes}

    def set_config(self, config: TrainConfig) -> None:
        self._save_manifest(Manifest(self.name, self.classes, self.spec, config), "change the training settings")

    def set_network(self, spec: ModelSpec) -> None:
        """A new network description for the next training (the versions keep their own)."""
        spec = check_spec(self.folder, spec.with_classes(self.class_names))
        self._save_manifest(Manifest(self.name, self.classes, spec, self.config), "change the network")

    # --- model versions ---

    def versions(self) -> list[dict[str, Any]]:
        """Every version's record, oldest first."""
        models = self.folder / MODELS
        return [read_record(models, name) for name in version_names(models)]

    def current_version(self) -> str | None:
        return read_current(self.folder / MODELS)

    def add_version(self, model: CNN, history: Sequence[dict[str, Any]] = (), info: dict[str, Any] | None = None,
                    reason: str = "trained", held_out_ids: Sequence[str] | None = None, parent: Any = _CURRENT,
                    make_current: bool = True, note: str | None = None) -> str:
        """Save ``model`` (made for this project's classes) as the next version; its name is returned.
        ``parent`` is the version it started from (the current one unless told); ``held_out_ids`` the
        drawings kept out of its training (None: unknown); ``note`` what the reason does not say."""
        self._check_writable("add a model version")
        from cnn_desktop.core.network.checkpoint import model_to_bytes

        if tuple(model.classes) != self.class_names:
            raise ProjectError(at(self.folder, f"the model's classes {listed(model.classes)} are not the "
                                               f"project's {listed(self.class_names)}"))
        data = model_to_bytes(model, history, info)
        return self._add(data, model.spec, history, info or {}, reason, held_out_ids, parent, make_current,
                         note=note)

    def import_version(self, path: str | os.PathLike[str], reason: str = "imported", parent: str | None = None,
                       make_current: bool = True, check_weights: bool = True) -> str:
        """Copy a model file, byte for byte, as the next version (it must be made for these classes).

        ``check_weights=False`` reads only the file's header (no torch): for the bundled model, which
        ships with the package and is fully checked by the engine when it loads it."""
        self._check_writable("import a model")
        path = Path(path)
        data = _read_regular_file(path)
        if check_weights:
            from cnn_desktop.core.network.checkpoint import model_from_bytes

            saved = model_from_bytes(data, str(path), self.class_names)  # ModelFileError names the file
            spec, history, info = saved.spec, saved.history, saved.info
        else:
            spec, history, info = read_description(data, str(path))
            if spec.classes != tuple(self.class_names):
                raise ProjectError(at(path, f"a model of classes {listed(spec.classes)}; the project's are "
                                            f"{listed(self.class_names)}"))
        source = {"file": str(path), "sha256": sha256(data)}
        return self._add(data, spec, history, info, reason, None, parent, make_current, source)

    def make_current(self, version: str) -> None:
        self._check_writable("change the current version")
        self.record(version)  # it must exist, complete
        write_current(self.folder / MODELS, version)

    def record(self, version: str) -> dict[str, Any]:
        if version_number(version) is None:
            raise ProjectError(at(self.folder, f"no version {shown(version)} (versions are named v0001, v0002, ...)"))
        return read_record(self.folder / MODELS, version)

    def load_version(self, version: str | None = None) -> SavedModel:
        """A version's model (the current one by default). Made for the same classes as the project's,
        it is named with today's display names (a rename needs no retraining)."""
        from cnn_desktop.core.network.checkpoint import SavedModel, load_model
        from cnn_desktop.core.projects.transfer import relabelled

        version = version or self.current_version()
        if version is None:
            raise ProjectError(at(self.folder, "no model version yet"))
        record = self.record(version)
        saved = load_model(self.folder / MODELS / version / MODEL_FILE)
        if len(record["classes"]) != len(saved.model.classes):
            raise ProjectError(at(self.folder / MODELS / version, "its record and its model disagree on the classes"))
        if [c["id"] for c in record["classes"]] == list(self.class_ids) and saved.model.classes != self.class_names:
            saved = SavedModel(relabelled(saved.model, self.class_names), saved.history, saved.info)
        return saved

    def adapted_model(self, version: str | None = None, seed: int | None = None) -> CNN:
        """A version's network for today's classes: classes it knew keep their output rows, new ones get
        fresh rows, removed ones lose theirs; every other layer is kept as trained (transfer.py)."""
        from cnn_desktop.core.projects.transfer import transferred

        version = version or self.current_version()
        saved = self.load_version(version)
        ids = [c["id"] for c in self.record(version)["classes"]]
        rows = [ids.index(c.id) if c.id in ids else None for c in self.classes]
        if rows == list(range(len(ids))):
            return saved.model
        return transferred(saved.model, self.class_names, rows, seed)

    # --- helpers ---

    def _add(self, data: bytes, spec: ModelSpec, history, info, reason, held_out_ids, parent, make_current,
             source: dict[str, Any] | None = None, note: str | None = None) -> str:
        models = self.folder / MODELS
        name = next_version_name(models)
        parent = self.current_version() if parent is _CURRENT else parent
        classes = [{"id": c.id, "name": c.name} for c in self.classes]
        record = make_record(name, reason, parent, classes, spec.to_dict(), list(history), dict(info),
                             held_out_ids, data, source, note)
        write_version(models, name, data, record)
        if make_current:
            write_current(models, name)
        return name

    def _check_writable(self, what: str) -> None:
        if self.read_only:
            state = "closed" if self._closed else "opened read-only"
            raise ProjectError(at(self.folder, f"{state}; cannot {what}"))

    def _save_manifest(self, manifest: Manifest, what: str) -> None:
        """Write project.json atomically, then reopen the store so its marker follows the classes."""
        self._check_writable(what)
        check_classes(self.folder, manifest.classes)
        manifest = manifest.with_classes(manifest.classes)  # the network's names follow the classes
        try:
            write_atomically(self.folder / PROJECT_FILE, manifest.to_json().encode("utf-8"))
        except OSError as error:
            raise ProjectError(at(self.folder / PROJECT_FILE, f"cannot save ({error.strerror or error})")) from None
        self._manifest = manifest
        self._store = None
        self.store


def _read_regular_file(path: Path) -> bytes:
    """A model file's bytes; only a regular file of sane size (a FIFO or /dev/zero would never end)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: opening a FIFO must not wait for a writer
    except OSError as error:
        raise ProjectError(at(path, f"cannot read ({error.strerror or error})")) from None
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FILE_BYTES:
            raise ProjectError(at(path, "not a model file (not a regular file, or far too large)"))
        try:
            return file.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise ProjectError(at(path, f"cannot read ({error.strerror or error})")) from None
