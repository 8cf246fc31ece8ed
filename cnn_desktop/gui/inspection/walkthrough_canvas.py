"""The walkthrough's drawing surface: paints the ``WalkthroughFrame`` it was last given, one stage at one
position. It holds no state of its own and reads nothing from its parent."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

from cnn_desktop.core.inspection.walkthrough import FilterWalk
from cnn_desktop.core.inspection.walkthrough_state import CONV, NO_DRAWING, POOL, RELU, WalkthroughFrame
from cnn_desktop.gui.inspection.walkthrough_classifier import paint_classifier
from cnn_desktop.gui.inspection.walkthrough_painting import (
    MUTED_TEXT, Diverging, Ink, arrow, grid, number, outline, text)

EMPTY = WalkthroughFrame(None, (), {}, (), CONV, 0, 0, "", "", NO_DRAWING)


class StageCanvas(QWidget):
    """Paints the current stage of the walkthrough from a ``WalkthroughFrame``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame = EMPTY
        self.setMinimumSize(900, 520)

    def sizeHint(self) -> QSize:
        return QSize(1060, 600)

    def show_frame(self, frame: WalkthroughFrame) -> None:
        self.frame = frame
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        frame = self.frame
        if frame.walk is None:
            painter.setPen(MUTED_TEXT)
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, frame.missing_reason)
        elif frame.stage == CONV:
            self._paint_conv(painter, frame.walk, frame.position, frame.channel, frame.first_conv)
        elif frame.stage == RELU:
            self._paint_relu(painter, frame.walk, frame.position)
        elif frame.stage == POOL:
            self._paint_pool(painter, frame.walk, frame.position)
        else:
            paint_classifier(painter, QRectF(self.rect()), frame)
        painter.end()

    def _header(self, painter: QPainter, words: str) -> None:
        text(painter, QRectF(12, 8, self.width() - 24, 44), words, size=1.1)

    def _paint_conv(self, painter: QPainter, walk: FilterWalk, position: int, channel: int, first_conv: str) -> None:
        rows, cols = walk.conv.shape
        row, col = divmod(position, cols)
        step = walk.step(row, col)
        k = walk.kernel.shape[-1]
        padded = walk.padded[channel]
        is_input = walk.layer == first_conv
        reads = "your drawing" if is_input else f"map {channel} of the layer before"
        self._header(painter, f"Filter {walk.filter} of {walk.layer} slides over {reads}. At each position: multiply "
                              f"the {k}×{k} window by the kernel, add up the products, add the bias → one pixel of "
                              "the feature map.")
        top = 80
        space = self.height() - top - 250
        cell = max(4.0, min(24.0, space / padded.shape[0], (self.width() * 0.38) / padded.shape[1]))
        colour = Ink() if is_input else Diverging(max(float(np.abs(padded).max()), 1e-6))
        pad_note = f", padded with {walk.padding} zeros (blue-grey)" if walk.padding else ""
        size_note = f"{walk.inputs.shape[1]}×{walk.inputs.shape[2]}"
        title = f"input: {size_note}{pad_note}" if is_input else f"input map {channel} ({size_note}){pad_note}"
        left = 16
        frame = grid(painter, left, top, cell, padded, colour, title=title, pad=walk.padding)
        outline(painter, left, top, cell, step.top, step.left, k, k)
        extent = max(float(np.abs(walk.conv).max()), 1e-6)
        out_cell = max(4.0, frame.height() / rows)
        ox = frame.right() + 90
        arrow(painter, frame)
        grid(painter, ox, top, out_cell, walk.conv, Diverging(extent),
             title=f"feature map: {rows}×{cols} (red +, blue −)", shown=position)
        outline(painter, ox, top, out_cell, row, col, 1, 1)
        # The arithmetic of this position.
        y = frame.bottom() + 40
        small = min(42.0, (self.width() - 420) / (3 * k + 2))
        kernel = walk.kernel[channel]
        kx = max(float(np.abs(kernel).max()), 1e-6)
        px = max(float(np.abs(step.products[channel]).max()), 1e-6)
        x = 16
        grid(painter, x, y, small, step.window[channel], colour, numbers=True, title="window")
        x += k * small + 8
        text(painter, QRectF(x, y, 30, k * small), "×", size=1.8, flags=Qt.AlignmentFlag.AlignCenter)
        x += 38
        grid(painter, x, y, small, kernel, Diverging(kx), numbers=True, title="kernel (weights)")
        x += k * small + 8
        text(painter, QRectF(x, y, 30, k * small), "=", size=1.8, flags=Qt.AlignmentFlag.AlignCenter)
        x += 38
        grid(painter, x, y, small, step.products[channel], Diverging(px), numbers=True,
             title="products, element by element")
        x += k * small + 24
        lines = [f"position: row {row}, column {col}"]
        this_map = float(step.products[channel].sum())
        if walk.kernel.shape[0] > 1:
            sums = step.products.reshape(len(step.products), -1).sum(axis=1)
            strongest = np.argsort(-np.abs(sums))[:3]
            lines += [f"sum over this map: {this_map:.3f}",
                      f"sum over all {len(sums)} input maps: {step.total:.3f}",
                      "  (most from maps " + ", ".join(f"{i} ({sums[i]:+.2f})" for i in strongest) + ")"]
        else:
            lines.append(f"sum of the {k * k} products: {step.total:.3f}")
        lines += [f"+ bias {step.bias:+.3f}", f"= {step.value:.3f}  → feature map ({row}, {col})"]
        text(painter, QRectF(x, y - 4, self.width() - x - 10, k * small + 60), "\n".join(lines), size=1.05)

    def _paint_relu(self, painter: QPainter, walk: FilterWalk, position: int) -> None:
        rows, cols = walk.conv.shape
        row, col = divmod(position, cols)
        name = ACTIVATION_NAMES[walk.activation]
        self._header(painter, ACTIVATION_HEADERS[walk.activation].format(layer=walk.layer))
        top = 80
        cell = max(4.0, min(14.0, (self.height() - top - 160) / rows, (self.width() - 200) / (2 * cols)))
        colour = Diverging(max(float(np.abs(walk.conv).max()), 1e-6))
        left = 16
        frame = grid(painter, left, top, cell, walk.conv, colour, title=f"{walk.layer} map {walk.filter}: before {name}")
        outline(painter, left, top, cell, row, col, 1, 1)
        ox = frame.right() + 90
        arrow(painter, frame)
        grid(painter, ox, top, cell, walk.relu, colour, title=f"after {name}", shown=position)
        outline(painter, ox, top, cell, row, col, 1, 1)
        words = f"position ({row}, {col}):  {activation_formula(walk.activation, float(walk.conv[row, col]), float(walk.relu[row, col]))}\n"
        words += activation_so_far(walk.activation, walk.conv.reshape(-1)[: position + 1])
        text(painter, QRectF(16, frame.bottom() + 20, self.width() - 32, 60), words, size=1.15)

    def _paint_pool(self, painter: QPainter, walk: FilterWalk, position: int) -> None:
        rows, cols = walk.pooled.shape
        row, col = divmod(position, cols)
        size, stride = walk.pool_window, walk.pool_stride
        before = f"after {ACTIVATION_NAMES[walk.activation]}" if walk.activation else f"{walk.layer}'s map"
        self._header(painter, pool_header(walk.pool_kind, size, stride, walk.relu.shape, (rows, cols)))
        top = 80
        cell = max(4.0, min(14.0, (self.height() - top - 190) / walk.relu.shape[0],
                            (self.width() * 0.45) / walk.relu.shape[1]))
        colour = Diverging(max(float(np.abs(walk.relu).max()), 1e-6))
        left = 16
        frame = grid(painter, left, top, cell, walk.relu, colour,
                     title=f"{before} ({walk.relu.shape[0]}×{walk.relu.shape[1]})")
        r0, c0 = walk.pool_window_at(row, col)
        outline(painter, left, top, cell, r0, c0, size, size)
        ox = frame.right() + 90
        arrow(painter, frame)
        out_cell = frame.height() / rows
        grid(painter, ox, top, out_cell, walk.pooled, colour, title=f"pooled ({rows}×{cols})", shown=position)
        outline(painter, ox, top, out_cell, row, col, 1, 1)
        block = walk.relu[r0:r0 + size, c0:c0 + size]
        y = frame.bottom() + 40
        big = 44.0
        grid(painter, 16, y, big, block, colour, numbers=True, title="this block")
        if walk.pool_kind == "pool":  # the value max-pooling kept; an average is made by every value
            best_r, best_c = walk.pooled_from[row, col] - (r0, c0)
            outline(painter, 16, y, big, int(best_r), int(best_c), 1, 1, width=3.5)
        text(painter, QRectF(16 + size * big + 24, y, self.width() - 200, size * big),
             f"{pool_formula(walk.pool_kind, block, float(walk.pooled[row, col]))}\n→ pooled ({row}, {col})",
             size=1.15, flags=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


# What the activation and pooling stages say, by the kind of layer that follows the conv layer ("" for
# none): the step-through follows the network's own description, not only conv -> ReLU -> max-pool.
ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "": "(no activation)"}
ACTIVATION_HEADERS = {
    "relu": "ReLU keeps positive values and turns every negative value into 0. "
            "It is what lets the network combine features in ways a plain sum cannot.",
    "tanh": "tanh squashes every value into the range -1 to 1: values near 0 stay about the same, large ones "
            "flatten out near ±1. Like ReLU it lets the network combine features in ways a plain sum cannot, "
            "and it keeps the sign.",
    "sigmoid": "sigmoid squashes every value into the range 0 to 1: 1 / (1 + e^-v), so 0 becomes 0.5, large "
               "positive values near 1 and large negative ones near 0.",
    "": "No activation follows {layer} in this network: its feature map goes on unchanged.",
}


def activation_formula(kind: str, value: float, result: float) -> str:
    """The arithmetic of one unit: 'max(0, -0.213) = 0.000', 'tanh(1.200) = 0.834'..."""
    shown = {"relu": f"max(0, {value:.3f})", "tanh": f"tanh({value:.3f})",
             "sigmoid": f"1 / (1 + e^-({value:.3f}))", "": f"unchanged: {value:.3f}"}[kind]
    return f"{shown} = {result:.3f}" if kind else shown


def activation_so_far(kind: str, done: np.ndarray) -> str:
    """A line on the values stepped through so far."""
    if kind == "relu":
        return f"so far {int((done < 0).sum())} of {done.size} values were negative and became 0"
    if kind == "tanh":
        return f"so far {int((np.abs(done) > 2).sum())} of {done.size} values were beyond ±2 and now sit near ±1"
    if kind == "sigmoid":
        return f"so far {int((done < 0).sum())} of {done.size} values were negative and now lie below 0.5"
    return f"{done.size} values so far, each passed on as it is"


def pool_header(kind: str, size: int, stride: int, before: tuple[int, int], after: tuple[int, int]) -> str:
    shrink = f"so the map shrinks from {before[0]}×{before[1]} to {after[0]}×{after[1]}"
    step = "" if stride == size else f" (the window moves {stride} pixel{'s' if stride > 1 else ''} at a time)"
    if kind == "pool":
        return (f"Max-pooling: each {size}×{size} block keeps only its largest value{step}, {shrink}; "
                "a feature found one pixel further still counts.")
    if kind == "avgpool":
        return (f"Average pooling: each {size}×{size} block becomes the mean of its {size * size} values{step}, "
                f"{shrink}; the map gets coarser and smoother, and a strong value is shared with its neighbours.")
    return f"No pooling follows in this network: the map goes on at its size, {before[0]}×{before[1]}."


def pool_formula(kind: str, block: np.ndarray, result: float) -> str:
    values = ", ".join(number(float(v)) for v in block.reshape(-1))
    if kind == "pool":
        return f"max({values}) = {number(result)}"
    if kind == "avgpool":
        return f"({' + '.join(number(float(v)) for v in block.reshape(-1))}) / {block.size} = {number(result)}"
    return f"unchanged: {number(result)}"
