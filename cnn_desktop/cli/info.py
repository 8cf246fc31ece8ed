"""``cnn-desktop info``: what a model file holds: classes, layers, sizes, parameters, how it was trained."""

from __future__ import annotations

import argparse

from cnn_desktop.cli import arguments
from cnn_desktop.cli.output import printable, say

HELP = "describe a model: layers, sizes, parameters, training"
DESCRIPTION = ("Print a model's classes, every layer with its kind, output size, receptive field, parameters "
               "and multiply-adds per drawing, and how it was trained.")
EXAMPLES = arguments.examples(
    "cnn-desktop info                                 # the bundled digits model",
    "cnn-desktop info --preset ticks-crosses",
    "cnn-desktop info --model digits.safetensors",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_model_options(parser)


def run(options: argparse.Namespace) -> int:
    from cnn_desktop.cli import load_chosen_model
    from cnn_desktop.core.network.summary import summarise

    saved = load_chosen_model(options)
    spec = saved.spec
    say(f"classes: {', '.join(spec.classes)}")
    say(f"parameters: {saved.model.parameter_count():,}")
    if spec.input_size != 28:
        say(f"input: {spec.input_size}x{spec.input_size} (the 28x28 drawing with a zero border)")
    # The rows come from the description alone (summary.py, what a network editor shows); the weights
    # the file holds were checked against it when it was loaded, so the counts agree.
    summary = summarise(spec)
    say(f"{'layer':<10} {'kind':<8} {'output':<12} {'receptive field':<16} {'parameters':>10} {'mult-adds':>11}")
    for row in summary.rows:
        say(f"{row.name:<10} {row.kind:<8} {row.shape_text:<12} {row.field_text:<16} {row.params:>10,} {row.macs:>11,}")
    say(f"multiply-adds per drawing: {summary.totals.macs:,}")
    if saved.history:
        say(f"trained: {_training_summary(saved.history, saved.info)}")
    for key in ("data", "date", "command"):
        if saved.info.get(key):
            say(f"{key}: {printable(saved.info[key])}")
    return 0


def _training_summary(history, info) -> str:
    """'30 epochs in 41 s, training accuracy 99.1%, validation accuracy 99.30% (1,000 held out)'."""
    last = history[-1]
    parts = [f"{len(history)} epoch{'s' if len(history) != 1 else ''}"]
    seconds = _number(last.get("seconds"))
    if seconds is not None:
        parts[0] += f" in {seconds:,.0f} s"
    train = _number(last.get("train_accuracy"))
    if train is not None:
        parts.append(f"training accuracy {train:.1%}")
    val = _number(last.get("val_accuracy"))
    if val is not None:
        held_out = _number(info.get("val_size"))
        parts.append(f"validation accuracy {val:.2%}" + (f" ({held_out:,.0f} held out)" if held_out else ""))
    return ", ".join(parts)


def _number(value) -> float | None:
    """A figure from the file's free-form history, or None when it is missing or not a number."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
