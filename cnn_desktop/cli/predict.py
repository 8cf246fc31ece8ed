"""``cnn-desktop predict``: classify image files with a model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cnn_desktop.cli import arguments
from cnn_desktop.cli.arguments import EXIT_BAD_INPUT
from cnn_desktop.cli.output import printable, say
from cnn_desktop.core.errors import CnnDesktopError

HELP = "classify image files"
DESCRIPTION = ("Print each image's most likely class and every class's probability. Any PNG, JPEG or BMP "
               "works, ink dark on light or light on dark; a drawing the app saved is used as stored.")
EXAMPLES = arguments.examples(
    "cnn-desktop predict my-drawing.png another.jpg",
    "cnn-desktop predict --model digits.safetensors --json seven.png",
    "cnn-desktop predict --preset ticks-crosses tick.png",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_model_options(parser)
    parser.add_argument("images", type=Path, nargs="+", metavar="IMAGE", help="image files to classify")
    parser.add_argument("--json", action="store_true", help="print one JSON object per image (default: off)")
    arguments.add_device_option(parser, training=False)


def run(options: argparse.Namespace) -> int:
    import numpy as np

    from cnn_desktop.cli import load_chosen_model
    from cnn_desktop.cli.evaluate import on_device
    from cnn_desktop.core.data.datasets import network_input
    from cnn_desktop.core.network.model import predict_proba

    saved = load_chosen_model(options)
    on_device(options, saved.model, 1)  # one image per call: auto keeps it on the CPU
    classes = saved.spec.classes
    failures = 0
    for path in options.images:
        try:
            probs = predict_proba(saved.model, network_input(path))
        except CnnDesktopError as error:
            message = str(error) if str(path) in str(error) else f"{path}: {error}"
            print(f"cnn-desktop: error: {printable(message)}", file=sys.stderr)
            failures += 1
            continue
        best = int(np.argmax(probs))
        if options.json:
            say(json.dumps({"image": str(path), "class": classes[best],
                            "probabilities": {c: round(float(p), 6) for c, p in zip(classes, probs)}},
                           allow_nan=False))
        else:
            ranked = "  ".join(f"{c} {p:.3f}" for c, p in sorted(zip(classes, probs), key=lambda cp: -cp[1]))
            say(f"{printable(path)}: {classes[best]} ({probs[best]:.1%})    {ranked}")
    return EXIT_BAD_INPUT if failures else 0
