"""Any data set on disk -> preprocessed 28x28 images with class indices.

Three layouts are understood, told apart by what the folder holds:
- a drawing collection of the app (it has a ``cnn-desktop-collection.json`` marker): its stored rasters;
- a folder holding an MNIST IDX pair (images + labels, gzipped or raw);
- an image folder ``<root>/<label>/*.png|jpg|bmp``.
Everything except the collection (already preprocessed when it was saved) goes through the one
``preprocess`` function, so training, evaluation and live inference see drawings the same way.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from cnn_desktop.core.errors import DataError, EmptyDrawingError, at, describe_error
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.readers import (
    PAIR_BYTES_PER_IMAGE, MnistFiles, find_mnist_pair, list_image_folder, read_image, read_mnist_folder,
)
from cnn_desktop.core.data.classes import DIGIT_CLASSES
from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.example_png import stored_input
from cnn_desktop.core.data.store import DrawingStore

Progress = Callable[[int, int], None]  # (done, total)
# Beside an IDX pair that cnn-desktop exported: its images are network inputs, its labels index these classes.
IDX_INPUTS_MARKER = "cnn-desktop-idx.json"
IDX_INPUTS_FORMAT = "cnn-desktop-idx-inputs"


@dataclass(frozen=True)
class Dataset:
    images: np.ndarray  # float32 (N, 28, 28), ink 1 on background 0, as the network sees it
    labels: np.ndarray  # int64 (N,), indices into classes
    classes: tuple[str, ...]
    source: str  # where it was read from, for messages and model cards
    skipped: tuple[str, ...] = ()  # one line per item left out (blank images, damaged files...), for the user

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: np.ndarray) -> "Dataset":
        return Dataset(self.images[indices], self.labels[indices], self.classes, self.source, self.skipped)


def load_dataset(
    path: str | os.PathLike[str],
    classes: Sequence[str] | None = None,
    progress: Progress | None = None,
    mnist_files: MnistFiles = "train",
) -> Dataset:
    """Read and preprocess the data set at ``path``. With ``classes``, labels are mapped onto those
    class names (a label outside them is an error); without, the data set's own classes are used.
    ``mnist_files`` picks MNIST's training or test pair when a folder holds both."""
    path = Path(path)
    if not path.exists():
        raise DataError(at(path, "no such file or folder"))
    if not path.is_dir():
        raise DataError(at(path, "expected a folder: an MNIST IDX pair, an image folder or a collection"))
    if (path / MARKER_NAME).exists():
        return _from_collection(path, classes)
    if find_mnist_pair(path):
        return _from_mnist(path, classes, progress, mnist_files)
    return _from_image_folder(path, classes, progress)


def _from_collection(path: Path, classes: Sequence[str] | None) -> Dataset:
    store = DrawingStore(path, classes or (), read_only=True)  # reading changes no byte on disk
    images, labels = store.arrays()
    return replace(_mapped(images, labels, tuple(store.classes), classes, str(path)), skipped=store.skipped)


def _from_mnist(path: Path, classes: Sequence[str] | None, progress: Progress | None, files: MnistFiles) -> Dataset:
    images_path, _ = find_mnist_pair(path, files)
    # Refused from the headers when the pair and its network inputs (float32) would not fit in memory.
    raw_images, raw_labels = read_mnist_folder(path, files, memory_per_image=PAIR_BYTES_PER_IMAGE + 28 * 28 * 4)
    exported = _exported_inputs_classes(path)
    if exported is not None:  # drawings cnn-desktop exported: already the network's inputs, own classes
        images = raw_images.astype(np.float32) / 255.0
        if raw_labels.size and int(raw_labels.max()) >= len(exported):
            raise DataError(at(path / IDX_INPUTS_MARKER, f"names {len(exported)} classes, but a label is {int(raw_labels.max())}"))
        return _mapped(images, raw_labels.astype(np.int64), exported, classes, str(images_path))
    images = preprocess_images(raw_images, progress)  # MNIST digits are never blank
    return _mapped(images, raw_labels.astype(np.int64), DIGIT_CLASSES, classes, str(images_path))


def _exported_inputs_classes(folder: Path) -> tuple[str, ...] | None:
    """The classes of an IDX pair cnn-desktop exported (its marker beside the pair), else None."""
    marker = folder / IDX_INPUTS_MARKER
    if not marker.is_file():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        raise DataError(at(marker, f"unreadable ({describe_error(error)})")) from None
    names = data.get("classes") if isinstance(data, dict) and data.get("format") == IDX_INPUTS_FORMAT else None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise DataError(at(marker, "not a cnn-desktop IDX marker (expected a format and a list of class names)"))
    return tuple(names)


def _from_image_folder(path: Path, classes: Sequence[str] | None, progress: Progress | None) -> Dataset:
    skipped: list[str] = []  # loops, FIFOs... that the listing left out, then blank or unreadable images
    items, found_classes = list_image_folder(path, allowed_labels=classes, skipped=skipped)
    images, labels = [], []
    unreadable: DataError | None = None
    for done, (image_path, label) in enumerate(items, 1):
        try:
            images.append(preprocess(read_image(image_path)))
            labels.append(found_classes.index(label))
        except EmptyDrawingError:
            skipped.append(at(image_path, "blank image, left out"))
        except DataError as error:  # one damaged file among thousands must not cost the others
            unreadable = unreadable or error
            skipped.append(f"{error}; left out")
        if progress:
            progress(done, len(items))
    if not images:
        if unreadable is not None:  # nothing usable: the first file that could not be read says why
            raise unreadable
        raise DataError(at(path, "every image in the folder is blank"))
    stacked = np.stack(images).astype(np.float32)
    dataset = _mapped(stacked, np.asarray(labels, np.int64), tuple(found_classes), classes, str(path))
    return Dataset(dataset.images, dataset.labels, dataset.classes, dataset.source, tuple(skipped))


def network_input(path: str | os.PathLike[str]) -> np.ndarray:
    """The 28x28 input the network gets for one image file: a drawing the app stored is used as it is
    (it was preprocessed when it was labelled), anything else goes through ``preprocess``."""
    stored = stored_input(path)
    return stored if stored is not None else preprocess(read_image(path))


def preprocess_images(raw: np.ndarray, progress: Progress | None = None) -> np.ndarray:
    """Preprocess a stack of raw images (N, H, W[, C]) into (N, 28, 28) float32."""
    out = np.empty((len(raw), 28, 28), np.float32)
    for i, image in enumerate(raw):
        out[i] = preprocess(image)
        if progress and (i % 500 == 499 or i == len(raw) - 1):
            progress(i + 1, len(raw))
    return out


def _mapped(
    images: np.ndarray, labels: np.ndarray, own: tuple[str, ...], wanted: Sequence[str] | None, source: str
) -> Dataset:
    """Re-index labels from the data set's own class list onto the wanted one."""
    if wanted is None or tuple(wanted) == own:
        return Dataset(images, labels, own, source)
    wanted = tuple(wanted)
    present = {own[i] for i in np.unique(labels)}
    unknown = sorted(present - set(wanted))
    if unknown:
        raise DataError(at(source, f"labels {unknown} are not classes of this model {list(wanted)}"))
    lookup = np.array([wanted.index(name) if name in wanted else -1 for name in own], np.int64)
    return Dataset(images, lookup[labels], wanted, source)
