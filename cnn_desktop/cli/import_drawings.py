"""``cnn-desktop import --project DIR SOURCE``: add drawings from an image folder, MNIST or a collection.

Everything is listed and checked first (every label must be a class of the project, by its display
name), so a source with an unknown label changes nothing. Then each drawing is read, made into the
28x28 input the network sees (the one ``preprocess`` function, as for training and live drawing), and
stored; blank or unreadable files are left out, one line each on stderr.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from cnn_desktop.cli import arguments
from cnn_desktop.cli.output import printable, say
from cnn_desktop.core.errors import CnnDesktopError, DataError, at, listed

HELP = "add drawings to a project from an image folder, MNIST files or another collection"
DESCRIPTION = ("Add the drawings of SOURCE to a project. SOURCE is an image folder <root>/<label>/*.png|jpg|bmp, "
               "a folder holding an MNIST IDX pair (labels 0-9), a collection of the app, or another "
               "project. Every label must be one of the project's classes (by name); otherwise nothing "
               "is imported. Blank or unreadable images are left out and listed.")
EXAMPLES = arguments.examples(
    "cnn-desktop import --project shapes my-shapes/          # my-shapes/circle/*.png, my-shapes/square/*.png",
    "cnn-desktop import --project digits ~/mnist --mnist-files test",
    "cnn-desktop import --project shapes old-shapes-project/",
)
_CHUNK = 256  # drawings stored per add_many call: the label folders are synced once per chunk


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, required=True, metavar="DIR", help="the project to add to (required)")
    parser.add_argument("source", type=Path, metavar="SOURCE",
                        help="image folder <root>/<label>/*.png, MNIST IDX folder, collection or project")
    parser.add_argument("--mnist-files", choices=["train", "test"], default="train",
                        help="when SOURCE holds both of MNIST's pairs: its 60,000 training digits or its "
                             "10,000 test digits (default: %(default)s)")


@dataclass(frozen=True)
class _Item:
    label: str  # the class's display name
    where: str  # for messages
    read: Callable[[], tuple]  # -> (28x28 float32 raster, strokes or None)


def run(options: argparse.Namespace) -> int:
    from cnn_desktop.cli.progress import counting_bar
    from cnn_desktop.cli.project_data import open_project

    source = options.source
    if not source.exists():
        raise DataError(at(source, "no such file or folder"))
    if not source.is_dir():
        raise DataError(at(source, "expected a folder: an image folder, an MNIST IDX pair, a collection or a project"))
    with open_project(options.project, read_only=False) as project:
        if _inside(source, project.folder):
            raise CnnDesktopError(at(source, f"is part of the project {project.folder} itself; nothing to import"))
        items, skipped = _list(source, options.mnist_files)
        names = project.class_names
        unknown = sorted({item.label for item in items} - set(names))
        if unknown:
            raise DataError(at(source, f"label{'s' if len(unknown) > 1 else ''} {listed(unknown, most=10)} "
                                       f"{'are not classes' if len(unknown) > 1 else 'is not a class'} of the project "
                                       f"{listed(names, most=10)}; nothing imported"))
        ids = {c.name: c.id for c in project.classes}
        name_of = {c.id: c.name for c in project.classes}
        store = project.store
        added = {name: 0 for name in names}
        bar = counting_bar(len(items), "importing")
        try:
            for start in range(0, len(items), _CHUNK):
                chunk = []
                for item in items[start:start + _CHUNK]:
                    try:
                        raster, strokes = item.read()
                        chunk.append((ids[item.label], raster, strokes))
                    except CnnDesktopError as error:  # blank (EmptyDrawingError) or unreadable (DataError)
                        skipped.append(str(error) if item.where in str(error) else at(item.where, str(error)))
                    bar.update(1)
                try:
                    store.add_many(chunk)
                except DataError as error:
                    done = sum(added.values())
                    raise DataError(f"{error} (at least {done:,} drawing{'s' if done != 1 else ''} imported before this)") from None
                for class_id, _, _ in chunk:
                    added[name_of[class_id]] += 1
        finally:
            bar.close()
        for line in skipped:
            print(f"skipped {printable(line)}", file=sys.stderr)
        total = sum(added.values())
        per_class = ", ".join(f"{printable(name)} {count:,}" for name, count in added.items() if count)
        left_out = f"; {len(skipped):,} left out (listed above)" if skipped else ""
        say(f"imported {total:,} drawing{'s' if total != 1 else ''} into {printable(project.folder)}"
            f"{': ' + per_class if per_class else ''}{left_out}")
    return 0


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def _list(source: Path, mnist_files: str) -> tuple[list[_Item], list[str]]:
    """Every drawing SOURCE holds, labelled by class name, not read yet; and what was left out listing it."""
    from cnn_desktop.cli.project_data import is_project
    from cnn_desktop.core.data.collection_marker import MARKER_NAME
    from cnn_desktop.core.data.readers import find_mnist_pair

    if is_project(source):
        return _from_project(source)
    if (source / MARKER_NAME).exists():
        return _from_collection(source)
    if find_mnist_pair(source, mnist_files):
        return _from_mnist(source, mnist_files), []
    return _from_image_folder(source), []


def _stored(path: Path):
    from cnn_desktop.core.data.example_png import load_raster, read_strokes

    return lambda: (load_raster(path), read_strokes(path))


def _from_project(source: Path) -> tuple[list[_Item], list[str]]:
    from cnn_desktop.cli.project_data import open_project

    other = open_project(source, read_only=True)
    names = {c.id: c.name for c in other.classes}
    items, skipped = [], []
    for example in other.store.examples():
        if example.label in names:
            items.append(_Item(names[example.label], str(example.path), _stored(example.path)))
        else:
            skipped.append(at(example.path, "in a folder that is no class of its project; left out"))
    return items, [*other.store.problems, *skipped]


def _from_collection(source: Path) -> tuple[list[_Item], list[str]]:
    from cnn_desktop.core.data.store import DrawingStore

    store = DrawingStore(source, (), read_only=True)  # the source is only read
    items = [_Item(example.label, str(example.path), _stored(example.path)) for example in store.examples()]
    return items, list(store.problems)


def _from_mnist(source: Path, mnist_files: str) -> list[_Item]:
    from cnn_desktop.core.data.preprocess import preprocess
    from cnn_desktop.core.data.readers import find_mnist_pair, read_mnist_folder

    images, labels = read_mnist_folder(source, mnist_files)
    where = str(find_mnist_pair(source, mnist_files)[0])
    return [_Item(str(int(label)), f"{where} image {i}", lambda image=image: (preprocess(image), None))
            for i, (image, label) in enumerate(zip(images, labels))]


def _from_image_folder(source: Path) -> list[_Item]:
    from cnn_desktop.core.data.preprocess import preprocess
    from cnn_desktop.core.data.readers import list_image_folder, read_image

    pairs, _ = list_image_folder(source)
    return [_Item(label, str(path), lambda path=path: (preprocess(read_image(path)), None)) for path, label in pairs]
