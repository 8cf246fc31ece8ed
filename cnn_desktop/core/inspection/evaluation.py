"""Accuracy, per-class accuracy and the confusion matrix of a model on a data set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_desktop.core.network.model import CNN, predict_proba


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
