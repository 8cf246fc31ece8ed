"""What an import reads from: an image folder, a zip of one, an MNIST IDX folder or a collection.

Both importers (``cnn-desktop import`` and the app's File > Import) take a source in two steps. Opening
it lists and checks everything that can be known without decoding an image: the labels (so that a
label the destination lacks refuses the import before anything is written), the count (for progress),
and, for IDX, the headers against this machine's memory and disk and a gzipped file's length. Then
``batches`` reads the drawings a batch at a time, so memory stays one batch whatever the source
holds; the caller writes each batch and may stop between two. A file that cannot be read, or a blank
image, is left out with one line; it never costs the other drawings.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.example_png import load_raster, read_strokes, stored_raster
from cnn_desktop.core.data.idx import IdxFile
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.readers import (
    MnistFiles, checked_labels, decode_image, find_mnist_pair, list_image_folder, open_mnist_pair, read_image,
)
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.data.zip_images import ZipImages
from cnn_desktop.core.errors import CnnDesktopError, DataError, at

Drawing = tuple[str, np.ndarray, "Strokes | None"]  # (label, 28x28 float32 input, strokes or None)
Batch = tuple[list[Drawing], list[str]]  # the drawings read, and one line per item left out
# Disk one imported drawing takes: its PNG is a few hundred bytes, but a file occupies a whole block
# (4 kB on ext4, APFS and NTFS), which is what fills a disk first.
DISK_PER_DRAWING = 4096


class ImportSource:
    """Labels, count and listing notes are known once it is open; ``batches`` reads the drawings."""

    def __init__(self, where: Path, labels: list[str], count: int, skipped: list[str]) -> None:
        self.where = where
        self.labels = labels  # every label an item carries, sorted
        self.count = count
        self.skipped = skipped  # one line per thing the listing left out

    def batches(self, size: int) -> Iterator[Batch]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> "ImportSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Item:
    label: str
    where: str  # for messages
    read: Callable[[], tuple[np.ndarray, "Strokes | None"]]  # -> (28x28 input, strokes or None)


class ItemsSource(ImportSource):
    """Drawings listed one by one (files on disk), each read when its batch comes."""

    def __init__(self, where: Path, items: list[Item], skipped: list[str]) -> None:
        super().__init__(where, sorted({item.label for item in items}), len(items), skipped)
        self.items = items

    def batches(self, size: int) -> Iterator[Batch]:
        for start in range(0, len(self.items), size):
            drawings, left_out = [], []
            for item in self.items[start:start + size]:
                try:
                    raster, strokes = item.read()
                    drawings.append((item.label, raster, strokes))
                except CnnDesktopError as error:  # blank (EmptyDrawingError) or unreadable (DataError)
                    left_out.append(_named(error, item.where))
            yield drawings, left_out


class ZipSource(ImportSource):
    """A zip of ``<label>/<image>`` (zip_images.py): members are read one at a time, never extracted."""

    def __init__(self, path: Path) -> None:
        self.zip = ZipImages(path)
        super().__init__(path, self.zip.labels, len(self.zip.images), list(self.zip.skipped))

    def batches(self, size: int) -> Iterator[Batch]:
        images = self.zip.images
        for start in range(0, len(images), size):
            drawings, left_out = [], []
            for image in images[start:start + size]:
                where = self.zip.where(image)
                try:
                    drawings.append((image.label, *self._decode(image, where)))
                except CnnDesktopError as error:
                    left_out.append(_named(error, where))
            yield drawings, left_out

    def _decode(self, image, where: str) -> tuple[np.ndarray, Strokes | None]:
        file = self.zip.read(image)
        pixels = decode_image(file, where)
        if not self.zip.stored:
            return preprocess(pixels), None
        file.seek(0)  # an exported drawing: already the network's input, strokes in its PNG
        return stored_raster(pixels, where), read_strokes(file, where)

    def close(self) -> None:
        self.zip.close()


class MnistSource(ImportSource):
    """An MNIST IDX pair, read ``size`` images at a time. The labels (one byte each) are read when it
    opens; the images' headers are checked then, and a gzipped images file is read through once, so a
    file cut short is found before anything is written."""

    def __init__(self, folder: Path, files: MnistFiles, disk_folder: Path | None) -> None:
        images, labels = open_mnist_pair(folder, files, disk_per_image=DISK_PER_DRAWING, disk_folder=disk_folder)
        with images, labels:
            self.numbers = checked_labels(labels.read_all(), labels.path)
            self.images_path = images.path
            if images.gzipped:
                images.check_length()
        super().__init__(folder, sorted({str(n) for n in np.unique(self.numbers)}), len(self.numbers), [])

    def batches(self, size: int) -> Iterator[Batch]:
        with IdxFile(self.images_path, kind="images") as file:
            if file.header.count != self.count:
                raise DataError(at(self.images_path, "changed while being imported"))
            done = 0
            for chunk in file.chunks(size):
                drawings, left_out = [], []
                for i, image in enumerate(chunk, done):
                    try:
                        drawings.append((str(int(self.numbers[i])), preprocess(image), None))
                    except CnnDesktopError as error:
                        left_out.append(_named(error, f"{self.images_path} image {i}"))
                done += len(chunk)
                yield drawings, left_out


def open_import_source(path: str | os.PathLike[str], mnist_files: MnistFiles = "train",
                       disk_folder: Path | None = None) -> ImportSource:
    """The source at ``path``: a zip, a collection, an MNIST folder or an image folder, in that order of
    recognition. ``disk_folder`` is where the drawings will be written (for the disk check of IDX)."""
    path = Path(path)
    if not os.path.lexists(path):
        raise DataError(at(path, "no such file or folder"))
    if not path.is_dir():
        if path.suffix.lower() == ".zip" or (path.is_file() and zipfile.is_zipfile(path)):
            return ZipSource(path)
        raise DataError(at(path, "expected a folder (an image folder, an MNIST IDX pair or a collection) or a .zip"))
    if (path / MARKER_NAME).exists():
        return collection_source(path)
    if find_mnist_pair(path, mnist_files):
        return MnistSource(path, mnist_files, disk_folder)
    pairs, _ = list_image_folder(path, skipped=(skipped := []))
    items = [Item(label, str(p), lambda p=p: (preprocess(read_image(p)), None)) for p, label in pairs]
    return ItemsSource(path, items, skipped)


def collection_source(path: Path) -> ItemsSource:
    """A collection of the app: its stored drawings as they are (already inputs), strokes included."""
    from cnn_desktop.core.data.store import DrawingStore

    store = DrawingStore(path, (), read_only=True)  # the source is only read
    items = [Item(e.label, str(e.path), stored_reader(e.path)) for e in store.examples()]
    return ItemsSource(path, items, list(store.problems))


def stored_reader(path: Path) -> Callable[[], tuple[np.ndarray, Strokes | None]]:
    return lambda: (load_raster(path), read_strokes(path))


def _named(error: CnnDesktopError, where: str) -> str:
    """The error's line, naming ``where`` once."""
    text = str(error)
    return text if where in text else at(where, text)
