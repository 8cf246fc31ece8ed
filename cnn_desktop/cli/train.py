"""``cnn-desktop train``: train a network for a task and save it as a model file."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from cnn_desktop import __version__
from cnn_desktop.cli import arguments
from cnn_desktop.cli.output import say
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.tasks import TASKS

HELP = "train a model and save it"
DESCRIPTION = ("Train a task's network on a data set and save it, with its training history, as a model "
               "file. A progress bar shows loss and accuracy; each epoch ends with one line.")
EXAMPLES = arguments.examples(
    "cnn-desktop download mnist",
    "cnn-desktop train --preset digits --epochs 3 --out digits.safetensors",
    "cnn-desktop train --preset ticks-crosses --out ticks.safetensors",
    "cnn-desktop train --preset digits --data my-digits/ --init digits.safetensors --out mine.safetensors",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default = arguments.preset_default
    parser.add_argument("--preset", choices=sorted(TASKS), required=True, help="which task (required)")
    parser.add_argument("--data", type=Path, metavar="PATH",
                        help="MNIST IDX folder, image folder <root>/<label>/*.png, or a collection of the "
                             "app (default: digits: the MNIST folder of 'cnn-desktop download mnist'; "
                             "ticks-crosses: generated drawings)")
    parser.add_argument("--out", type=Path, required=True, metavar="MODEL", help="where to save the model (required)")
    parser.add_argument("--epochs", type=arguments.positive_int, metavar="N",
                        help=f"passes over the training data (default: {default('epochs')})")
    parser.add_argument("--seed", type=arguments.seed, default=0,
                        help="seeds the split, shuffling, augmentation and first weights (default: %(default)s)")
    parser.add_argument("--batch-size", type=arguments.positive_int, metavar="N",
                        help=f"examples per step (default: {default('batch_size')})")
    parser.add_argument("--lr", type=arguments.positive_float, metavar="RATE",
                        help=f"learning rate (default: {default('learning_rate')})")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], help=f"(default: {default('optimizer')})")
    parser.add_argument("--validation-fraction", type=arguments.fraction, metavar="F",
                        help=f"share held out for validation (default: {default('validation_fraction')})")
    parser.add_argument("--no-augment", action="store_true",
                        help="train on the examples as they are (default: augmented with small shifts, "
                             "rotations and strokes thicker or thinner)")
    parser.add_argument("--init", type=Path, metavar="MODEL",
                        help="fine-tune this model instead of starting afresh (default: fresh weights)")
    parser.add_argument("--samples", type=arguments.positive_int, default=3000, metavar="N",
                        help="ticks-crosses without --data: generated drawings per class (default: %(default)s)")


def run(options: argparse.Namespace) -> int:
    from cnn_desktop.cli import use_planned_threads
    from cnn_desktop.cli.progress import TrainingProgress  # tqdm: imported only by commands that draw bars
    from cnn_desktop.core.network.checkpoint import load_model, save_model
    from cnn_desktop.core.errors import TrainingError, at
    from cnn_desktop.core.network.model import build_model
    from cnn_desktop.core.training.trainer import Trainer

    use_planned_threads(options)
    task = TASKS[options.preset]
    config = _config(options, task)
    progress = TrainingProgress(config.epochs)
    started = time.perf_counter()
    dataset = _training_data(options, task, progress)
    for line in dataset.skipped:
        print(f"skipped {line}", file=sys.stderr)
    prep_seconds = time.perf_counter() - started
    if options.init:
        model = load_model(options.init, expected_classes=task.classes).model
    else:
        model = build_model(task.spec(), seed=options.seed)
    try:
        trainer = Trainer(model, dataset.images, dataset.labels, config,
                          on_step_end=progress.step, on_epoch_end=progress.epoch)
    except TrainingError as error:  # no examples, one class...: the trainer only sees arrays, name the data
        raise TrainingError(at(dataset.source, str(error))) from None
    print(f"training {task.name}: {trainer.train_size} examples, {trainer.val_size} held out for validation, "
          f"{model.parameter_count():,} parameters, {config.epochs} epochs{_busy_note(options)}", file=sys.stderr)
    try:
        trainer.fit()
    except TrainingError as error:  # diverged: a failed run never overwrites what --out holds
        raise TrainingError(at(options.out, f"not written: {error}")) from None
    finally:
        progress.close()
    info = {
        "preset": task.name,
        "command": "cnn-desktop " + shlex.join(options.argv),
        "data": dataset.source,
        "examples": len(dataset),
        "train_size": trainer.train_size,
        "val_size": trainer.val_size,
        "config": asdict(config),
        "init": str(options.init) if options.init else None,
        "preprocess_seconds": round(prep_seconds, 2),
        "train_seconds": round(trainer.history[-1].seconds, 2) if trainer.history else 0.0,
        "parameters": model.parameter_count(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cnn_desktop_version": __version__,
    }
    save_model(options.out, model, [epoch.to_dict() for epoch in trainer.history], info)
    last = trainer.history[-1]
    val = f", validation accuracy {last.val_accuracy:.4f}" if last.val_accuracy is not None else ""
    say(f"saved {options.out} (training accuracy {last.train_accuracy:.4f}{val})")
    return 0


def _config(options: argparse.Namespace, task):
    config = task.train_config.with_(seed=options.seed)
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
        return load_dataset(data, task.classes, progress=progress.preprocessing)
    if task.generate_training is None:
        raise CnnDesktopError(f"the {task.name} task needs --data")
    generated = task.generate_training(options.samples, options.seed)
    return Dataset(generated.images, generated.labels, task.classes, generated.source)


def _busy_note(options: argparse.Namespace) -> str:
    """Why training may be slower than usual (core/training/threads.py), or nothing."""
    import torch

    plan = options.thread_plan
    if not plan.busy:
        return ""
    waiting = f", OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}" if "OMP_WAIT_POLICY" in os.environ else ""
    return (f" (machine busy: load average {plan.load:.2f} on {plan.cores} cores; "
            f"{torch.get_num_threads()} torch thread(s){waiting})")
