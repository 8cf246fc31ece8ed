"""The compare window's plots: both networks' loss and accuracy curves overlaid, and their accuracy per
class side by side. A is blue and B orange everywhere in the window; the legend is a line of text above
the plots, so it never hides a curve.

Steps arrive in bursts from the comparison thread; the plots redraw at most 5 times a second (painting
holds the GIL the training thread needs), from numpy buffers that grow without copying lists.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cnn_desktop.core.app.comparison_messages import ComparisonEpoch, ComparisonStarted, ComparisonSteps
from cnn_desktop.gui.panels.curves import LOSS_TOPS, SMOOTHING, GrowingSeries, nice_ceiling, thin_out
from cnn_desktop.gui.panels.plot_style import (
    ACCENT, BACKGROUND, PRIMARY, add_guide_lines, set_fixed_ticks, style_plot, style_title_label,
)
from cnn_desktop.gui.throttle import Throttle

COLOURS = (PRIMARY, ACCENT)  # A, B
REDRAW_INTERVAL_MS = 200


def legend_html(labels: Sequence[str]) -> str:
    """"━ A: tiny preset   ━ B: default preset", each in its side's colour."""
    return "&nbsp;&nbsp;&nbsp;".join(f'<span style="color:{colour}; font-weight:bold">━━ {side}</span>: {label}'
                                     for side, colour, label in zip("AB", COLOURS, labels))


class CompareCurves(QWidget):
    """Smoothed training loss and accuracy per step, and held-out accuracy per epoch, for A and B."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.loss_widget = pg.PlotWidget(background=BACKGROUND)
        self.accuracy_widget = pg.PlotWidget(background=BACKGROUND)
        self.loss_plot, self.accuracy_plot = self.loss_widget.getPlotItem(), self.accuracy_widget.getPlotItem()
        style_plot(self.loss_plot, x_label="step", y_label="loss (smoothed)")
        style_plot(self.accuracy_plot, x_label="step", y_label="accuracy")
        self.accuracy_plot.setYRange(0, 1.02, padding=0)
        set_fixed_ticks(self.accuracy_plot.getAxis("left"), [0, 0.25, 0.5, 0.75, 1.0])
        add_guide_lines(self.accuracy_plot, [0.25, 0.5, 0.75, 1.0])
        self.series = [{name: GrowingSeries() for name in ("loss", "accuracy", "val")} for _ in COLOURS]
        self._smoothed: list[tuple[float, float] | None] = [None, None]
        self.items = []
        for colour in COLOURS:
            dashed = pg.mkPen(colour, width=2)
            self.items.append({
                "loss": self.loss_plot.plot(pen=pg.mkPen(colour, width=2), antialias=False),
                "accuracy": self.accuracy_plot.plot(pen=pg.mkPen(colour, width=1.5), antialias=False),
                "val": self.accuracy_plot.plot(pen=dashed, symbol="o", symbolSize=8, symbolBrush=colour,
                                               symbolPen=pg.mkPen(colour)),
            })
        # As in the main window's curves: per-step lines thinned out to their envelope, and axes that
        # move in jumps. An auto-ranged loss axis was laid out again on every redraw, which with two
        # trainings running kept the window's thread busy long enough to miss its 16 ms timer.
        for side_items in self.items:
            thin_out(side_items["loss"])
            thin_out(side_items["accuracy"])
        self.loss_plot.disableAutoRange()
        self.accuracy_plot.disableAutoRange()
        self._loss_top = 0.0
        self.note = QLabel("Lines: training batches, smoothed. Dots: held-out drawings at the end of each epoch.")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.legend)
        plots = QHBoxLayout()
        plots.addWidget(self.loss_widget)
        plots.addWidget(self.accuracy_widget)
        layout.addLayout(plots, 1)
        layout.addWidget(self.note)
        self._redraw = Throttle(REDRAW_INTERVAL_MS, self._draw, leading=False, parent=self)

    def start(self, message: ComparisonStarted) -> None:
        self.legend.setText(legend_html([s.label for s in message.sides]))
        for side in range(2):
            for series in self.series[side].values():
                series.clear()
            self._smoothed[side] = None
        steps = max(s.total_steps for s in message.sides)
        self.loss_plot.setXRange(0, steps, padding=0.02)
        self.accuracy_plot.setXRange(0, steps, padding=0.02)
        self._draw()

    def add_steps(self, message: ComparisonSteps) -> None:
        series = self.series[message.side]
        smoothed = self._smoothed[message.side]
        for step in message.steps:
            if smoothed is None:
                smoothed = (step.loss, step.accuracy)
            else:
                smoothed = (SMOOTHING * smoothed[0] + (1 - SMOOTHING) * step.loss,
                            SMOOTHING * smoothed[1] + (1 - SMOOTHING) * step.accuracy)
            series["loss"].append(step.step, smoothed[0])
            series["accuracy"].append(step.step, smoothed[1])
        self._smoothed[message.side] = smoothed
        self._redraw.request()

    def add_epoch(self, message: ComparisonEpoch) -> None:
        if message.info.val_accuracy is not None:
            self.series[message.side]["val"].append(message.info.step, message.info.val_accuracy)
            self._redraw.request()

    def flush(self) -> None:
        self._redraw.cancel()
        self._draw()

    def _draw(self) -> None:
        highest = 0.0
        for series, items in zip(self.series, self.items):
            for name, item in items.items():
                item.setData(series[name].x, series[name].y)
            losses = series["loss"].y
            finite = losses[np.isfinite(losses)]
            if finite.size:
                highest = max(highest, float(finite.max()))
        top = nice_ceiling(highest, LOSS_TOPS) if highest > 0 else 1.0
        if top != self._loss_top:
            self._loss_top = top
            self.loss_plot.setYRange(0, top, padding=0.02)


class PerClassBars(QWidget):
    """Accuracy on each class's held-out drawings: A's bar and B's bar side by side, per class."""

    WIDTH = 0.38

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Accuracy per class on the held-out drawings")
        style_title_label(self.title)
        self.plot_widget = pg.PlotWidget(background=BACKGROUND)
        self.plot = self.plot_widget.getPlotItem()
        style_plot(self.plot, x_label=None, y_label="accuracy")
        self.plot.setYRange(0, 1.05, padding=0)
        set_fixed_ticks(self.plot.getAxis("left"), [0, 0.5, 1.0])
        add_guide_lines(self.plot, [0.25, 0.5, 0.75, 1.0])
        self.bars = []
        for side, colour in enumerate(COLOURS):
            bar = pg.BarGraphItem(x=[], height=[], width=self.WIDTH, brush=colour, pen=pg.mkPen(colour))
            self.plot.addItem(bar)
            self.bars.append(bar)
        self.classes: tuple[str, ...] = ()
        self.heights = [np.zeros(0), np.zeros(0)]  # NaN where a class has no held-out drawing
        self.epochs = [0, 0]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.plot_widget, 1)

    def start(self, message: ComparisonStarted) -> None:
        self.classes = message.classes
        count = len(self.classes)
        self.heights = [np.full(count, np.nan), np.full(count, np.nan)]
        self.epochs = [0, 0]
        self.plot.getAxis("bottom").setTicks([[(i, name) for i, name in enumerate(self.classes)]])
        self.plot.setXRange(-0.6, count - 0.4, padding=0)
        self.title.setText(f"Accuracy per class on the {message.val_size} held-out drawings "
                           f"(the same ones for A and B)")
        self._draw()

    def add_epoch(self, message: ComparisonEpoch) -> None:
        if len(message.per_class) != len(self.classes):
            return
        self.heights[message.side] = np.array([np.nan if v is None else v for v in message.per_class])
        self.epochs[message.side] = message.info.epoch
        self._draw()

    def _draw(self) -> None:
        positions = np.arange(len(self.classes), dtype=float)
        for side, bar in enumerate(self.bars):
            heights = np.nan_to_num(self.heights[side], nan=0.0)
            offset = (side - 0.5) * self.WIDTH
            bar.setOpts(x=positions + offset, height=heights, width=self.WIDTH)
