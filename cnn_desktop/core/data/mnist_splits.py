"""A fixed, documented split of MNIST's 10,000 test digits: the only MNIST this project has.

The bundled digits model is trained, chosen and reported on these 10,000, so they are cut once, by a
seeded stratified permutation, into three parts that never mix:

* ``train`` (7,000): what variants train on;
* ``select`` (1,000): the only part used to choose among variants, epochs and settings;
* ``report`` (2,000): touched once per final candidate; its figure is the one a model card reports.

After the recipe is chosen on ``select``, the shipped model may train on ``train+select`` (the card
says so); ``report`` is never trained on or chosen with.

The split depends on the order of the labels, so it is only made for the file it was designed for:
``split_of`` checks the labels' SHA-256 and refuses anything else in one line.
"""

from __future__ import annotations

import hashlib

import numpy as np

from cnn_desktop.core.errors import DataError

# SHA-256 of MNIST's t10k labels as uint8 in file order (980, 1135, 1032, 1010, 982, 892, 958, 1028,
# 974 and 1009 digits of 0-9).
MNIST_TEST_LABELS_SHA256 = "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"
SPLIT_SEED = 2026  # fixed once; changing it changes every figure measured on these parts
SELECT_SHARE = 0.1
REPORT_SHARE = 0.2
SPLITS = ("train", "select", "report", "train+select")


def is_mnist_test(labels: np.ndarray) -> bool:
    """Whether ``labels`` are MNIST's 10,000 test labels in file order (what the split was made for)."""
    labels = np.asarray(labels)
    if labels.shape != (10_000,):
        return False
    return hashlib.sha256(labels.astype(np.uint8).tobytes()).hexdigest() == MNIST_TEST_LABELS_SHA256


def mnist_parts(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Sorted index arrays of the three parts, stratified: each class gives 10% to select and 20% to
    report (rounded), the rest to train. Each class has its own seeded generator, so the parts do not
    depend on how numpy draws across classes."""
    labels = np.asarray(labels, np.int64)
    parts: dict[str, list[np.ndarray]] = {"train": [], "select": [], "report": []}
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        members = members[np.random.default_rng([SPLIT_SEED, int(cls)]).permutation(len(members))]
        n_select = int(round(SELECT_SHARE * len(members)))
        n_report = int(round(REPORT_SHARE * len(members)))
        parts["report"].append(members[:n_report])
        parts["select"].append(members[n_report:n_report + n_select])
        parts["train"].append(members[n_report + n_select:])
    return {name: np.sort(np.concatenate(chunks)).astype(np.int64) for name, chunks in parts.items()}


def split_of(labels: np.ndarray, name: str, source: str = "data") -> np.ndarray:
    """The indices of part ``name`` (one of ``SPLITS``) of MNIST's test digits; ``source`` names the
    data in the one-line error when these labels are not MNIST's 10,000 test labels."""
    if name not in SPLITS:
        raise DataError(f"unknown MNIST part {name!r}; choose one of {', '.join(SPLITS)}")
    if not is_mnist_test(labels):
        raise DataError(f"{source}: the {name} part is defined on MNIST's 10,000 test digits "
                        f"(t10k, in file order), and these {len(labels)} labels are not them")
    parts = mnist_parts(labels)
    if name == "train+select":
        return np.sort(np.concatenate([parts["train"], parts["select"]]))
    return parts[name]
