"""What the project commands share: opening a project, and its drawings as arrays with their ids.

Not a command. The project API (core/projects) gives the drawings as a store; training and evaluating
need the arrays together with each drawing's id (a version records the ids it held out), which
``DrawingStore.arrays()`` does not return, so they are read here, file by file, in the store's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_desktop.core.errors import CnnDesktopError, DataError, at

PROJECT_FILE = "project.json"


def is_project(folder: Path) -> bool:
    return (Path(folder) / PROJECT_FILE).is_file()


def open_project(folder: Path, read_only: bool):
    """The project in ``folder``: for writing (its lock, or one line saying who holds it), or read-only
    (no lock, never a byte written)."""
    from cnn_desktop.core.projects.project import Project

    return Project.open(folder, read_only=read_only)


@dataclass(frozen=True)
class Drawings:
    images: np.ndarray  # float32 (N, 28, 28)
    labels: np.ndarray  # int64 (N,), indices into the project's classes
    ids: tuple[str, ...]  # each drawing's id, in the same order
    skipped: tuple[str, ...]  # one line per drawing left out, naming its file

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, wanted) -> "Drawings":
        keep = [i for i, drawing_id in enumerate(self.ids) if drawing_id in wanted]
        index = np.asarray(keep, np.int64)
        return Drawings(self.images[index], self.labels[index], tuple(self.ids[i] for i in keep), self.skipped)


def read_drawings(project, progress=None) -> Drawings:
    """Every readable drawing of the project, oldest first, labelled by the project's classes.

    Damaged files (the store's own check, then a full decode) and drawings in a folder that is no
    class of the project are left out, one line each in ``skipped``."""
    from cnn_desktop.core.data.example_png import load_raster

    store = project.store
    index = {class_id: i for i, class_id in enumerate(project.class_ids)}
    examples = store.examples()
    skipped = list(store.problems)
    images, labels, ids = [], [], []
    for done, example in enumerate(examples, 1):
        if example.label not in index:
            skipped.append(at(example.path, "in a folder that is no class of the project; left out"))
        else:
            try:
                images.append(load_raster(example.path))
                labels.append(index[example.label])
                ids.append(example.id)
            except (DataError, OSError) as error:
                skipped.append(str(error) if str(example.path) in str(error) else at(example.path, str(error)))
        if progress:
            progress(done, len(examples))
    stacked = np.stack(images).astype(np.float32) if images else np.zeros((0, 28, 28), np.float32)
    return Drawings(stacked, np.asarray(labels, np.int64), tuple(ids), tuple(skipped))


def require_current(project):
    """The current version's name, or one line saying there is none yet."""
    version = project.current_version()
    if version is None:
        raise CnnDesktopError(at(project.folder, "no model version yet; train one with "
                                                 f"'cnn-desktop train --project {project.folder}'"))
    return version
