"""``cnn-desktop evaluate``: accuracy per class and the confusion matrix of a model on a data set.

Scripts read its last line, always ``accuracy 0.9876 n=1234``, or its one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cnn_desktop.cli import arguments
from cnn_desktop.cli.output import printable, say
from cnn_desktop.core.errors import CnnDesktopError

EVALUATE_BATCH = 1024  # drawings per forward pass (predict_proba's batch): the work auto weighs

HELP = "accuracy and confusion matrix of a model on a data set"
DESCRIPTION = ("Classify every example of a data set and print the accuracy of each class, the confusion "
               "matrix, and last the line 'accuracy 0.9876 n=1234'.")
EXAMPLES = arguments.examples(
    "cnn-desktop evaluate --model digits.safetensors ~/mnist             # MNIST's 10,000 test digits",
    "cnn-desktop evaluate --mnist-files train ~/mnist                    # bundled model, unseen digits",
    "cnn-desktop evaluate --model digits.safetensors my-digits/ --split validation --json",
    "cnn-desktop evaluate ../shared/data/mnist --split report            # the bundled model's card figure",
    "cnn-desktop evaluate --generated                                    # digits drawn with a mouse",
    "cnn-desktop evaluate --preset ticks-crosses --generated --seed 1",
    "cnn-desktop evaluate --project shapes                # drawings its current version never trained on",
    "cnn-desktop evaluate --project shapes more-shapes/",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_model_options(parser)
    parser.add_argument("data", type=Path, nargs="?", metavar="DATA",
                        help="MNIST IDX folder, image folder <root>/<label>/*.png, a collection of the app, or "
                             "a project; with --project it may be left out: the project's own drawings")
    parser.add_argument("--mnist-files", choices=["train", "test"], default="test",
                        help="when DATA holds both of MNIST's pairs: its 60,000 training digits or its "
                             "10,000 test digits (default: %(default)s)")
    parser.add_argument("--split", choices=["all", "validation", "train", "select", "report"],
                        help="the whole data set, or the split the model was trained with (its seed and "
                             "validation fraction are read from the model file; for --project without DATA, "
                             "the drawings its current version held out); or, of MNIST's 10,000 test digits, "
                             "the fixed part that chose the bundled digits model (select, 1,000) or the one "
                             "its card reports (report, 2,000; core/data/mnist_splits.py) (default: all; "
                             "--project without DATA: validation when the current version recorded it, else all)")
    parser.add_argument("--generated", action="store_true",
                        help="instead of DATA, generated drawings: ticks and crosses, or digits drawn with "
                             "a mouse (each seen as strokes and as a raster), with accuracy per group "
                             "(default: off)")
    parser.add_argument("--seed", type=arguments.seed, default=1,
                        help="--generated: seed of the drawings (default: %(default)s)")
    parser.add_argument("--samples", type=arguments.positive_int, metavar="N",
                        help="--generated: drawings per class (default: 1000 ticks/crosses, 100 digits)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead (default: off)")
    arguments.add_device_option(parser, training=False)


def run(options: argparse.Namespace) -> int:
    from cnn_desktop.cli import load_chosen_model
    from cnn_desktop.core.data.datasets import load_dataset
    from cnn_desktop.core.inspection.evaluation import evaluate_model, format_report

    own_drawings = options.project is not None and options.data is None and not options.generated
    if (options.data is None) == (not options.generated) and not own_drawings:
        raise CnnDesktopError("evaluate needs either DATA or --generated (not both)")
    saved = load_chosen_model(options)
    on_device(options, saved.model, EVALUATE_BATCH)
    if options.generated:
        return _evaluate_generated(options, saved)
    described = None
    if own_drawings:
        from cnn_desktop.cli.evaluate_project import own_drawings_of_project

        dataset, described = own_drawings_of_project(options.project, options.split, saved.spec.classes)
    elif _is_project(options.data):
        from cnn_desktop.cli.evaluate_project import drawings_of_project

        dataset = drawings_of_project(options.data, saved.spec.classes)
    else:
        dataset = load_dataset(options.data, saved.spec.classes, mnist_files=options.mnist_files)
    if options.split in ("select", "report"):
        from cnn_desktop.core.data.mnist_splits import split_of

        if own_drawings:
            raise CnnDesktopError(f"--split {options.split} is a part of MNIST's test digits; name that folder as DATA")
        dataset = dataset.subset(split_of(dataset.labels, options.split, dataset.source))
    elif options.split not in (None, "all") and not own_drawings:
        dataset = _split_like_training(dataset, saved, options.split)
    report = evaluate_model(saved.model, dataset.images, dataset.labels)
    if options.json:
        extra = {"data": described} if described else {}
        say(json.dumps({**report.to_dict(), **extra}, allow_nan=False))
    else:
        for line in dataset.skipped:
            print(f"skipped {printable(line)}", file=sys.stderr)
        if described:
            say(described)
        say(format_report(report))
    return 0


def on_device(options: argparse.Namespace, model, examples: int) -> None:
    """Move ``model`` to the device ``--device`` picks for calls of ``examples`` drawings (predictions
    come back as numpy: core/network/model.py); a device other than the CPU is named."""
    choice = arguments.chosen_device(options, model.spec, examples, training=False)
    if choice.device.type != "cpu":
        print(choice.line, file=sys.stderr)  # on stderr: scripts read the last line of stdout
        model.to(choice.device)


def _is_project(path: Path) -> bool:
    from cnn_desktop.cli.project_data import is_project

    return path.is_dir() and is_project(path)


def _evaluate_generated(options: argparse.Namespace, saved) -> int:
    """Accuracy on freshly generated drawings of the model's task, never the ones it was trained on."""
    from cnn_desktop.core.inspection.evaluation import evaluate_model, format_groups, format_report, group_accuracy
    from cnn_desktop.core.tasks import task_of_classes

    if options.split not in (None, "all"):
        raise CnnDesktopError("--split applies to DATA; generated drawings are all held out")
    task = task_of_classes(saved.spec.classes)
    if task is None or task.generate_test is None:
        raise CnnDesktopError(f"no generated drawings for a model of {len(saved.spec.classes)} classes other "
                              "than digits or ticks and crosses")
    trained_on = saved.info.get("config", {}).get("seed")
    if str(saved.info.get("data", "")).startswith("generated") and trained_on == options.seed:
        raise CnnDesktopError(f"the model was trained on the drawings of seed {options.seed}; pass another --seed")
    from cnn_desktop.core.data.synth import TRAINING_DIGITS_SEED

    # The digits preset also trains on drawn digits of seed 0: other styles, but the same random streams.
    if "drawn digits" in str(saved.info.get("data", "")) and options.seed == TRAINING_DIGITS_SEED:
        raise CnnDesktopError(f"the model was trained on drawn digits of seed {options.seed}; pass another --seed")
    generated = task.generate_test(options.samples or task.test_samples, options.seed)
    report = evaluate_model(saved.model, generated.images, generated.labels)
    grouped = group_accuracy(report, generated.labels, generated.groups)
    if options.json:
        say(json.dumps({**report.to_dict(), "data": generated.source, "groups": grouped}, allow_nan=False))
    else:
        say(generated.source)
        if grouped:
            say(format_groups(grouped))
        say(format_report(report))
    return 0


def _split_like_training(dataset, saved, split: str):
    """The examples of DATA that training put in ``split``, re-created from what the model file records
    (core/training/runs.py): a file that records no split is refused rather than guessed. DATA is taken
    to be what the model trained on (its recorded path may be relative to another folder); when its
    size differs from the record, a note on standard error says the split is not training's."""
    from cnn_desktop.core.training.runs import split_like_training

    try:
        recreated = split_like_training(saved.info, dataset.labels)
    except CnnDesktopError as error:
        raise CnnDesktopError(f"{error}; use --split all") from None
    if recreated.changed:
        print(f"note: {len(dataset)} examples, but the model was trained on {saved.info.get('examples')}: "
              f"the {split} split may differ from training's", file=sys.stderr)
    chosen = recreated.part(split)
    if not len(chosen):
        raise CnnDesktopError(f"the {split} split is empty (validation fraction {recreated.fraction})")
    return dataset.subset(chosen)
