"""The walkthrough's last stage painted: flatten, the fully connected layers, the class scores and
softmax, as bars or a strip of cells, with the arithmetic of the strongest unit or class beside them."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from cnn_desktop.core.inspection.walkthrough import ClassifierStep, top_contributions
from cnn_desktop.core.inspection.walkthrough_state import WalkthroughFrame
from cnn_desktop.gui.inspection.walkthrough_painting import HIGHLIGHT, MUTED_TEXT, Diverging, grid, text

GUIDE = QColor(215, 215, 222)
ZERO_LINE = QColor(150, 150, 160)
POSITIVE_BAR = QColor(165, 180, 200)
NEGATIVE_BAR = QColor(120, 150, 220)
STRIP_COLUMNS = 50  # the flattened vector, 50 numbers per row


def paint_classifier(painter: QPainter, area: QRectF, frame: WalkthroughFrame) -> None:
    """Step ``frame.position`` of ``frame.classifier`` in ``area`` (the whole canvas)."""
    steps = list(frame.classifier)
    if not steps:
        text(painter, area, "The fully connected layers' weights have not arrived yet.",
             flags=Qt.AlignmentFlag.AlignCenter)
        return
    position = frame.position
    step = steps[min(position, len(steps) - 1)]
    later = "" if frame.walk is None or frame.walk.layer != frame.first_conv or position > 0 else (
        f" (Before this, the later conv layers ({frame.later_convs}) work on the maps in the same way, "
        "with filters of their own: pick one above to step through it.)")
    text(painter, QRectF(12, 8, area.width() - 24, 44),
         f"Step {position + 1} of {len(steps)} · {step.title}. {step.explanation}{later}", size=1.1)
    top, left = 90.0, 16.0
    width, height = area.width() - 32.0, area.height() - top - 140
    values = step.values
    bars = QRectF(left, top, width * 0.6, height)
    beside = QRectF(left + width * 0.62, top, width * 0.38, height + 120)
    if step.name in ("out", "softmax"):
        _bars(painter, bars, values, frame.classes, probabilities=step.name == "softmax")
        _explain_class(painter, beside, steps, step, frame)
    elif values.size <= 128:
        _bars(painter, bars, values, None)
        _explain_unit(painter, beside, steps, step, frame)
    else:  # the long flattened vector: a wrapped strip of coloured cells
        cell = min(16.0, width / STRIP_COLUMNS)
        strip = np.full(int(np.ceil(values.size / STRIP_COLUMNS)) * STRIP_COLUMNS, np.nan)
        strip[: values.size] = values
        extent = max(float(np.abs(values).max()), 1e-6)
        shown = grid(painter, left, top, cell, strip.reshape(-1, STRIP_COLUMNS), Diverging(extent),
                     title=f"{values.size} numbers, {STRIP_COLUMNS} per row (red +, blue −, white 0)")
        nonzero = int((values != 0).sum())
        text(painter, QRectF(left, shown.bottom() + 12, width, 60),
             f"{nonzero} of the {values.size} numbers are not zero: these are the features found in your "
             "drawing. From here on every unit sees all of them.", size=1.05)


def _bars(painter: QPainter, rect: QRectF, values: np.ndarray, labels, probabilities: bool = False) -> None:
    n = values.size
    low = 0.0 if probabilities else min(0.0, float(values.min()))
    high = 1.0 if probabilities else max(float(values.max()), 1e-6)
    span = high - low
    zero_y = rect.bottom() - 30 - (0 - low) / span * (rect.height() - 50)
    slot = rect.width() / n
    top_index = int(np.argmax(values))
    if probabilities:  # guide lines, as there is no axis: where 50% and 100% are
        for level in (0.5, 1.0):
            y = rect.bottom() - 30 - level * (rect.height() - 50)
            painter.setPen(QPen(GUIDE, 1, Qt.PenStyle.DashLine))
            painter.drawLine(rect.left(), y, rect.right(), y)
            text(painter, QRectF(rect.left(), y - 18, 60, 17), f"{level:.0%}", size=0.85, colour=MUTED_TEXT)
    painter.setPen(QPen(ZERO_LINE, 1))
    painter.drawLine(rect.left(), zero_y, rect.right(), zero_y)
    for i, v in enumerate(values):
        bar_top = rect.bottom() - 30 - (v - low) / span * (rect.height() - 50)
        colour = HIGHLIGHT if i == top_index else (POSITIVE_BAR if v >= 0 else NEGATIVE_BAR)
        painter.fillRect(QRectF(rect.left() + i * slot + slot * 0.15, min(bar_top, zero_y), slot * 0.7,
                                abs(zero_y - bar_top)), colour)
        if labels is not None:
            text(painter, QRectF(rect.left() + i * slot, rect.bottom() - 26, slot, 20), str(labels[i]),
                 flags=Qt.AlignmentFlag.AlignCenter)
            shown = f"{v:.0%}" if probabilities else f"{v:.2f}"
            text(painter, QRectF(rect.left() + i * slot - 10, min(bar_top, zero_y) - 20, slot + 20, 18),
                 shown, size=0.85, flags=Qt.AlignmentFlag.AlignCenter)
    if labels is None:
        text(painter, QRectF(rect.left(), rect.bottom() - 26, rect.width(), 20),
             f"{n} units, 0 to {n - 1} (orange: the strongest)", size=0.9, colour=MUTED_TEXT,
             flags=Qt.AlignmentFlag.AlignCenter)


def _explain_unit(painter: QPainter, rect: QRectF, steps: list[ClassifierStep], step: ClassifierStep,
                  frame: WalkthroughFrame) -> None:
    before = steps[steps.index(step) - 1].values
    unit = int(np.argmax(step.values))
    if step.name in frame.dense_layers:
        weights, bias = frame.dense_layers[step.name]
        parts = top_contributions(before, weights[unit], 5)
        lines = [f"Unit {unit} (the strongest) = Σ weight × input + bias:"]
        lines += [f"  {w:+.3f} × {x:.3f}  (input {i})" for i, x, w in parts]
        lines += _more_terms(before.size - len(parts)) + [f"  + bias {bias[unit]:+.3f}", f"  = {step.values[unit]:.3f}"]
    else:  # an activation: ReLU, tanh or sigmoid, as its title says ("relu3: ReLU")
        lines = _explain_activation(step.title.rsplit(": ", 1)[-1], before, step.values, unit)
    text(painter, rect, "\n".join(lines), size=1.05)


def _explain_activation(name: str, before: np.ndarray, after: np.ndarray, unit: int) -> list[str]:
    value, result = float(before[unit]), float(after[unit])
    if name == "ReLU":
        return [f"{int((before < 0).sum())} of {before.size} units were negative and are now 0.",
                f"Unit {unit}: max(0, {value:.3f}) = {result:.3f}"]
    if name == "tanh":
        return [f"Every unit v becomes tanh(v), between -1 and 1 ({int((np.abs(before) > 2).sum())} of "
                f"{before.size} were beyond ±2 and now sit near ±1).", f"Unit {unit}: tanh({value:.3f}) = {result:.3f}"]
    return [f"Every unit v becomes 1 / (1 + e^-v), between 0 and 1 ({int((before < 0).sum())} of {before.size} "
            "were negative and now lie below 0.5).", f"Unit {unit}: 1 / (1 + e^-({value:.3f})) = {result:.3f}"]


def _explain_class(painter: QPainter, rect: QRectF, steps: list[ClassifierStep], step: ClassifierStep,
                   frame: WalkthroughFrame) -> None:
    classes = frame.classes
    best = int(np.argmax(step.values))
    before = steps[steps.index(step) - 1].values
    if step.name == "softmax":
        top = float(before.max())
        exps = np.exp(before - top)
        lines = [f"Every score minus the largest ({top:.2f}), then e^ of it:", "",
                 "class    score    e^(score − largest)    probability"]
        for i in np.argsort(-before):
            lines.append(f"{classes[i]:>5}  {before[i]:>8.2f}  {exps[i]:>15.4f}  {step.values[i]:>16.1%}")
        lines += ["", f"sum of e^: {exps.sum():.4f};  each probability = its e^ / that sum",
                  f"p({classes[best]}) = {exps[best]:.4f} / {exps.sum():.4f} = {step.values[best]:.1%}",
                  "(Subtracting the largest score changes no probability: it only keeps e^ small.)"]
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(painter.font().pointSizeF())
        old = painter.font()
        painter.setFont(font)
        text(painter, rect, "\n".join(lines))
        painter.setFont(old)
        return
    weights, bias = frame.dense_layers["out"]
    parts = top_contributions(before, weights[best], 5)
    lines = [f"Score of {classes[best]} (the highest) = Σ weight × unit + bias:"]
    lines += [f"  {w:+.3f} × {x:.3f}  (unit {i})" for i, x, w in parts]
    lines += _more_terms(before.size - len(parts)) + [f"  + bias {bias[best]:+.3f}", f"  = {step.values[best]:.3f}"]
    text(painter, rect, "\n".join(lines), size=1.05)


def _more_terms(count: int) -> list[str]:
    """The terms not listed; none for a layer of 5 inputs or fewer (a tiny network's)."""
    return [f"  … and {count} more terms"] if count else []
