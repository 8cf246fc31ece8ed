"""Step through: one filter sliding over the person's own drawing, then ReLU, max-pooling, the fully
connected layers and softmax, every number on screen.

All arithmetic is ``cnn_desktop.core.inspection.walkthrough`` (numpy) on copies of the weights and activations
the window already has from the engine's Filters and Prediction messages: one filter over a 28x28
input is a few thousand multiplications, well within a frame on the GUI thread. The view is drawn
with QPainter (grids of coloured cells, with their numbers where the cells are big enough).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, QSignalBlocker, QSize, QTimer, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from cnn_desktop.core.network.geometry import layer_geometry
from cnn_desktop.core.app.messages import Filters, Prediction
from cnn_desktop.core.network.spec import Dense, Dropout, Flatten, ModelSpec, ReLU
from cnn_desktop.core.inspection.walkthrough import FilterWalk, dense, relu, softmax, top_contributions, walk_filter

STAGES = ("1 · Convolution", "2 · ReLU", "3 · Max-pooling", "4 · Fully connected + softmax")
CONV, RELU, POOL, CLASSIFIER = range(4)
SPEEDS = (("slow", 700), ("medium", 150), ("fast", 25))  # milliseconds per step
HIGHLIGHT = QColor(230, 90, 0)
NOT_YET = QColor(236, 236, 240)  # cells not computed yet
TEXT = QColor(34, 34, 40)
MUTED_TEXT = QColor(85, 85, 95)
PADDING_COLOUR = QColor(222, 226, 240)


# --- colours -----------------------------------------------------------------------------------------


def diverging(value: float, extent: float) -> QColor:
    """Blue for negative, white for zero, red for positive (the filters panel's convention)."""
    if not np.isfinite(value):
        return NOT_YET
    t = max(-1.0, min(1.0, value / extent)) if extent > 0 else 0.0
    if t >= 0:
        return QColor(255, round(255 - 200 * t), round(255 - 215 * t))
    return QColor(round(255 + 215 * t), round(255 + 150 * t), 255)


def ink(value: float) -> QColor:
    """The input as the canvas shows it: dark ink on white paper."""
    grey = round(255 * (1 - max(0.0, min(1.0, value))))
    return QColor(grey, grey, grey)


class Diverging:
    """``diverging`` with a fixed extent, per value (QColor) or for a whole array at once (RGB)."""

    def __init__(self, extent: float) -> None:
        self.extent = extent

    def __call__(self, value: float) -> QColor:
        return diverging(value, self.extent)

    def rgb(self, values: np.ndarray) -> np.ndarray:
        t = np.clip(np.nan_to_num(values) / self.extent, -1, 1) if self.extent > 0 else np.zeros_like(values)
        pos, neg = np.maximum(t, 0), np.minimum(t, 0)
        r = np.where(t >= 0, 255, 255 + 215 * neg)
        g = np.where(t >= 0, 255 - 200 * pos, 255 + 150 * neg)
        b = np.where(t >= 0, 255 - 215 * pos, 255)
        return np.round(np.stack([r, g, b], axis=-1)).astype(np.uint8)


class Ink:
    def __call__(self, value: float) -> QColor:
        return ink(value)

    def rgb(self, values: np.ndarray) -> np.ndarray:
        grey = np.round(255 * (1 - np.clip(np.nan_to_num(values), 0, 1))).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)


def text_colour_on(colour: QColor) -> QColor:
    return QColor(255, 255, 255) if colour.lightnessF() < 0.45 else TEXT


def number(value: float) -> str:
    """Short enough for a cell: 2 decimals, 3 for small values, "≈0" rather than a misleading "-0.00"."""
    size = abs(value)
    if size == 0:
        return "0"
    if size < 0.0005:
        return "≈0"
    if size < 0.1:
        return f"{value:.3f}"
    return f"{value:.2f}" if size < 10 else f"{value:.1f}"


# --- the classifier's steps -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassifierStep:
    name: str  # "flatten", "fc1", "relu3", "out", "softmax"
    title: str
    values: np.ndarray
    explanation: str


def classifier_steps(spec: ModelSpec, flat: np.ndarray, dense_layers: dict[str, tuple[np.ndarray, np.ndarray]]
                     ) -> list[ClassifierStep]:
    """Flatten, every fully connected layer and its ReLU, the output scores and softmax, in numpy."""
    x = np.asarray(flat, np.float64).reshape(-1)
    steps = [ClassifierStep("flatten", f"flatten: {x.size} numbers", x,
                            "The pooled maps, read row by row, become one list of numbers.")]
    names = spec.layer_names()
    after = names.index("flatten") + 1 if "flatten" in names else len(spec.layers)
    for name, layer in zip(names[after:], spec.layers[after:]):
        if isinstance(layer, Dense) and name in dense_layers:
            weights, bias = dense_layers[name]
            x = dense(x, weights, bias)
            steps.append(ClassifierStep(name, f"{name}: {x.size} units", x,
                                        f"Each unit multiplies all {weights.shape[1]} numbers by its own weights, "
                                        "adds them up and adds its bias."))
        elif isinstance(layer, ReLU):
            x = relu(x)
            steps.append(ClassifierStep(name, f"{name}: ReLU", x, "Negative values become 0."))
        elif isinstance(layer, (Dropout, Flatten)):
            continue  # dropout only acts while training
    if "out" in dense_layers:
        weights, bias = dense_layers["out"]
        logits = dense(x, weights, bias)
        steps.append(ClassifierStep("out", "out: one score per class", logits,
                                    f"Each class's score: its {weights.shape[1]} weights times the units above, "
                                    "plus its bias."))
        steps.append(ClassifierStep("softmax", "softmax: probabilities", softmax(logits),
                                    "p(class) = e^score / (sum of e^score over all classes): positive, adding up to 1."))
    return steps


# --- the drawing surface -----------------------------------------------------------------------------


class StageCanvas(QWidget):
    """Paints the current stage of a Walkthrough."""

    def __init__(self, view: "WalkthroughView") -> None:
        super().__init__(view)
        self.view = view
        self.setMinimumSize(900, 520)

    def sizeHint(self) -> QSize:
        return QSize(1060, 600)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        view = self.view
        if view.walk is None:
            painter.setPen(MUTED_TEXT)
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, view.missing_reason)
            return
        stage = view.stage
        if stage == CONV:
            self._paint_conv(painter, view.walk, view.position)
        elif stage == RELU:
            self._paint_relu(painter, view.walk, view.position)
        elif stage == POOL:
            self._paint_pool(painter, view.walk, view.position)
        else:
            self._paint_classifier(painter, view.classifier, view.position, view.classes)
        painter.end()

    # --- grids ---

    def grid(self, painter: QPainter, x: float, y: float, cell: float, values: np.ndarray, colour,
             numbers: bool = False, title: str = "", shown: int | None = None, pad: int = 0) -> QRectF:
        """Draw ``values`` (h, w) as cells; ``shown`` cells (row-major) only, the rest "not yet";
        ``pad`` outer rings drawn as padding. Returns the grid's rectangle."""
        h, w = values.shape
        if title:
            painter.setPen(TEXT)
            painter.drawText(QRectF(x, y - 20, max(w * cell, 340), 18),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, title)
        font = painter.font()
        small = QFont(font)
        small.setPointSizeF(max(6.5, min(10.0, cell / 3.6)))
        painter.setFont(small)
        painter.setPen(Qt.PenStyle.NoPen)
        if not numbers and hasattr(colour, "rgb"):
            self._grid_image(painter, x, y, cell, values, colour, shown, pad)
        for r in (range(h) if numbers or not hasattr(colour, "rgb") else ()):
            for c in range(w):
                index = r * w + c
                rect = QRectF(x + c * cell, y + r * cell, cell, cell)
                if shown is not None and index > shown:
                    fill = NOT_YET
                elif pad and (r < pad or c < pad or r >= h - pad or c >= w - pad):
                    fill = PADDING_COLOUR
                else:
                    fill = colour(float(values[r, c]))
                painter.fillRect(rect, fill)
                if numbers and (shown is None or index <= shown):
                    label = number(float(values[r, c]))
                    wide = painter.fontMetrics().horizontalAdvance(label) > cell - 3
                    if wide:  # a long number gets a smaller font rather than spilling into its neighbours
                        tight = QFont(small)
                        tight.setPointSizeF(small.pointSizeF() * (cell - 3) / painter.fontMetrics().horizontalAdvance(label))
                        painter.setFont(tight)
                    painter.setPen(text_colour_on(fill))
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
                    painter.setPen(Qt.PenStyle.NoPen)
                    if wide:
                        painter.setFont(small)
        painter.setFont(font)
        frame = QRectF(x, y, w * cell, h * cell)
        painter.setPen(QPen(QColor(180, 180, 190), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(frame)
        if cell >= 14:  # cell borders help reading numbers; on small cells they would hide the colours
            painter.setPen(QPen(QColor(255, 255, 255), 1))
            for i in range(1, w):
                painter.drawLine(x + i * cell, y, x + i * cell, y + h * cell)
            for i in range(1, h):
                painter.drawLine(x, y + i * cell, x + w * cell, y + i * cell)
        return frame

    @staticmethod
    def _grid_image(painter: QPainter, x: float, y: float, cell: float, values: np.ndarray, colour, shown, pad) -> None:
        """A grid without numbers as one image: a few hundred cells in one draw instead of one each."""
        h, w = values.shape
        rgb = colour.rgb(values)
        if pad:
            ring = np.zeros((h, w), bool)
            ring[:pad], ring[-pad:], ring[:, :pad], ring[:, -pad:] = True, True, True, True
            rgb[ring] = (PADDING_COLOUR.red(), PADDING_COLOUR.green(), PADDING_COLOUR.blue())
        hidden = ~np.isfinite(values)
        if shown is not None:
            hidden |= (np.arange(h * w) > shown).reshape(h, w)
        rgb[hidden] = (NOT_YET.red(), NOT_YET.green(), NOT_YET.blue())
        rgb = np.ascontiguousarray(rgb)
        image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QRectF(x, y, w * cell, h * cell), image)
        painter.restore()

    @staticmethod
    def outline(painter: QPainter, x: float, y: float, cell: float, row: int, col: int, rows: int, cols: int,
                width: float = 2.5) -> None:
        painter.setPen(QPen(HIGHLIGHT, width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(x + col * cell, y + row * cell, cols * cell, rows * cell))

    def text(self, painter: QPainter, rect: QRectF, text: str, bold: bool = False, size: float = 1.0,
             colour: QColor = TEXT, flags=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) -> None:
        font = QFont(painter.font())
        font.setBold(bold)
        font.setPointSizeF(font.pointSizeF() * size)
        old = painter.font()
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(rect, int(flags) | int(Qt.TextFlag.TextWordWrap), text)
        painter.setFont(old)

    def header(self, painter: QPainter, text: str) -> None:
        self.text(painter, QRectF(12, 8, self.width() - 24, 44), text, size=1.1)

    # --- stages ---

    def _paint_conv(self, painter: QPainter, walk: FilterWalk, position: int) -> None:
        view = self.view
        rows, cols = walk.conv.shape
        row, col = divmod(position, cols)
        step = walk.step(row, col)
        channel = view.channel
        k = walk.kernel.shape[-1]
        padded = walk.padded[channel]
        reads = "your drawing" if walk.layer == view.first_conv else f"map {channel} of the layer before"
        self.header(painter, f"Filter {walk.filter} of {walk.layer} slides over {reads}. At each position: multiply "
                             f"the {k}×{k} window by the kernel, add up the products, add the bias → one pixel of the "
                             "feature map.")
        top = 80
        space = self.height() - top - 250
        cell = max(4.0, min(24.0, space / padded.shape[0], (self.width() * 0.38) / padded.shape[1]))
        is_input = walk.layer == view.first_conv
        colour = Ink() if is_input else Diverging(max(float(np.abs(padded).max()), 1e-6))
        pad_note = f", padded with {walk.padding} zeros (blue-grey)" if walk.padding else ""
        size_note = f"{walk.inputs.shape[1]}×{walk.inputs.shape[2]}"
        title = f"input: {size_note}{pad_note}" if is_input else f"input map {channel} ({size_note}){pad_note}"
        left = 16
        frame = self.grid(painter, left, top, cell, padded, colour, title=title, pad=walk.padding)
        self.outline(painter, left, top, cell, step.top, step.left, k, k)
        extent = max(float(np.abs(walk.conv).max()), 1e-6)
        out_cell = max(4.0, frame.height() / rows)
        ox = frame.right() + 90
        self.text(painter, QRectF(frame.right() + 8, top + frame.height() / 2 - 20, 80, 40), "→", size=2.2,
                  flags=Qt.AlignmentFlag.AlignCenter)
        self.grid(painter, ox, top, out_cell, walk.conv, Diverging(extent),
                  title=f"feature map: {rows}×{cols} (red +, blue −)", shown=position)
        self.outline(painter, ox, top, out_cell, row, col, 1, 1)
        # The arithmetic of this position.
        y = frame.bottom() + 40
        small = min(42.0, (self.width() - 420) / (3 * k + 2))
        kernel = walk.kernel[channel]
        kx = max(float(np.abs(kernel).max()), 1e-6)
        px = max(float(np.abs(step.products[channel]).max()), 1e-6)
        x = 16
        window_colour = Ink() if is_input else colour
        self.grid(painter, x, y, small, step.window[channel], window_colour, numbers=True, title="window")
        x += k * small + 8
        self.text(painter, QRectF(x, y, 30, k * small), "×", size=1.8, flags=Qt.AlignmentFlag.AlignCenter)
        x += 38
        self.grid(painter, x, y, small, kernel, Diverging(kx), numbers=True, title="kernel (weights)")
        x += k * small + 8
        self.text(painter, QRectF(x, y, 30, k * small), "=", size=1.8, flags=Qt.AlignmentFlag.AlignCenter)
        x += 38
        self.grid(painter, x, y, small, step.products[channel], Diverging(px), numbers=True,
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
        self.text(painter, QRectF(x, y - 4, self.width() - x - 10, k * small + 60), "\n".join(lines), size=1.05)

    def _paint_relu(self, painter: QPainter, walk: FilterWalk, position: int) -> None:
        rows, cols = walk.conv.shape
        row, col = divmod(position, cols)
        self.header(painter, "ReLU keeps positive values and turns every negative value into 0. "
                             "It is what lets the network combine features in ways a plain sum cannot.")
        top = 80
        cell = max(4.0, min(14.0, (self.height() - top - 160) / rows, (self.width() - 200) / (2 * cols)))
        extent = max(float(np.abs(walk.conv).max()), 1e-6)
        left = 16
        frame = self.grid(painter, left, top, cell, walk.conv, Diverging(extent),
                          title=f"{walk.layer} map {walk.filter}: before ReLU")
        self.outline(painter, left, top, cell, row, col, 1, 1)
        ox = frame.right() + 90
        self.text(painter, QRectF(frame.right() + 8, top + frame.height() / 2 - 20, 80, 40), "→", size=2.2,
                  flags=Qt.AlignmentFlag.AlignCenter)
        self.grid(painter, ox, top, cell, walk.relu, Diverging(extent), title="after ReLU",
                  shown=position)
        self.outline(painter, ox, top, cell, row, col, 1, 1)
        value = float(walk.conv[row, col])
        done = walk.conv.reshape(-1)[: position + 1]
        text = (f"position ({row}, {col}):  max(0, {value:.3f}) = {max(value, 0.0):.3f}\n"
                f"so far {int((done < 0).sum())} of {done.size} values were negative and became 0")
        self.text(painter, QRectF(16, frame.bottom() + 20, self.width() - 32, 60), text, size=1.15)

    def _paint_pool(self, painter: QPainter, walk: FilterWalk, position: int) -> None:
        rows, cols = walk.pooled.shape
        row, col = divmod(position, cols)
        size = walk.pool_window
        self.header(painter, f"Max-pooling: each {size}×{size} block keeps only its largest value, so the map "
                             f"shrinks from {walk.relu.shape[0]}×{walk.relu.shape[1]} to {rows}×{cols}; "
                             "a feature found one pixel further still counts.")
        top = 80
        cell = max(4.0, min(14.0, (self.height() - top - 190) / walk.relu.shape[0],
                            (self.width() * 0.45) / walk.relu.shape[1]))
        extent = max(float(walk.relu.max()), 1e-6)
        colour = Diverging(extent)
        left = 16
        frame = self.grid(painter, left, top, cell, walk.relu, colour, title=f"after ReLU ({walk.relu.shape[0]}×"
                                                                              f"{walk.relu.shape[1]})")
        r0, c0 = walk.pool_window_at(row, col)
        self.outline(painter, left, top, cell, r0, c0, size, size)
        ox = frame.right() + 90
        self.text(painter, QRectF(frame.right() + 8, top + frame.height() / 2 - 20, 80, 40), "→", size=2.2,
                  flags=Qt.AlignmentFlag.AlignCenter)
        out_cell = frame.height() / rows
        self.grid(painter, ox, top, out_cell, walk.pooled, colour, title=f"pooled ({rows}×{cols})", shown=position)
        self.outline(painter, ox, top, out_cell, row, col, 1, 1)
        block = walk.relu[r0:r0 + size, c0:c0 + size]
        y = frame.bottom() + 40
        big = 44.0
        self.grid(painter, 16, y, big, block, colour, numbers=True, title="this block")
        best_r, best_c = walk.pooled_from[row, col] - (r0, c0)
        self.outline(painter, 16, y, big, int(best_r), int(best_c), 1, 1, width=3.5)
        values = ", ".join(number(float(v)) for v in block.reshape(-1))
        self.text(painter, QRectF(16 + size * big + 24, y, self.width() - 200, size * big),
                  f"max({values}) = {number(float(walk.pooled[row, col]))}\n→ pooled ({row}, {col})", size=1.15,
                  flags=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

    def _paint_classifier(self, painter: QPainter, steps: list[ClassifierStep], position: int,
                          classes: tuple[str, ...]) -> None:
        if not steps:
            self.text(painter, QRectF(self.rect()), "The fully connected layers' weights have not arrived yet.",
                      flags=Qt.AlignmentFlag.AlignCenter)
            return
        step = steps[min(position, len(steps) - 1)]
        view = self.view
        later = "" if view.walk is None or view.walk.layer != view.first_conv or position > 0 else (
            f" (Before this, the later conv layers ({view.later_convs}) convolve, ReLU and pool again, "
            "with more filters: pick one above to step through it.)")
        self.header(painter, f"Step {position + 1} of {len(steps)} · {step.title}. {step.explanation}{later}")
        top, left = 90.0, 16.0
        width, height = self.width() - 32.0, self.height() - top - 140
        values = step.values
        if step.name in ("out", "softmax"):
            self._bars(painter, QRectF(left, top, width * 0.6, height), values, classes,
                       probabilities=step.name == "softmax")
            self._explain_class(painter, QRectF(left + width * 0.62, top, width * 0.38, height + 120), steps, step)
        elif values.size <= 128:
            self._bars(painter, QRectF(left, top, width * 0.6, height), values, None)
            self._explain_unit(painter, QRectF(left + width * 0.62, top, width * 0.38, height + 120), steps, step)
        else:  # the long flattened vector: a wrapped strip of coloured cells
            columns = 50
            cell = min(16.0, width / columns)
            padded = np.full(int(np.ceil(values.size / columns)) * columns, np.nan)
            padded[: values.size] = values
            extent = max(float(np.abs(values).max()), 1e-6)
            frame = self.grid(painter, left, top, cell, padded.reshape(-1, columns), Diverging(extent),
                              title=f"{values.size} numbers, 50 per row (red +, blue −, white 0)")
            nonzero = int((values != 0).sum())
            self.text(painter, QRectF(left, frame.bottom() + 12, width, 60),
                      f"{nonzero} of the {values.size} numbers are not zero: these are the features found in your "
                      "drawing. From here on every unit sees all of them.", size=1.05)

    def _bars(self, painter: QPainter, rect: QRectF, values: np.ndarray, labels, probabilities: bool = False) -> None:
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
                painter.setPen(QPen(QColor(215, 215, 222), 1, Qt.PenStyle.DashLine))
                painter.drawLine(rect.left(), y, rect.right(), y)
                self.text(painter, QRectF(rect.left(), y - 18, 60, 17), f"{level:.0%}", size=0.85,
                          colour=MUTED_TEXT)
        painter.setPen(QPen(QColor(150, 150, 160), 1))
        painter.drawLine(rect.left(), zero_y, rect.right(), zero_y)
        for i, v in enumerate(values):
            bar_top = rect.bottom() - 30 - (v - low) / span * (rect.height() - 50)
            colour = HIGHLIGHT if i == top_index else (QColor(165, 180, 200) if v >= 0 else QColor(120, 150, 220))
            painter.fillRect(QRectF(rect.left() + i * slot + slot * 0.15, min(bar_top, zero_y), slot * 0.7,
                                    abs(zero_y - bar_top)), colour)
            if labels is not None:
                self.text(painter, QRectF(rect.left() + i * slot, rect.bottom() - 26, slot, 20), str(labels[i]),
                          flags=Qt.AlignmentFlag.AlignCenter)
                shown = f"{v:.0%}" if probabilities else f"{v:.2f}"
                self.text(painter, QRectF(rect.left() + i * slot - 10, min(bar_top, zero_y) - 20, slot + 20, 18),
                          shown, size=0.85, flags=Qt.AlignmentFlag.AlignCenter)
        if labels is None:
            self.text(painter, QRectF(rect.left(), rect.bottom() - 26, rect.width(), 20),
                      f"{n} units, 0 to {n - 1} (orange: the strongest)", size=0.9, colour=MUTED_TEXT,
                      flags=Qt.AlignmentFlag.AlignCenter)

    def _explain_unit(self, painter: QPainter, rect: QRectF, steps: list[ClassifierStep], step: ClassifierStep) -> None:
        index = steps.index(step)
        before = steps[index - 1].values
        unit = int(np.argmax(step.values))
        dense_layers = self.view.dense_layers
        if step.name in dense_layers:
            weights, bias = dense_layers[step.name]
            parts = top_contributions(before, weights[unit], 5)
            lines = [f"Unit {unit} (the strongest) = Σ weight × input + bias:"]
            lines += [f"  {w:+.3f} × {x:.3f}  (input {i})" for i, x, w in parts]
            lines += [f"  … and {before.size - len(parts)} more terms", f"  + bias {bias[unit]:+.3f}",
                      f"  = {step.values[unit]:.3f}"]
        else:
            negatives = int((before < 0).sum())
            lines = [f"{negatives} of {before.size} units were negative and are now 0.",
                     f"Unit {unit}: max(0, {before[unit]:.3f}) = {step.values[unit]:.3f}"]
        self.text(painter, rect, "\n".join(lines), size=1.05)

    def _explain_class(self, painter: QPainter, rect: QRectF, steps: list[ClassifierStep], step: ClassifierStep) -> None:
        classes = self.view.classes
        best = int(np.argmax(step.values))
        if step.name == "softmax":
            logits = steps[steps.index(step) - 1].values
            top = float(logits.max())
            exps = np.exp(logits - top)
            lines = [f"Every score minus the largest ({top:.2f}), then e^ of it:", "",
                     "class    score    e^(score − largest)    probability"]
            for i in np.argsort(-logits):
                lines.append(f"{classes[i]:>5}  {logits[i]:>8.2f}  {exps[i]:>15.4f}  {step.values[i]:>16.1%}")
            lines += ["", f"sum of e^: {exps.sum():.4f};  each probability = its e^ / that sum",
                      f"p({classes[best]}) = {exps[best]:.4f} / {exps.sum():.4f} = {step.values[best]:.1%}",
                      "(Subtracting the largest score changes no probability: it only keeps e^ small.)"]
            font = QFont("DejaVu Sans Mono")
            font.setStyleHint(QFont.StyleHint.Monospace)
            font.setPointSizeF(painter.font().pointSizeF())
            old = painter.font()
            painter.setFont(font)
            self.text(painter, rect, "\n".join(lines))
            painter.setFont(old)
            return
        else:
            hidden = steps[steps.index(step) - 1].values
            weights, bias = self.view.dense_layers["out"]
            parts = top_contributions(hidden, weights[best], 5)
            lines = [f"Score of {classes[best]} (the highest) = Σ weight × unit + bias:"]
            lines += [f"  {w:+.3f} × {x:.3f}  (unit {i})" for i, x, w in parts]
            lines += [f"  … and {hidden.size - len(parts)} more terms", f"  + bias {bias[best]:+.3f}",
                      f"  = {step.values[best]:.3f}"]
        self.text(painter, rect, "\n".join(lines), size=1.05)


# --- the controls ------------------------------------------------------------------------------------


class WalkthroughView(QWidget):
    """Layer, filter and stage choosers, play/pause/step controls and the stage canvas."""

    position_changed = Signal(int, int)  # (stage, position)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: ModelSpec | None = None
        self.prediction: Prediction | None = None
        self.filters: Filters | None = None
        self.walk: FilterWalk | None = None
        self.classifier: list[ClassifierStep] = []
        self.dense_layers: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.classes: tuple[str, ...] = ()
        self.first_conv = "conv1"
        self.later_convs = ""
        self.stage = CONV
        self.position = 0
        self.missing_reason = "Draw something on the canvas first: the step-by-step view uses your drawing."
        self._started = False  # the first walk starts at the first window that touches ink

        self.layer_box = QComboBox()
        self.layer_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_box.setToolTip("Which conv layer to step through")
        self.filter_spin = QSpinBox(minimum=0, maximum=0)
        self.filter_spin.setToolTip("Which of the layer's filters")
        self.channel_spin = QSpinBox(minimum=0, maximum=0)
        self.channel_spin.setToolTip("A filter of a later layer reads every map of the layer before; "
                                     "this picks the map shown (the sum uses them all)")
        self.channel_label = QLabel("input map")
        self.stage_bar = QTabBar()
        for name in STAGES:
            self.stage_bar.addTab(name)
        self.stage_bar.setExpanding(False)
        self.restart_button = QPushButton("Start over")
        self.back_button = QPushButton("◀ Step")
        self.play_button = QPushButton("▶ Play")
        self.play_button.setCheckable(True)
        self.forward_button = QPushButton("Step ▶")
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=0)
        self.speed_box = QComboBox()
        for text, ms in SPEEDS:
            self.speed_box.addItem(text, ms)
        self.speed_box.setCurrentIndex(1)
        self.speed_box.setToolTip("Animation speed")
        self.position_label = QLabel()
        self.position_label.setMinimumWidth(110)
        self.canvas = StageCanvas(self)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)

        choose = QHBoxLayout()
        choose.addWidget(QLabel("Layer"))
        choose.addWidget(self.layer_box)
        choose.addWidget(QLabel("filter"))
        choose.addWidget(self.filter_spin)
        choose.addWidget(self.channel_label)
        choose.addWidget(self.channel_spin)
        choose.addSpacing(16)
        choose.addWidget(self.stage_bar)
        choose.addStretch(1)
        play = QHBoxLayout()
        for widget in (self.restart_button, self.back_button, self.play_button, self.forward_button):
            play.addWidget(widget)
        play.addWidget(self.slider, 1)
        play.addWidget(self.position_label)
        play.addWidget(QLabel("speed"))
        play.addWidget(self.speed_box)
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addLayout(play)
        layout.addWidget(self.canvas, 1)

        self.layer_box.currentIndexChanged.connect(self._layer_chosen)
        self.filter_spin.valueChanged.connect(lambda _: self._recompute(restart=True))
        self.channel_spin.valueChanged.connect(lambda _: self.canvas.update())
        self.stage_bar.currentChanged.connect(self.set_stage)
        self.restart_button.clicked.connect(lambda: self.set_stage(CONV, 0))
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.forward_button.clicked.connect(lambda: self.step(1))
        self.play_button.toggled.connect(self.play)
        self.slider.valueChanged.connect(self._slid)
        self.speed_box.currentIndexChanged.connect(lambda _: self.timer.setInterval(self.speed_box.currentData()))
        self.timer.setInterval(self.speed_box.currentData())
        self._update_controls()

    # --- data ---

    def set_data(self, spec: ModelSpec | None, prediction: Prediction | None, filters: Filters | None) -> None:
        """The network and drawing to walk through; recomputed at once (a few milliseconds)."""
        layers_changed = spec is not None and (self.spec is None or spec != self.spec)
        self.spec, self.prediction, self.filters = spec, prediction, filters
        if layers_changed:
            convs = [g for g in layer_geometry(spec) if g.kind == "conv"]
            with QSignalBlocker(self.layer_box):
                self.layer_box.clear()
                for geo in convs:
                    self.layer_box.addItem(f"{geo.name} ({geo.channels} filters)", geo.name)
            self.first_conv = convs[0].name if convs else ""
            self.later_convs = " and ".join(g.name for g in convs[1:]) or "the later layers"
            self._layer_chosen()
            return
        self._recompute()

    def _layer_chosen(self, *_) -> None:
        self._recompute(restart=True)

    def _layer_parts(self):
        """(conv geometry, pool geometry after it, the input it reads) for the chosen layer, or None."""
        if self.spec is None or self.prediction is None or self.prediction.image is None:
            return None
        name = self.layer_box.currentData()
        geometry = layer_geometry(self.spec)
        names = [g.name for g in geometry]
        if name not in names:
            return None
        at = names.index(name)
        conv = geometry[at]
        pool = next((g for g in geometry[at + 1:] if g.kind == "pool"), None)
        before = geometry[at - 1].name
        inputs = self.prediction.image if before == "input" else self.prediction.activations.get(before)
        return conv, pool, inputs

    def _recompute(self, restart: bool = False) -> None:
        self.walk, self.classifier = None, []
        parts = self._layer_parts()
        kernels = {name: (w, b) for name, w, b in self.filters.layers} if self.filters else {}
        self.dense_layers = {name: (w, b) for name, w, b in self.filters.dense} if self.filters else {}
        if parts is None or parts[2] is None or parts[0].name not in kernels:
            self.missing_reason = ("Draw something on the canvas first: the step-by-step view uses your drawing."
                                   if self.prediction is None or self.prediction.image is None
                                   else "Waiting for the network's weights…")
            self._update_controls()
            self.canvas.update()
            return
        conv, pool, inputs = parts
        weights, biases = kernels[conv.name]
        for spin, top in ((self.filter_spin, len(weights) - 1), (self.channel_spin, weights.shape[1] - 1)):
            with QSignalBlocker(spin):
                spin.setMaximum(top)
        multi = weights.shape[1] > 1
        self.channel_spin.setVisible(multi)
        self.channel_label.setVisible(multi)
        self.walk = walk_filter(conv.name, self.filter_spin.value(), inputs, weights, biases, conv.stride,
                                conv.padding, pool.kernel if pool else 1, pool.stride if pool else 1)
        self.classes = self.prediction.classes
        flat = self.prediction.activations.get("flatten")
        if flat is not None and self.dense_layers:
            self.classifier = classifier_steps(self.spec, flat, self.dense_layers)
        if restart or not self._started:
            self._started = True
            self.stage, self.position = CONV, self._first_ink_position()
        self.position = min(self.position, self.stage_length() - 1)
        self._update_controls()
        self.canvas.update()

    def _first_ink_position(self) -> int:
        """The first window position that covers some non-zero input: earlier ones only multiply zeros."""
        walk = self.walk
        rows, cols = walk.conv.shape
        covered = np.abs(walk.padded).sum(axis=0) > 0
        k = walk.kernel.shape[-1]
        for position in range(rows * cols):
            row, col = divmod(position, cols)
            if covered[row * walk.stride:row * walk.stride + k, col * walk.stride:col * walk.stride + k].any():
                return position
        return 0

    @property
    def channel(self) -> int:
        """The input map shown for a layer that reads several (conv2 reads conv1's pooled maps)."""
        return min(self.channel_spin.value(), self.walk.kernel.shape[0] - 1) if self.walk is not None else 0

    # --- stepping ---

    def stage_length(self, stage: int | None = None) -> int:
        stage = self.stage if stage is None else stage
        if self.walk is None:
            return 1
        if stage in (CONV, RELU):
            return self.walk.conv.size
        if stage == POOL:
            return self.walk.pooled.size
        return max(1, len(self.classifier))

    def set_stage(self, stage: int, position: int = 0) -> None:
        self.stage = int(stage)
        self.position = max(0, min(position, self.stage_length() - 1))
        self._update_controls()
        self.canvas.update()

    def step(self, delta: int) -> None:
        """Move ``delta`` positions; past the end of a stage, on to the next one (and back likewise)."""
        position = self.position + delta
        if position >= self.stage_length():
            if self.stage < CLASSIFIER:
                self.set_stage(self.stage + 1, 0)
            else:
                self.play_button.setChecked(False)
            return
        if position < 0:
            if self.stage > CONV:
                self.set_stage(self.stage - 1, self.stage_length(self.stage - 1) - 1)
            return
        self.set_stage(self.stage, position)

    def play(self, on: bool) -> None:
        if on and self.walk is not None:
            self.timer.start()
            self.play_button.setText("Pause")
        else:
            self.timer.stop()
            self.play_button.setText("▶ Play")
            if self.play_button.isChecked():
                self.play_button.setChecked(False)

    def _tick(self) -> None:
        self.step(1)

    def _slid(self, value: int) -> None:
        if value != self.position:
            self.set_stage(self.stage, value)

    def _update_controls(self) -> None:
        enabled = self.walk is not None
        for widget in (self.slider, self.play_button, self.back_button, self.forward_button, self.restart_button,
                       self.stage_bar, self.filter_spin):
            widget.setEnabled(enabled)
        with QSignalBlocker(self.slider):
            self.slider.setMaximum(self.stage_length() - 1)
            self.slider.setValue(self.position)
        with QSignalBlocker(self.stage_bar):
            self.stage_bar.setCurrentIndex(self.stage)
        if enabled:
            self.position_label.setText(f"{self.position + 1} / {self.stage_length()}")
        else:
            self.position_label.setText("")
        self.position_changed.emit(self.stage, self.position)


class WalkthroughDialog(QDialog):
    """A non-modal window: keep drawing while it is open, it follows the drawing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Step through the network")
        self.setModal(False)
        self.view = WalkthroughView(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view)
        self.resize(1100, 720)

    def set_data(self, spec, prediction, filters) -> None:
        self.view.set_data(spec, prediction, filters)

    def closeEvent(self, event) -> None:
        self.view.play(False)
        super().closeEvent(event)
