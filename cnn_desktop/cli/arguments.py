"""Argument parsing shared by every subcommand: one-line errors, checked values, help with defaults.

argparse's own error prints the usage block and then the error: two or more lines for one mistake.
A person (and a script reading stderr) gets one line instead, in the same form as every other error
of the command, and the usage stays one ``cnn-desktop help COMMAND`` away.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import NoReturn

from cnn_desktop.core.tasks import TASKS

EXIT_BAD_INPUT = 2
# Seeds go to numpy's and torch's generators; both take any value in this range on every platform.
MAX_SEED = 2**32 - 1


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        # 'cnn-desktop project new' -> 'project': help takes one command, whose help lists its subcommands
        hint = " ".join(self.prog.removeprefix("cnn-desktop").split()[:1])
        see = f"; see 'cnn-desktop help {hint}'" if hint else "; see 'cnn-desktop help'"
        print(f"{self.prog}: error: {message}{see}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the hand-laid examples at the end of each command's help as written."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


def seed(text: str) -> int:
    value = _whole_number(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"a seed must be a whole number from 0 to {MAX_SEED}, got {text}")
    return value


def positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def positive_float(text: str) -> float:
    value = _number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def fraction(text: str) -> float:
    value = _number(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return value


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


def preset_default(field: str) -> str:
    """How each preset sets a training option, for help texts: 'digits 30, ticks-crosses 6', or '64'
    when every preset agrees."""
    values = {name: getattr(preset.train_config, field) for name, preset in TASKS.items()}
    if len(set(values.values())) == 1:
        return str(next(iter(values.values())))
    return ", ".join(f"{name} {value}" for name, value in values.items())


DEFAULT_PRESET = "digits"


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """--model FILE, --project DIR for its current version, or --preset NAME for that task's bundled model."""
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--model", type=Path, metavar="FILE",
                       help="model file (default: the bundled model of --preset)")
    which.add_argument("--project", type=Path, metavar="DIR",
                       help="use the current model version of this project, opened read-only (default: none)")
    parser.add_argument("--preset", choices=sorted(TASKS),
                        help=f"whose bundled model to use when neither --model nor --project is given "
                             f"(default: {DEFAULT_PRESET})")


def examples(*lines: str) -> str:
    """The examples block that ends a command's help."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def add_device_option(parser: argparse.ArgumentParser, training: bool) -> None:
    """--device auto|cpu|cuda|mps for a command that computes (core/training/device.py)."""
    what = "a training step" if training else "a batch"
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto",
                        help=f"where to compute: auto uses a GPU only when {what} is large enough to pay off "
                             "(these small networks mostly run faster on the CPU); a device that is missing is "
                             "refused (default: %(default)s)")


def chosen_device(options: argparse.Namespace, spec, examples: int, training: bool):
    """The device ``--device`` names for ``spec`` at ``examples`` per call (a DeviceChoice); a missing
    device raises DeviceError, one line (exit status 2). A command without the option computes on the CPU."""
    from cnn_desktop.core.network.summary import summarise
    from cnn_desktop.core.training.device import choose_device, step_macs

    work = step_macs(summarise(spec).totals.macs, examples, training)
    return choose_device(getattr(options, "device", "cpu"), work)
