"""``cnn-desktop train --project DIR``: train a project's network on its drawings; the result becomes its
new current version.

The project is opened for writing (its lock) for the whole run, so the app cannot change its drawings
or classes meanwhile, and a project open in the app is refused in one line before any work. A run
that fails (diverged, interrupted) writes nothing.

Small projects are trained and judged as the app does (``core/training/run_plan.py``): unless the
command line or the project's own settings say otherwise, a small collection gets the small-data
settings; a held-out split only with enough drawings a class (or when --validation-fraction asks for
one), else every drawing trained on and a k-fold estimate printed and recorded, or no figure and why.
"""

from __future__ import annotations

import argparse
import copy
import shlex
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone

from cnn_desktop import __version__
from cnn_desktop.cli import arguments
from cnn_desktop.cli.output import printable, say
from cnn_desktop.core.errors import CnnDesktopError, TrainingError, at


def train_project(options: argparse.Namespace) -> int:
    from cnn_desktop.cli import use_planned_threads
    from cnn_desktop.cli.progress import TrainingProgress
    from cnn_desktop.cli.project_data import open_project, read_drawings
    from cnn_desktop.cli.train import _busy_note, chosen_network, config_with_options
    from cnn_desktop.core.network.model import build_model
    from cnn_desktop.core.training.run_plan import class_counts, estimate_line, plan_run
    from cnn_desktop.core.training.trainer import Trainer, split_indices

    for given, name in ((options.data, "--data"), (options.out, "--out"), (options.init, "--init"),
                        (options.samples, "--samples")):
        if given is not None:
            raise CnnDesktopError(f"{name} applies to --preset; --project trains on the project's drawings "
                                  "(add more with 'cnn-desktop import')")
    with open_project(options.project, read_only=False) as project:
        # --arch: checked before the drawings are read; the project keeps it only once a run succeeds.
        spec = project.spec if options.arch is None else chosen_network(options.arch, project.class_names)
        config = config_with_options(project.config, options)
        device = arguments.chosen_device(options, spec, config.batch_size, training=True)  # before reading
        progress = TrainingProgress(config.epochs)
        started = time.perf_counter()
        drawings = read_drawings(project, progress=progress.preprocessing)
        prep_seconds = time.perf_counter() - started
        for line in drawings.skipped:
            print(f"skipped {printable(line)}", file=sys.stderr)
        use_planned_threads(options)
        parent = project.current_version()
        model, start = None, "fresh weights"
        if parent is not None and not options.from_scratch and options.arch is None:
            adapted = project.adapted_model(parent, seed=config.seed)
            if adapted.spec == project.spec:
                model, start = adapted, f"{parent}'s learned layers"
            else:
                print(f"note: the project's network differs from {parent}'s; starting from fresh weights",
                      file=sys.stderr)
        if model is None:
            model = build_model(spec, seed=config.seed)
        counts = class_counts(drawings.labels, project.class_names)
        config, note = _settings(project, options, config, counts, from_scratch=start == "fresh weights")
        plan = plan_run(counts, config)
        if options.validation_fraction is not None and plan.kind != "holdout":
            plan = _split_as_asked(plan, config)
        config = progress.epochs_changed(plan.config)
        start_copy = copy.deepcopy(model) if plan.kind == "kfold" else None  # where every fold starts
        try:
            trainer = Trainer(model, drawings.images, drawings.labels, config,
                              on_step_end=progress.step, on_epoch_end=progress.epoch, device=device.device)
        except TrainingError as error:  # no drawings, one class...: name the project
            raise TrainingError(at(project.folder, str(error))) from None
        _, held_out = split_indices(drawings.labels, config.validation_fraction, config.seed)  # the Trainer's split
        print(f"training {printable(project.name)}: {trainer.train_size} drawings, {trainer.val_size} held out "
              f"for validation, {model.parameter_count():,} parameters, {config.epochs} epochs, from {start}"
              f"{_busy_note(options)}", file=sys.stderr)
        said = device.device.type != "cpu" or device.asked != "auto"
        for line in (said and device.line, note, plan.warning and f"warning: {plan.warning}",
                     plan.opening_line(trainer.val_size)):
            if line:
                print(printable(line), file=sys.stderr)
        try:
            trainer.fit()
            estimate = _kfold_estimate(plan, start_copy, drawings)
        except TrainingError as error:  # diverged: no version is written
            raise TrainingError(at(project.folder, f"no version written: {error}")) from None
        finally:
            progress.close()
            model.to("cpu")
        info = {
            "project": project.name,
            "command": "cnn-desktop " + shlex.join(options.argv),
            "data": str(project.folder),
            "examples": len(drawings),
            "train_size": trainer.train_size,
            "val_size": trainer.val_size,
            "config": asdict(config),
            "init": None if start == "fresh weights" else parent,
            "validation": plan.record(estimate),
            "preprocess_seconds": round(prep_seconds, 2),
            "train_seconds": round(trainer.history[-1].seconds, 2) if trainer.history else 0.0,
            "parameters": model.parameter_count(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cnn_desktop_version": __version__,
        }
        if spec != project.spec:
            project.set_network(spec)  # the next `train --project` and the app go on with this network
        version = project.add_version(model, [epoch.to_dict() for epoch in trainer.history], info,
                                      reason="trained", held_out_ids=[drawings.ids[i] for i in held_out],
                                      parent=None if start == "fresh weights" else parent)
    last = trainer.history[-1]
    val = f", validation accuracy {last.val_accuracy:.4f}" if last.val_accuracy is not None else ""
    if plan.kind == "kfold":
        print(printable(estimate_line(estimate, plan.validation.folds)), file=sys.stderr)
    elif plan.kind == "none":
        print(printable(plan.validation.explanation), file=sys.stderr)
    print(f"{printable(project.folder)}: {version} is now current (training accuracy {last.train_accuracy:.4f}{val})",
          file=sys.stderr)
    say(version)
    return 0


def _settings(project, options: argparse.Namespace, config, counts: dict[str, int], from_scratch: bool):
    """The run's settings and a line saying why ("" when unchanged): a small collection's defaults
    (run_plan.default_config), unless the command line set a training option or the project's settings
    are not the ones a project gets without asking (``project new``'s, or the app's for its modes)."""
    from cnn_desktop.core.tasks import TASKS
    from cnn_desktop.core.training.run_plan import default_config, settings_chosen

    given = [options.epochs, options.batch_size, options.lr, options.optimizer, options.validation_fraction]
    if any(value is not None for value in given) or options.no_augment:
        return config, ""
    if settings_chosen(project.config, *(task.app_train_config for task in TASKS.values())):
        return config, ""
    return default_config(config, counts, from_scratch)


def _split_as_asked(plan, config):
    """--validation-fraction asks for a held-out split: the person's choice, kept; the line says what
    such a figure is worth."""
    from cnn_desktop.core.training.run_plan import RunPlan
    from cnn_desktop.core.training.small_data import ValidationPlan

    why = f"held out as asked by --validation-fraction; {plan.validation.explanation}"
    return RunPlan(ValidationPlan("holdout", why), config, plan.warning)


def _kfold_estimate(plan, start_model, drawings):
    """The k-fold estimate after the run, each fold from where the run started; None unless planned."""
    from cnn_desktop.core.training.small_data import KFoldRun

    if plan.kind != "kfold":
        return None
    print(f"estimating accuracy by {plan.validation.folds}-fold cross-validation "
          f"({plan.validation.folds} more runs on part of the drawings)...", file=sys.stderr)
    return KFoldRun(lambda: copy.deepcopy(start_model), drawings.images, drawings.labels, plan.config,
                    plan.validation.folds).run()
