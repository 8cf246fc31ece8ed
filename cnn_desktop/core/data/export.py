"""Drawings out of cnn-desktop, in three formats other tools read, each read back by cnn-desktop unchanged.

- ``images``: a zip of ``<label>/<id>.png``, the stored files byte for byte (the 28x28 input, with
  the strokes in their text chunk), plus the collection marker, so that the unzipped folder is both
  a plain image folder and a collection: ``load_dataset`` reads it back pixel for pixel (an image
  folder without the marker would be preprocessed a second time, which moves and rescales the ink).
- ``idx``: MNIST's IDX pair (``drawings-images-idx3-ubyte.gz``, ``drawings-labels-idx1-ubyte.gz``)
  plus ``classes.txt`` (line i names label i; IDX labels are only numbers), in a folder or a zip.
  The images are the stored 8-bit inputs exactly.
- ``jsonl``: one drawing per line, ``{"id", "label", "canvas", "strokes"}``, strokes as lists of
  [x, y] points in canvas pixels. ``canvas`` is null: collections do not record the canvas size.
  Drawings kept without strokes (imported images) have ``"strokes": null``.

Nothing is opened for writing at the source; the output is written whole to a temporary name and
renamed, and an existing output is refused.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import secrets
import shutil
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from cnn_desktop.core.atomic import fsync_folder, write_new_atomically
from cnn_desktop.core.data.collection_marker import MARKER_FORMAT, MARKER_NAME, MARKER_VERSION, is_safe_name, read_marker
from cnn_desktop.core.data.datasets import IDX_INPUTS_FORMAT, IDX_INPUTS_MARKER
from cnn_desktop.core.data.example_png import load_raster, png_frame_problem, read_strokes
from cnn_desktop.core.errors import DataError, at, describe_error

FORMATS = ("images", "idx", "jsonl")
IDX_IMAGES = "drawings-images-idx3-ubyte.gz"
IDX_LABELS = "drawings-labels-idx1-ubyte.gz"
IDX_CLASSES = "classes.txt"
EXISTS = "already exists; exports never overwrite (choose another --out, or remove it first)"


@dataclass(frozen=True)
class StoredDrawing:
    id: str
    label: str  # the class name written out
    path: Path  # the stored PNG


def collection_drawings(root: str | os.PathLike[str]) -> tuple[list[StoredDrawing], tuple[str, ...], list[str]]:
    """The drawings of an app collection, oldest first, its classes, and one line per damaged file
    (left out). Read-only: unlike opening a ``DrawingStore``, nothing in ``root`` is written."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(at(root, "no such folder" if not root.exists() else "not a folder"))
    classes = read_marker(root)
    if classes is None:
        raise DataError(at(root, f"not a collection of drawings (no {MARKER_NAME})"))
    return labelled_drawings(root, {name: name for name in classes})


def labelled_drawings(root: Path, names: dict[str, str]) -> tuple[list[StoredDrawing], tuple[str, ...], list[str]]:
    """Drawings under ``root/<folder>/<id>.png`` for each folder in ``names`` (folder -> class name)."""
    drawings, problems = [], []
    for folder, name in names.items():
        try:
            paths = sorted(p for p in (root / folder).glob("*.png") if not p.name.startswith("."))
        except OSError as error:
            raise DataError(at(root / folder, f"cannot read ({describe_error(error)})")) from None
        for path in paths:
            problem = png_frame_problem(path)
            if problem:
                problems.append(at(path, f"{problem}; left out"))
            else:
                drawings.append(StoredDrawing(path.stem, name, path))
    drawings.sort(key=lambda d: d.id)  # ids sort by creation time: oldest first, as the store lists them
    return drawings, tuple(names.values()), problems


def export_drawings(drawings: Sequence[StoredDrawing], classes: Sequence[str], fmt: str,
                    out: str | os.PathLike[str]) -> None:
    """Write ``drawings`` to ``out`` in ``fmt``; IDX goes to a folder, or a zip when ``out`` ends in .zip."""
    out = Path(out)
    refuse_existing(out)
    if not drawings:
        raise DataError("no drawings to export")
    if fmt == "images":
        _write_file(out, _zip(images_files(drawings, classes)))
    elif fmt == "idx":
        files = idx_files(drawings, classes)
        if out.suffix.lower() == ".zip":
            _write_file(out, _zip(files))
        else:
            _write_folder(out, files)
    elif fmt == "jsonl":
        _write_file(out, jsonl_bytes(drawings))
    else:
        raise DataError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def images_files(drawings: Sequence[StoredDrawing], classes: Sequence[str]) -> dict[str, bytes]:
    for name in classes:
        if not is_safe_name(name):  # it becomes a folder name in the zip
            raise DataError(f"class name {name!r} cannot be a folder name; export as idx or jsonl")
    marker = json.dumps({"format": MARKER_FORMAT, "version": MARKER_VERSION, "classes": list(classes)}, indent=2)
    files = {MARKER_NAME: (marker + "\n").encode("utf-8")}
    for drawing in drawings:
        files[f"{drawing.label}/{drawing.id}.png"] = _read(drawing.path)
    return files


def idx_files(drawings: Sequence[StoredDrawing], classes: Sequence[str]) -> dict[str, bytes]:
    if len(classes) > 256:
        raise DataError(f"{len(classes)} classes do not fit IDX's one-byte labels (at most 256)")
    index = {name: i for i, name in enumerate(classes)}
    # load_raster gives k/255 exactly; back to the stored byte with rint.
    pixels = np.stack([np.rint(load_raster(d.path) * 255) for d in drawings]).astype(np.uint8)
    labels = np.asarray([index[d.label] for d in drawings], np.uint8)
    images = struct.pack(">IIII", 0x00000803, *pixels.shape) + pixels.tobytes()
    label_bytes = struct.pack(">II", 0x00000801, len(labels)) + labels.tobytes()
    return {
        IDX_IMAGES: gzip.compress(images, mtime=0),  # mtime 0: the same drawings give the same bytes
        IDX_LABELS: gzip.compress(label_bytes, mtime=0),
        IDX_CLASSES: "".join(f"{name}\n" for name in classes).encode("utf-8"),
        # Says that the images already are the network's inputs, so reading them back (load_dataset)
        # does not preprocess them a second time, and names the classes the labels index.
        IDX_INPUTS_MARKER: json.dumps({"format": IDX_INPUTS_FORMAT, "classes": list(classes)}).encode("utf-8"),
    }


def jsonl_bytes(drawings: Sequence[StoredDrawing]) -> bytes:
    lines = []
    for drawing in drawings:
        strokes = read_strokes(drawing.path)
        # The stored JSON is already rounded to 0.1 px, so writing it again loses nothing.
        points = None if strokes is None else json.loads(strokes.to_json())
        lines.append(json.dumps({"id": drawing.id, "label": drawing.label, "canvas": None, "strokes": points},
                                separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8")


def refuse_existing(out: Path) -> None:
    if out.exists() or out.is_symlink():
        raise DataError(at(out, EXISTS))
    if not out.parent.is_dir():
        raise DataError(at(out.parent, "no such folder"))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise DataError(at(path, f"cannot read ({describe_error(error)})")) from None


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _write_file(out: Path, data: bytes) -> None:
    try:
        write_new_atomically(out, data)
    except FileExistsError:
        raise DataError(at(out, EXISTS)) from None
    except OSError as error:
        raise DataError(at(out, f"cannot write ({describe_error(error)})")) from None


def _write_folder(out: Path, files: dict[str, bytes]) -> None:
    """The folder appears whole or not at all: filled under a hidden name, then renamed."""
    temp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        temp.mkdir()
        for name, data in files.items():
            with open(temp / name, "xb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
        fsync_folder(temp)
        if out.exists() or out.is_symlink():  # os.rename would replace an empty folder
            raise FileExistsError
        os.rename(temp, out)
        fsync_folder(out.parent)
    except FileExistsError:
        raise DataError(at(out, EXISTS)) from None
    except OSError as error:
        raise DataError(at(out, f"cannot write ({describe_error(error)})")) from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)
