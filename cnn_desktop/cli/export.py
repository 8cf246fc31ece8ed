"""``cnn-desktop export``: a model as an ONNX file, or drawings as an image zip, MNIST IDX or JSON lines."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnn_desktop.cli import arguments
from cnn_desktop.cli.output import printable, say
from cnn_desktop.core.errors import CnnDesktopError

HELP = "export a model as ONNX, or drawings as images, MNIST IDX or JSON lines"
DESCRIPTION = (
    "Take a model or drawings elsewhere. --format onnx writes the model (--model, --project or --preset) as "
    "an ONNX file that answers with class probabilities and carries its class names and the input it "
    "expects (needs the export extra: pip install \"cnn-desktop[export]\"). With --data (a collection "
    "folder or a project), --format images writes a zip of <label>/<id>.png, idx an MNIST IDX pair with "
    "classes.txt (a folder, or a zip when --out ends in .zip), jsonl one drawing's strokes per line. "
    "An existing --out is never overwritten."
)
EXAMPLES = arguments.examples(
    "cnn-desktop export --format onnx --out digits.onnx                 # the bundled digits model",
    "cnn-desktop export --model ticks.safetensors --format onnx --out ticks.onnx",
    "cnn-desktop export --project shapes --format onnx --out shapes.onnx",
    "cnn-desktop export --data shapes --format images --out shapes.zip",
    "cnn-desktop export --data shapes --format idx --out shapes-idx",
    "cnn-desktop export --data shapes --format jsonl --out shapes.jsonl",
)
MODEL_FORMATS = ("onnx",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cnn_desktop.core.data.export import FORMATS

    arguments.add_model_options(parser)
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="export the drawings of this collection folder or project instead of a model "
                             "(default: none, a model is exported)")
    parser.add_argument("--format", required=True, choices=MODEL_FORMATS + FORMATS,
                        help="onnx for a model; images, idx or jsonl for --data")
    parser.add_argument("--out", required=True, type=Path, metavar="PATH", help="file or folder to create")


def run(options: argparse.Namespace) -> int:
    if options.data is not None:
        if options.model or options.project or options.preset:
            raise CnnDesktopError("give --data (drawings) or --model/--project/--preset (a model), not both")
        if options.format in MODEL_FORMATS:
            raise CnnDesktopError(f"--format {options.format} exports a model; drawings take images, idx or jsonl")
        return _export_data(options)
    if options.format not in MODEL_FORMATS:
        raise CnnDesktopError(f"--format {options.format} exports drawings: give --data COLLECTION_OR_PROJECT")
    return _export_onnx(options)


def _export_onnx(options: argparse.Namespace) -> int:
    from cnn_desktop.core.network.onnx_export import export_onnx, refuse_existing, require_export_extra

    require_export_extra()  # before loading anything: the one line saying what to install
    refuse_existing(options.out)
    from cnn_desktop.cli import load_chosen_model

    saved = load_chosen_model(options)
    source = str(options.model or options.project or f"bundled {options.preset or arguments.DEFAULT_PRESET}")
    export_onnx(saved.model, options.out, source=Path(source).name if options.model else source)
    classes = saved.spec.classes
    say(f"{printable(options.out)}: ONNX, {len(classes)} classes ({', '.join(classes)}), "
        f"input images (N, 1, 28, 28), output probabilities (N, {len(classes)})")
    return 0


def _export_data(options: argparse.Namespace) -> int:
    import sys

    from cnn_desktop.cli.project_data import is_project, open_project
    from cnn_desktop.core.data.export import collection_drawings, export_drawings, labelled_drawings, refuse_existing

    refuse_existing(options.out)
    if is_project(options.data):
        from cnn_desktop.core.projects.project import DRAWINGS

        project = open_project(options.data, read_only=True)  # nothing is written to it
        names = dict(zip(project.class_ids, project.class_names))
        drawings, classes, problems = labelled_drawings(project.folder / DRAWINGS, names)
    else:
        drawings, classes, problems = collection_drawings(options.data)
    for problem in problems:
        print(f"cnn-desktop: {printable(problem)}", file=sys.stderr)
    export_drawings(drawings, classes, options.format, options.out)
    count = f"{len(drawings)} drawing{'s' if len(drawings) != 1 else ''}"
    say(f"{printable(options.out)}: {count} of {len(classes)} classes as {options.format}")
    return 0
