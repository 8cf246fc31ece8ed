"""``cnn-desktop download mnist``: fetch the MNIST digits into the user-data folder (or ``--to DIR``).

The fetching, checking and resuming live in core/data/download.py; this draws a bar per file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnn_desktop.cli import arguments
from cnn_desktop.cli.output import printable, say

HELP = "download the MNIST digits for training and evaluating digit models"
DESCRIPTION = ("Fetch MNIST's four IDX files (60,000 training and 10,000 test digits, about 12 MB) from the "
               "public mirrors, trying each in turn, and check them against their published checksums. An "
               "interrupted download resumes where it stopped; files already there are kept.")
EXAMPLES = arguments.examples(
    "cnn-desktop download mnist",
    "cnn-desktop download mnist --to ~/data/mnist",
    "cnn-desktop train --preset digits --epochs 3 --out digits.safetensors   # then uses it",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", choices=["mnist"], help="what to download: mnist")
    parser.add_argument("--to", type=Path, metavar="DIR",
                        help="where to put the files (default: the 'mnist' folder in your cnn-desktop "
                             "data folder, where 'train --preset digits' looks)")


def run(options: argparse.Namespace) -> int:
    from cnn_desktop.cli.progress import DownloadProgress
    from cnn_desktop.core.data.download import default_mnist_folder, download_mnist

    folder = options.to or default_mnist_folder()
    with DownloadProgress() as progress:
        report = download_mnist(folder, progress=progress.update,
                                on_skip=lambda name: print(f"{name}: already here, checksum verified", file=sys.stderr))
    for failure in report.failures:  # mirrors that failed before another one delivered
        print(f"note: {printable(failure)}", file=sys.stderr)
    done = f"{len(report.fetched)} fetched, {len(report.skipped)} already there"
    say(f"MNIST is in {printable(folder)} ({done}, all checksums verified)")
    return 0
