"""``cnn-desktop train``: train a network for a task and save it as a model file."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

from cnn_desktop.cli import arguments
from cnn_desktop.cli.output import say
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.presets import PRESETS
from cnn_desktop.core.network.summary import LIMITS_NOTE
from cnn_desktop.core.tasks import TASKS

HELP = "train a model and save it, or a project's next model version"
DESCRIPTION = ("Train a task's network on a data set and save it, with its training history, as a model "
               "file; or train a project's network on its drawings and add the result as the project's "
               "new current version. A progress bar shows loss and accuracy; each epoch ends with one line.")
EXAMPLES = arguments.examples(
    "cnn-desktop download mnist",
    "cnn-desktop train --preset digits --epochs 3 --out digits.safetensors",
    "cnn-desktop train --preset ticks-crosses --out ticks.safetensors",
    "cnn-desktop train --preset ticks-crosses --arch lenet5 --epochs 2 --out lenet5.safetensors",
    "cnn-desktop train --preset digits --arch my-net.json --out mine.safetensors  # a description file",
    "cnn-desktop train --preset digits --data my-digits/ --init digits.safetensors --out mine.safetensors",
    "cnn-desktop train --project shapes                 # from the current version, with the project's settings",
    "cnn-desktop train --project shapes --epochs 20 --from-scratch",
    "cnn-desktop train --project shapes --arch tiny    # from fresh weights; tiny becomes the project's network",
)
_PROJECT_DEFAULT = "; with --project, the project's setting"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = arguments.preset_default
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--preset", choices=sorted(TASKS),
                       help="which task (default: none; give --preset or --project)")
    which.add_argument("--project", type=Path, metavar="DIR",
                       help="train on this project's drawings with its network and settings, and add the "
                            "model as its new current version (default: none; give --preset or --project)")
    parser.add_argument("--data", type=Path, metavar="PATH",
                        help="--preset: MNIST IDX folder, image folder <root>/<label>/*.png, or a collection of "
                             "the app (default: digits: the MNIST folder of 'cnn-desktop download mnist'; "
                             "ticks-crosses: generated drawings)")
    parser.add_argument("--out", type=Path, metavar="MODEL",
                        help="--preset: where to save the model (default: none; required with --preset)")
    parser.add_argument("--epochs", type=arguments.positive_int, metavar="N",
                        help=f"passes over the training data (default: {default('epochs')}{_PROJECT_DEFAULT})")
    parser.add_argument("--seed", type=arguments.seed,
                        help=f"seeds the split, shuffling, augmentation and first weights (default: 0{_PROJECT_DEFAULT})")
    parser.add_argument("--batch-size", type=arguments.positive_int, metavar="N",
                        help=f"examples per step (default: {default('batch_size')}{_PROJECT_DEFAULT})")
    parser.add_argument("--lr", type=arguments.positive_float, metavar="RATE",
                        help=f"learning rate (default: {default('learning_rate')}{_PROJECT_DEFAULT})")
    parser.add_argument("--optimizer", choices=["adam", "sgd"],
                        help=f"(default: {default('optimizer')}{_PROJECT_DEFAULT})")
    parser.add_argument("--validation-fraction", type=arguments.fraction, metavar="F",
                        help=f"share held out for validation (default: {default('validation_fraction')}"
                             f"{_PROJECT_DEFAULT})")
    parser.add_argument("--no-augment", action="store_true",
                        help="train on the examples as they are (default: augmented with small shifts, "
                             "rotations and strokes thicker or thinner, unless the project's settings say not)")
    parser.add_argument("--init", type=Path, metavar="MODEL",
                        help="--preset: fine-tune this model instead of starting afresh (default: fresh weights)")
    parser.add_argument("--from-scratch", action="store_true",
                        help="--project: start from fresh weights (default: from the current version's "
                             "learned layers)")
    parser.add_argument("--arch", metavar="PRESET|FILE.json",
                        help=f"the network: a preset ({', '.join(PRESETS)}) or a JSON description, the form "
                             "model files carry (layers conv, relu, tanh, sigmoid, pool (max), avgpool, flatten, "
                             f"fc, dropout; input_size 28 or 32). {LIMITS_NOTE} With --project it becomes the "
                             "project's network and training starts from fresh weights (default: the task's "
                             "network, 'default'; with --project, the project's)")
    parser.add_argument("--samples", type=arguments.positive_int, metavar="N",
                        help="ticks-crosses without --data: generated drawings per class (default: 3000)")
    arguments.add_device_option(parser, training=True)


def run(options: argparse.Namespace) -> int:
    from cnn_desktop.cli import use_planned_threads
    from cnn_desktop.cli.progress import TrainingProgress  # tqdm: imported only by commands that draw bars
    from cnn_desktop.core.network.checkpoint import load_model, save_model
    from cnn_desktop.core.errors import TrainingError, at
    from cnn_desktop.core.network.model import build_model
    from cnn_desktop.core.training.runs import run_info
    from cnn_desktop.core.training.trainer import Trainer

    if options.project is not None:
        from cnn_desktop.cli.train_project import train_project

        return train_project(options)
    if options.out is None:
        raise CnnDesktopError("train --preset needs --out MODEL: where to save the model")
    if options.from_scratch:
        raise CnnDesktopError("--from-scratch applies to --project; --preset starts afresh unless --init is given")
    if options.arch is not None and options.init is not None:
        raise CnnDesktopError("--init fine-tunes that model's own network; give --arch or --init, not both")
    options.seed = 0 if options.seed is None else options.seed
    options.samples = 3000 if options.samples is None else options.samples
    use_planned_threads(options)
    task = TASKS[options.preset]
    spec = chosen_network(options.arch, task.classes) if options.arch is not None else task.spec()
    config = _config(options, task)
    device = arguments.chosen_device(options, spec, config.batch_size, training=True)  # before any data is read
    progress = TrainingProgress(config.epochs)
    started = time.perf_counter()
    dataset, recipe_changes = _training_data(options, task, progress)
    if options.validation_fraction is not None:  # what the person asked for wins over the recipe
        recipe_changes.pop("validation_fraction", None)
    config = config.with_(**recipe_changes)
    for line in dataset.skipped:
        print(f"skipped {line}", file=sys.stderr)
    prep_seconds = time.perf_counter() - started
    if options.init:
        model = load_model(options.init, expected_classes=task.classes).model
    else:
        model = build_model(spec, seed=options.seed)
    try:
        trainer = Trainer(model, dataset.images, dataset.labels, config,
                          on_step_end=progress.step, on_epoch_end=progress.epoch, device=device.device)
    except TrainingError as error:  # no examples, one class...: the trainer only sees arrays, name the data
        raise TrainingError(at(dataset.source, str(error))) from None
    print(f"training {task.name}: {trainer.train_size} examples, {trainer.val_size} held out for validation, "
          f"{model.parameter_count():,} parameters, {config.epochs} epochs{_busy_note(options)}", file=sys.stderr)
    if device.device.type != "cpu" or device.asked != "auto":  # said when there is something to say
        print(device.line, file=sys.stderr)
    try:
        trainer.fit()
    except TrainingError as error:  # diverged: a failed run never overwrites what --out holds
        raise TrainingError(at(options.out, f"not written: {error}")) from None
    finally:
        progress.close()
        model.to("cpu")
    info = run_info(trainer, dataset.source, len(dataset), str(options.init) if options.init else None,
                    preset=task.name, command="cnn-desktop " + shlex.join(options.argv),
                    preprocess_seconds=round(prep_seconds, 2))
    save_model(options.out, model, [epoch.to_dict() for epoch in trainer.history], info)
    last = trainer.history[-1]
    val = f", validation accuracy {last.val_accuracy:.4f}" if last.val_accuracy is not None else ""
    say(f"saved {options.out} (training accuracy {last.train_accuracy:.4f}{val})")
    return 0


def chosen_network(arch: str, classes):
    """The network ``--arch`` names, for ``classes``: checked before any data is read or generated, so
    a mistake in a description is one line (naming the file and the layer) at once, exit status 2."""
    from cnn_desktop.core.network.presets import arch_spec

    spec, note = arch_spec(arch, classes)  # every CnnDesktopError is one line and exit status 2 (cli/__init__)
    if note:
        print(f"note: {note}", file=sys.stderr)
    return spec


def _config(options: argparse.Namespace, task):
    return config_with_options(task.train_config.with_(seed=options.seed), options)


def config_with_options(config, options: argparse.Namespace):
    """``config`` with the options given on the command line (--epochs, --lr, ...) put in."""
    if getattr(options, "seed", None) is not None:
        config = config.with_(seed=options.seed)
    overrides = {
        "epochs": options.epochs,
        "batch_size": options.batch_size,
        "learning_rate": options.lr,
        "optimizer": options.optimizer,
        "validation_fraction": options.validation_fraction,
    }
    config = config.with_(**{k: v for k, v in overrides.items() if v is not None})
    return config.with_(augment=False) if options.no_augment else config


def _training_data(options: argparse.Namespace, task, progress):
    """The --data folder; else what the task trains on by default (downloaded MNIST, generated drawings)."""
    from cnn_desktop.core.data.datasets import Dataset, load_dataset

    data = options.data
    if data is None and task.default_data is not None:
        data = task.default_data()
    if data is not None:
        dataset = load_dataset(data, task.classes, progress=progress.preprocessing)
        changes: dict = {}
        if task.training_data is not None:  # the task's recipe (digits: MNIST parts + drawn digits)
            dataset, note, changes = task.training_data(dataset, options.init is not None)
            if note:
                print(f"training data: {note}", file=sys.stderr)
        return dataset, dict(changes)
    if task.generate_training is None:
        raise CnnDesktopError(f"the {task.name} task needs --data")
    generated = task.generate_training(options.samples, options.seed)
    return Dataset(generated.images, generated.labels, task.classes, generated.source), {}


def _busy_note(options: argparse.Namespace) -> str:
    """Why training may be slower than usual (core/training/threads.py), or nothing."""
    import torch

    plan = options.thread_plan
    if not plan.busy:
        return ""
    waiting = f", OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}" if "OMP_WAIT_POLICY" in os.environ else ""
    return (f" (machine busy: load average {plan.load:.2f} on {plan.cores} cores; "
            f"{torch.get_num_threads()} torch thread(s){waiting})")
