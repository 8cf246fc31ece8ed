"""``cnn-desktop import --project DIR SOURCE``: add drawings from an image folder, a zip, MNIST or a collection.

The source is opened and checked first (core/data/import_sources.py): every label must be a class of
the project, by its display name, so a source with an unknown label changes nothing, and an IDX header
promising more than this machine holds is refused before anything is read. Then the drawings are read
a batch at a time, made into the 28x28 input the network sees (the one ``preprocess`` function, as for
training and live drawing), and stored; blank or unreadable files are left out, one line each on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnn_desktop.cli import arguments
from cnn_desktop.cli.output import printable, say
from cnn_desktop.core.errors import CnnDesktopError, DataError, at, listed

HELP = "add drawings to a project from an image folder, a zip, MNIST files or another collection"
DESCRIPTION = ("Add the drawings of SOURCE to a project. SOURCE is an image folder <root>/<label>/*.png|jpg|bmp, "
               "a zip of one (as 'export --format images' writes, or a folder zipped by hand), "
               "a folder holding an MNIST IDX pair (labels 0-9), a collection of the app, or another "
               "project. Every label must be one of the project's classes (by name); otherwise nothing "
               "is imported. Blank or unreadable images are left out and listed.")
EXAMPLES = arguments.examples(
    "cnn-desktop import --project shapes my-shapes/          # my-shapes/circle/*.png, my-shapes/square/*.png",
    "cnn-desktop import --project shapes my-shapes.zip",
    "cnn-desktop import --project digits ~/mnist --mnist-files test",
    "cnn-desktop import --project shapes old-shapes-project/",
)
BATCH = 256  # drawings read, then stored per add_many call: the label folders are synced once per batch


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, required=True, metavar="DIR", help="the project to add to (required)")
    parser.add_argument("source", type=Path, metavar="SOURCE",
                        help="image folder <root>/<label>/*.png, a zip of one, MNIST IDX folder, collection or project")
    parser.add_argument("--mnist-files", choices=["train", "test"], default="train",
                        help="when SOURCE holds both of MNIST's pairs: its 60,000 training digits or its "
                             "10,000 test digits (default: %(default)s)")


def run(options: argparse.Namespace) -> int:
    from cnn_desktop.cli.progress import counting_bar
    from cnn_desktop.cli.project_data import open_project

    source_path = options.source
    with open_project(options.project, read_only=False) as project:
        if _inside(source_path, project.folder):
            raise CnnDesktopError(at(source_path, f"is part of the project {project.folder} itself; nothing to import"))
        with _open_source(source_path, options.mnist_files, project.folder) as source:
            names = project.class_names
            unknown = sorted(set(source.labels) - set(names))
            if unknown:
                raise DataError(at(source_path, f"label{'s' if len(unknown) > 1 else ''} {listed(unknown, most=10)} "
                                                f"{'are not classes' if len(unknown) > 1 else 'is not a class'} of "
                                                f"the project {listed(names, most=10)}; nothing imported"))
            ids = {c.name: c.id for c in project.classes}
            added = {name: 0 for name in names}
            skipped = list(source.skipped)
            store = project.store
            bar = counting_bar(source.count, "importing")
            try:
                for drawings, left_out in source.batches(BATCH):
                    skipped.extend(left_out)
                    try:
                        store.add_many([(ids[label], raster, strokes) for label, raster, strokes in drawings])
                    except DataError as error:
                        done = sum(added.values())
                        raise DataError(f"{error} (at least {done:,} drawing{'s' if done != 1 else ''} "
                                        "imported before this)") from None
                    for label, _, _ in drawings:
                        added[label] += 1
                    bar.update(len(drawings) + len(left_out))
            finally:
                bar.close()
        for line in skipped:
            print(f"skipped {printable(line)}", file=sys.stderr)
        total = sum(added.values())
        per_class = ", ".join(f"{printable(name)} {count:,}" for name, count in added.items() if count)
        left = f"; {len(skipped):,} left out (listed above)" if skipped else ""
        say(f"imported {total:,} drawing{'s' if total != 1 else ''} into {printable(project.folder)}"
            f"{': ' + per_class if per_class else ''}{left}")
    return 0


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def _open_source(source: Path, mnist_files: str, destination: Path):
    """The import source at SOURCE; another project's drawings are listed here (projects are a layer
    above core/data)."""
    from cnn_desktop.cli.project_data import is_project
    from cnn_desktop.core.data.import_sources import open_import_source

    if source.is_dir() and is_project(source):
        return _from_project(source)
    return open_import_source(source, mnist_files, disk_folder=destination)


def _from_project(source: Path):
    from cnn_desktop.cli.project_data import open_project
    from cnn_desktop.core.data.import_sources import Item, ItemsSource, stored_reader

    other = open_project(source, read_only=True)
    names = {c.id: c.name for c in other.classes}
    items, skipped = [], []
    for example in other.store.examples():
        if example.label in names:
            items.append(Item(names[example.label], str(example.path), stored_reader(example.path)))
        else:
            skipped.append(at(example.path, "in a folder that is no class of its project; left out"))
    return ItemsSource(source, items, [*other.store.problems, *skipped])
