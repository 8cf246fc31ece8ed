"""The ``cnn-desktop`` command: no arguments opens the app; subcommands train, evaluate, predict, info.

Users, CI and the benchmarks script against these names and outputs, so they stay stable: ``evaluate``
always ends with ``accuracy 0.9876 n=1234``. A problem with the user's input prints one line
(``cnn-desktop: error: <file>: <problem>``) and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence, TextIO

from cnn_desktop import __version__
from cnn_desktop.core.errors import CnnDesktopError

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        return _open_app()
    parser = _parser()
    options = parser.parse_args(args)
    options.argv = args
    _plan_torch_threads(options)
    try:
        return options.run(options)
    except CnnDesktopError as error:
        print(f"cnn-desktop: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("cnn-desktop: interrupted", file=sys.stderr)
        return 130


def _open_app() -> int:
    from cnn_desktop.gui.app import main as app_main  # Qt is only imported when the app is wanted

    return app_main()


def _plan_torch_threads(options) -> None:
    """Decide torch's threads from how busy the machine is now (core/threads.py). The wait policy must
    be in the environment before torch is imported, which every command does later; the thread count
    is applied by ``_use_planned_threads`` when torch is first needed."""
    from cnn_desktop.core.threads import apply_wait_policy, plan_for_this_machine

    options.thread_plan = plan_for_this_machine()
    apply_wait_policy(options.thread_plan)


def _use_planned_threads(options) -> None:
    from cnn_desktop.core.model import configure_torch

    configure_torch(options.thread_plan.threads)


# --- argument parsing ---


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnn-desktop",
        description="Learn and use convolutional neural networks by drawing. Without arguments, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"cnn-desktop {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    train = commands.add_parser("train", help="train a model and save it")
    train.add_argument("--preset", choices=["digits", "ticks-crosses"], required=True, help="which task")
    train.add_argument("--data", type=Path, help="MNIST IDX folder, image folder or collection "
                       "(ticks-crosses: generated drawings when omitted)")
    train.add_argument("--out", type=Path, required=True, help="where to save the model")
    train.add_argument("--epochs", type=int, help="passes over the training data")
    train.add_argument("--seed", type=int, default=0, help="seeds the split, shuffling, augmentation, weights")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--lr", type=float, help="learning rate")
    train.add_argument("--optimizer", choices=["adam", "sgd"])
    train.add_argument("--validation-fraction", type=float, help="share held out for validation")
    train.add_argument("--no-augment", action="store_true", help="train on the examples as they are")
    train.add_argument("--init", type=Path, metavar="MODEL", help="fine-tune this model instead of starting afresh")
    train.add_argument("--samples", type=int, default=3000,
                       help="ticks-crosses without --data: generated drawings per class")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="accuracy and confusion matrix of a model on a data set")
    _model_options(evaluate)
    evaluate.add_argument("data", type=Path, nargs="?", metavar="DATA",
                          help="MNIST IDX folder, image folder or collection")
    evaluate.add_argument("--split", choices=["all", "validation", "train"], default="all",
                          help="evaluate on the whole data set, or on the split the model was trained with "
                               "(its seed and validation fraction are read from the model file)")
    evaluate.add_argument("--generated", action="store_true",
                          help="instead of DATA, generated drawings: ticks and crosses, or digits drawn with "
                               "a mouse (each seen as strokes and as a raster), with accuracy per group")
    evaluate.add_argument("--seed", type=int, default=1, help="--generated: seed of the drawings (default 1)")
    evaluate.add_argument("--samples", type=int,
                          help="--generated: drawings per class (default 1000 ticks/crosses, 100 digits)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead")
    evaluate.set_defaults(run=_evaluate)

    predict = commands.add_parser("predict", help="classify image files")
    _model_options(predict)
    predict.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    predict.add_argument("--json", action="store_true", help="print one JSON object per line")
    predict.set_defaults(run=_predict)

    info = commands.add_parser("info", help="describe a model: layers, sizes, parameters, training")
    _model_options(info)
    info.set_defaults(run=_info)
    return parser


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="model file (default: the preset's bundled model)")
    parser.add_argument("--preset", choices=["digits", "ticks-crosses"], default="digits",
                        help="whose bundled model to use when --model is not given (default: digits)")


def _load(options):
    from cnn_desktop.core.checkpoint import load_model
    from cnn_desktop.core.presets import get_preset

    _use_planned_threads(options)
    path = options.model or get_preset(options.preset).bundled_model_path()
    if options.model is None and not path.exists():
        raise CnnDesktopError(f"{path}: the bundled {options.preset} model is missing; pass --model")
    return load_model(path)


# --- train ---


def _train(options) -> int:
    import torch

    from cnn_desktop.core.checkpoint import load_model, save_model
    from cnn_desktop.core.errors import TrainingError, at
    from cnn_desktop.core.model import build_model
    from cnn_desktop.core.presets import get_preset
    from cnn_desktop.core.training import Trainer

    _use_planned_threads(options)
    preset = get_preset(options.preset)
    config = preset.train_config.with_(seed=options.seed)
    overrides = {
        "epochs": options.epochs,
        "batch_size": options.batch_size,
        "learning_rate": options.lr,
        "optimizer": options.optimizer,
        "validation_fraction": options.validation_fraction,
    }
    config = config.with_(**{k: v for k, v in overrides.items() if v is not None})
    if options.no_augment:
        config = config.with_(augment=False)

    started = time.perf_counter()
    dataset = _training_data(options, preset)
    prep_seconds = time.perf_counter() - started
    if options.init:
        model = load_model(options.init, expected_classes=preset.classes).model
    else:
        model = build_model(preset.spec(), seed=options.seed)

    bar = ProgressBar(sys.stderr)
    try:
        trainer = Trainer(
            model,
            dataset.images,
            dataset.labels,
            config,
            on_step_end=bar.step,
            on_epoch_end=lambda epoch: bar.epoch(epoch, config.epochs),
        )
    except TrainingError as error:  # no examples, one class...: the trainer only sees arrays, name the data
        raise TrainingError(at(dataset.source, str(error))) from None
    plan = options.thread_plan
    busy = ""
    if plan.busy:  # say why training may be slower than usual (core/threads.py)
        waiting = f", OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}" if "OMP_WAIT_POLICY" in os.environ else ""
        busy = (f" (machine busy: load average {plan.load:.2f} on {plan.cores} cores; "
                f"{torch.get_num_threads()} torch thread(s){waiting})")
    print(
        f"training {preset.name}: {trainer.train_size} examples, {trainer.val_size} held out for validation, "
        f"{model.parameter_count()} parameters, {config.epochs} epochs{busy}",
        file=sys.stderr,
    )
    try:
        trainer.fit()
    except TrainingError as error:  # diverged: a failed run never overwrites what --out holds
        bar.close()
        raise TrainingError(at(options.out, f"not written: {error}")) from None
    bar.close()
    history = [epoch.to_dict() for epoch in trainer.history]
    info = {
        "preset": preset.name,
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
    save_model(options.out, model, history, info)
    last = trainer.history[-1]
    val = f", validation accuracy {last.val_accuracy:.4f}" if last.val_accuracy is not None else ""
    print(f"saved {options.out} (training accuracy {last.train_accuracy:.4f}{val})")
    return 0


def _training_data(options, preset):
    from cnn_desktop.core.datasets import Dataset, load_dataset

    if options.data is not None:
        bar = ProgressBar(sys.stderr)
        dataset = load_dataset(options.data, preset.classes, progress=bar.preprocessing)
        bar.close()
        return dataset
    if preset.name == "ticks-crosses":
        from cnn_desktop.core.synth import ticks_crosses_dataset

        images, labels = ticks_crosses_dataset(options.samples, seed=options.seed)
        return Dataset(images, labels, preset.classes, f"generated ticks and crosses ({options.samples} per class)")
    raise CnnDesktopError(f"the {preset.name} preset needs --data (for example an MNIST folder)")


class ProgressBar:
    """One redrawn line on a terminal; plain lines per epoch when the output is a file or a pipe."""

    WIDTH = 24

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.live = stream.isatty()
        self._last_draw = 0.0
        self._drawn = False

    def preprocessing(self, done: int, total: int) -> None:
        self._draw(f"preprocessing {self._bar(done / total)} {done}/{total}", force=done == total)

    def step(self, info) -> None:
        within = (info.step - 1) % info.steps_per_epoch + 1
        self._draw(
            f"epoch {info.epoch} {self._bar(within / info.steps_per_epoch)} "
            f"loss {info.loss:.4f} acc {info.accuracy:.3f} {info.samples_per_second:,.0f} samples/s"
        )

    def epoch(self, info, epochs: int) -> None:
        val = (
            f"  val_loss {info.val_loss:.4f}  val_acc {info.val_accuracy:.4f}"
            if info.val_accuracy is not None
            else ""
        )
        self._clear()
        print(
            f"epoch {info.epoch}/{epochs}  loss {info.train_loss:.4f}  acc {info.train_accuracy:.4f}{val}"
            f"  {info.seconds:.1f}s",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        self._clear()

    def _bar(self, fraction: float) -> str:
        filled = int(round(fraction * self.WIDTH))
        return "[" + "#" * filled + "-" * (self.WIDTH - filled) + f"] {fraction:4.0%}"

    def _draw(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not self.live or (not force and now - self._last_draw < 0.1):
            return
        self._last_draw = now
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False


# --- evaluate ---


def _evaluate(options) -> int:
    from cnn_desktop.core.datasets import load_dataset
    from cnn_desktop.core.evaluation import evaluate_model, format_report

    if (options.data is None) == (not options.generated):
        raise CnnDesktopError("evaluate needs either DATA or --generated (not both)")
    saved = _load(options)
    if options.generated:
        return _evaluate_generated(options, saved)
    dataset = load_dataset(options.data, saved.spec.classes)
    if options.split != "all":
        dataset = _split_like_training(dataset, saved, options.split)
    report = evaluate_model(saved.model, dataset.images, dataset.labels)
    if options.json:
        print(json.dumps(report.to_dict()))
    else:
        for line in dataset.skipped:
            print(f"skipped {line}", file=sys.stderr)
        print(format_report(report))
    return 0


def _evaluate_generated(options, saved) -> int:
    """Accuracy on freshly generated drawings of the model's task, never the ones it was trained on."""
    from cnn_desktop.core.evaluation import evaluate_model, format_groups, format_report, group_accuracy
    from cnn_desktop.core.spec import DIGIT_CLASSES, TICK_CROSS_CLASSES
    from cnn_desktop.core import synth

    if options.split != "all":
        raise CnnDesktopError("--split applies to DATA; generated drawings are all held out")
    if options.samples is not None and options.samples < 1:
        raise CnnDesktopError(f"--samples must be at least 1, got {options.samples}")
    classes = saved.spec.classes
    groups = {}
    if classes == TICK_CROSS_CLASSES:
        trained = saved.info.get("config", {}).get("seed")
        if str(saved.info.get("data", "")).startswith("generated") and trained == options.seed:
            raise CnnDesktopError(
                f"the model was trained on the drawings of seed {options.seed}; pass another --seed"
            )
        samples = options.samples or 1000
        images, labels = synth.ticks_crosses_dataset(samples, options.seed)
        source = f"generated ticks and crosses, seed {options.seed}, {samples} per class"
    elif classes == DIGIT_CLASSES:
        samples = options.samples or 100
        drawn = synth.drawn_digits_dataset(samples, options.seed)
        images, labels, groups = drawn.images, drawn.labels, drawn.groups()
        source = (f"generated digit drawings, seed {options.seed}, {samples} per class, "
                  "each as strokes and as a raster")
    else:
        raise CnnDesktopError(f"no generated drawings for a model of classes {list(classes)}")
    report = evaluate_model(saved.model, images, labels)
    grouped = group_accuracy(report, labels, groups)
    if options.json:
        print(json.dumps({**report.to_dict(), "data": source, "groups": grouped}))
    else:
        print(source)
        if grouped:
            print(format_groups(grouped))
        print(format_report(report))
    return 0


def _split_like_training(dataset, saved, split: str):
    from cnn_desktop.core.training import split_indices

    config = saved.info.get("config") or {}
    if "seed" not in config or "validation_fraction" not in config:
        raise CnnDesktopError("the model file does not record its training split; use --split all")
    train, val = split_indices(dataset.labels, config["validation_fraction"], config["seed"])
    chosen = val if split == "validation" else train
    if not len(chosen):
        raise CnnDesktopError(f"the {split} split is empty (validation fraction {config['validation_fraction']})")
    return dataset.subset(chosen)


# --- predict ---


def _predict(options) -> int:
    import numpy as np

    from cnn_desktop.core.model import predict_proba
    from cnn_desktop.core.preprocess import preprocess
    from cnn_desktop.core.readers import read_image

    saved = _load(options)
    classes = saved.spec.classes
    failures = 0
    for path in options.images:
        try:
            probs = predict_proba(saved.model, preprocess(read_image(path)))
        except CnnDesktopError as error:
            message = str(error) if str(path) in str(error) else f"{path}: {error}"
            print(f"cnn-desktop: error: {message}", file=sys.stderr)
            failures += 1
            continue
        best = int(np.argmax(probs))
        if options.json:
            print(json.dumps({"image": str(path), "class": classes[best],
                              "probabilities": {c: round(float(p), 6) for c, p in zip(classes, probs)}}))
        else:
            ranked = "  ".join(f"{c} {p:.3f}" for c, p in sorted(zip(classes, probs), key=lambda cp: -cp[1]))
            print(f"{path}: {classes[best]} ({probs[best]:.1%})    {ranked}")
    return EXIT_BAD_INPUT if failures else 0


# --- info ---


def _info(options) -> int:
    from cnn_desktop.core.model import layer_geometry

    saved = _load(options)
    spec = saved.spec
    print(f"classes: {', '.join(spec.classes)}")
    print(f"parameters: {saved.model.parameter_count():,}")
    params = dict(saved.model.layers.named_children())
    print(f"{'layer':<10} {'output':<14} {'receptive field':<16} parameters")
    for geo in layer_geometry(spec):
        module = params.get(geo.name)
        count = sum(p.numel() for p in module.parameters()) if module is not None else 0
        shape = f"{geo.channels}x{geo.size}x{geo.size}" if geo.size > 1 else f"{geo.channels}"
        field = f"{geo.field}x{geo.field}" if geo.size > 1 else "whole input"
        print(f"{geo.name:<10} {shape:<14} {field:<16} {count:,}")
    if saved.history:
        last = saved.history[-1]
        print(f"trained: {len(saved.history)} epochs, last validation accuracy {last.get('val_accuracy')}")
    for key in ("data", "date", "command"):
        if saved.info.get(key):
            print(f"{key}: {saved.info[key]}")
    return 0
