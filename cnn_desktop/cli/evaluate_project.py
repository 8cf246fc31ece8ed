"""The data ``cnn-desktop evaluate`` reads from a project (opened read-only: nothing is written).

Without DATA, ``evaluate --project DIR`` uses the project's own drawings: by default those its current
version held out from training (its record lists their ids), so the figure is one on drawings the
model never learned from; when the record does not say, all drawings, and the first line says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from cnn_desktop.core.errors import CnnDesktopError, DataError, at, listed


def own_drawings_of_project(folder: Path, split: str | None, classes: Sequence[str]):
    """(Dataset, the line saying which drawings) for ``evaluate --project DIR`` without DATA."""
    from cnn_desktop.cli.project_data import open_project, read_drawings, require_current

    project = open_project(folder, read_only=True)
    version = require_current(project)
    held = project.record(version).get("held_out_ids")
    held = set(held) if isinstance(held, list) and all(isinstance(i, str) for i in held) else None
    drawings = read_drawings(project)
    if split is None:
        split = "validation" if held else "all"
        if held is None:
            note = f"; {version} did not record which drawings it held out, so this includes those it trained on"
        elif not held:
            note = f"; {version} held none out, so this includes those it trained on"
        else:
            note = ""
    else:
        note = ""
    if split == "validation":
        if not held:
            why = "held no drawings out" if held is not None else "did not record which drawings it held out"
            raise CnnDesktopError(at(project.folder, f"{version} {why}; use --split all"))
        chosen = drawings.subset(held)
        gone = len(held) - len(chosen)
        what = f"the {len(chosen):,} drawings {version} held out from its training"
        what += f" ({gone:,} more have been deleted since)" if gone else ""
    elif split == "train":
        if held is None:
            raise CnnDesktopError(at(project.folder, f"{version} did not record which drawings it held out; "
                                                     "use --split all"))
        chosen = drawings.subset(set(drawings.ids) - held)
        what = f"the {len(chosen):,} drawings {version} did not hold out (those it trained on, and any added since)"
    else:
        chosen = drawings
        what = f"all {len(chosen):,} drawings of the project{note}"
    dataset = _as_dataset(chosen, project.class_names, classes, str(project.folder))
    left_out = len(chosen) - len(dataset)
    if left_out:
        what += f"; {left_out:,} of classes {version} does not know left out"
    if not len(dataset):
        raise CnnDesktopError(at(project.folder, f"nothing to evaluate on: {what}"))
    return dataset, f"evaluating {version} on {what}"


def drawings_of_project(folder: Path, classes: Sequence[str]):
    """Every drawing of the project in ``folder`` as a Dataset labelled by ``classes`` (the model's), by name."""
    from cnn_desktop.cli.project_data import open_project, read_drawings

    project = open_project(folder, read_only=True)
    drawings = read_drawings(project)
    present = {project.class_names[i] for i in np.unique(drawings.labels)}
    unknown = sorted(present - set(classes))
    if unknown:
        raise DataError(at(project.folder, f"classes {listed(unknown)} are not classes of this model {listed(classes)}"))
    dataset = _as_dataset(drawings, project.class_names, classes, str(project.folder))
    if not len(dataset):
        raise DataError(at(project.folder, "no drawings to evaluate on"))
    return dataset


def _as_dataset(drawings, names: Sequence[str], classes: Sequence[str], source: str):
    """``drawings`` (labelled by the project's classes ``names``) labelled by ``classes`` instead; drawings of
    a class not among ``classes`` are left out."""
    from cnn_desktop.core.data.datasets import Dataset

    lookup = np.array([list(classes).index(n) if n in classes else -1 for n in names], np.int64)
    labels = lookup[drawings.labels] if len(drawings) else np.zeros(0, np.int64)
    keep = labels >= 0
    return Dataset(drawings.images[keep], labels[keep], tuple(classes), source, drawings.skipped)
