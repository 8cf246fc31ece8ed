"""Accuracy, per-class accuracy and the confusion matrix of a model on a data set, or on the
drawings of a collection it held out from training (the app's Mistakes panel)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.model import CNN, predict_proba
from cnn_desktop.core.training.runs import recorded_split, split_like_training

NO_DRAWINGS = "The collection has no drawings yet."
NEVER_TRAINED_ON = "The network never trained on these drawings, so all are checked."
NO_RECORDED_SPLIT = ("The model file does not say which drawings training held out, so all are checked, "
                     "including those trained on.")
TOO_FEW_TO_HOLD_OUT = "Too few drawings to hold some out: all are checked, including those trained on."
CHANGED_SINCE = "The collection changed since the last training: some of these drawings may have been trained on."


@dataclass(frozen=True)
class EvaluationReport:
    classes: tuple[str, ...]
    confusion: np.ndarray  # (C, C) int64: row = true class, column = predicted class
    predictions: np.ndarray  # (N,) int64 predicted class per example

    @property
    def n(self) -> int:
        return int(self.confusion.sum())

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / self.n) if self.n else float("nan")

    def per_class(self) -> dict[str, float | None]:
        """Recall of each class; None for a class with no examples."""
        totals = self.confusion.sum(axis=1)
        return {
            name: (float(self.confusion[i, i] / totals[i]) if totals[i] else None)
            for i, name in enumerate(self.classes)
        }

    def to_dict(self) -> dict:
        return {
            "accuracy": round(self.accuracy, 6),
            "n": self.n,
            "classes": list(self.classes),
            "per_class": {k: (round(v, 6) if v is not None else None) for k, v in self.per_class().items()},
            "confusion": self.confusion.tolist(),
        }


def evaluate_model(model: CNN, images: np.ndarray, labels: np.ndarray) -> EvaluationReport:
    classes = model.classes
    predictions = predict_proba(model, images).argmax(axis=1).astype(np.int64) if len(images) else np.zeros(0, np.int64)
    confusion = np.zeros((len(classes), len(classes)), np.int64)
    np.add.at(confusion, (np.asarray(labels, np.int64), predictions), 1)
    return EvaluationReport(tuple(classes), confusion, predictions)


@dataclass(frozen=True)
class CollectionCheck:
    """Which of a collection's drawings a model gets right and wrong, drawing by drawing."""

    classes: tuple[str, ...]
    confusion: np.ndarray  # (C, C) int64: row = true class, column = predicted class
    example_ids: tuple[tuple[tuple[str, ...], ...], ...]  # [true][predicted] -> ids of those drawings
    split: str  # "validation" (held out from the recorded training) or "all"
    fraction: float  # the recorded validation fraction and seed (0.0 and 0 when none is recorded)
    seed: int
    note: str = ""  # one line for the person: why all drawings were checked, or why to doubt the result


def evaluate_collection(model: CNN, info: Mapping[str, Any], collection: str | os.PathLike[str]) -> CollectionCheck:
    """Classify the drawings of ``collection`` that the training recorded in ``info`` held out.

    The drawings held out are re-created with ``split_like_training``, never guessed. All drawings are
    checked instead, and ``note`` says why, when the network did not train on this very collection
    (``info["data"]`` names another one, or none), when the model file records no split, or when the
    split holds out nothing. Drawings that cannot be read, or whose label is not a class of the model,
    are left out, as training left them out.
    """
    classes = tuple(model.classes)
    store = DrawingStore(collection, classes, read_only=True)  # checking changes no byte on disk
    position = {name: i for i, name in enumerate(classes)}
    ids, images, labels = [], [], []
    for example in store.examples():
        if example.label not in position:
            continue
        try:
            images.append(store.raster(example.id))
        except CnnDesktopError:
            continue  # damaged: training skipped it too
        ids.append(example.id)
        labels.append(position[example.label])
    fraction, seed = recorded_split(info) or (0.0, 0)
    split, chosen, note = "all", np.arange(len(labels)), ""
    if not labels:
        split, note = "validation", NO_DRAWINGS
    elif info.get("data") != str(collection):
        note = NEVER_TRAINED_ON
    elif recorded_split(info) is None:
        note = NO_RECORDED_SPLIT
    else:
        held_out = split_like_training(info, np.asarray(labels, np.int64))
        if len(held_out.validation) == 0:
            note = TOO_FEW_TO_HOLD_OUT
        else:
            split, chosen = "validation", held_out.validation
            note = CHANGED_SINCE if held_out.changed else ""
    predicted = (predict_proba(model, np.stack([images[i] for i in chosen])).argmax(axis=1)
                 if len(chosen) else np.zeros(0, np.int64))
    confusion = np.zeros((len(classes), len(classes)), np.int64)
    cells: list[list[list[str]]] = [[[] for _ in classes] for _ in classes]
    for i, guess in zip(chosen, predicted):
        confusion[labels[i], guess] += 1
        cells[labels[i]][int(guess)].append(ids[i])
    example_ids = tuple(tuple(tuple(cell) for cell in row) for row in cells)
    return CollectionCheck(classes, confusion, example_ids, split, fraction, seed, note)


def group_accuracy(
    report: EvaluationReport, labels: np.ndarray, groups: dict[str, np.ndarray]
) -> dict[str, dict[str, float | int]]:
    """Accuracy within named subsets of the examples (index arrays), e.g. per drawing style."""
    correct = report.predictions == np.asarray(labels, np.int64)
    return {
        name: {"accuracy": round(float(correct[idx].mean()), 6), "n": int(len(idx))}
        for name, idx in groups.items()
        if len(idx)
    }


def format_groups(groups: dict[str, dict[str, float | int]]) -> str:
    width = max(len(name) for name in groups) + 1
    lines = ["accuracy by group:"]
    lines += [f"  {name:<{width}} {g['accuracy']:.4f}  n={g['n']}" for name, g in groups.items()]
    return "\n".join(lines)


def format_report(report: EvaluationReport) -> str:
    """Per-class accuracy, the confusion matrix, and as the last line ``accuracy 0.9876 n=1234``."""
    width = max(7, max(len(c) for c in report.classes) + 1)
    lines = ["per-class accuracy:"]
    totals = report.confusion.sum(axis=1)
    for (name, acc), total in zip(report.per_class().items(), totals):
        shown = f"{acc:.4f}" if acc is not None else "   -  "
        lines.append(f"  {name:<{width}} {shown}  n={total}")
    lines.append("confusion matrix (rows: true class, columns: predicted):")
    lines.append(" " * (width + 2) + "".join(f"{c:>{width}}" for c in report.classes))
    for name, row in zip(report.classes, report.confusion):
        lines.append(f"  {name:<{width}}" + "".join(f"{v:>{width}}" for v in row))
    lines.append(f"accuracy {report.accuracy:.4f} n={report.n}")
    return "\n".join(lines)
