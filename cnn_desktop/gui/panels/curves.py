"""How training is going: loss and accuracy curves, updated live while the network trains.

Both plots use the optimiser step as x axis, so a point on one lines up with the same moment on the
other; per-epoch values are drawn as markers at the step where their epoch ended.

Training adds ~100 points a second, and painting on the GUI thread holds the GIL the training thread
needs. So the panel redraws 5 times a second, paints the per-step lines thinned out to their envelope
(about two points per pixel column) without antialiasing, and moves its axes in jumps rather than
re-laying them out on every redraw.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget
from superqt import QElidingLabel

from cnn_desktop.gui.panels.plot_style import (
    ACCENT, BACKGROUND, MUTED, PRIMARY, TEXT_COLOUR, add_guide_lines, set_fixed_ticks, style_plot)
from cnn_desktop.gui.throttle import Throttle

# Redraws while training streams ~100 steps/s in: 5 a second. Painting holds the GIL the compute
# thread needs, and the curves move by a few pixels between two redraws. The first step after a
# quiet spell (the start of a run) is drawn at once, and the last one at most an interval later.
REDRAW_INTERVAL_MS = 200
# Per-batch losses jump around; an exponential moving average shows the trend. 0.9 averages over
# roughly the last ten steps: smooth, yet it still follows the fast drop at the start.
SMOOTHING = 0.9
EMPTY_STEPS = 100  # the x axis before the first step of a long run or one whose length is not known
# The x axis spans the whole run once this share of it is done (or from the start, for runs of up to
# 10 x EMPTY_STEPS / 2 = 500 steps); before that it zooms out in jumps, the curve filling a third to
# four fifths of it, so that the start of a long run is not a sliver that seems stuck.
TOTAL_SHOWN_FROM = 0.1
HEADROOM = 1.25  # x axis top / last step, at least, while zooming out in jumps
EMPTY_LOSS = 2.5  # the loss axis before the first step: about ln(10), where a 10-class network starts
PADDING = 0.02  # of each range, on both sides, so that markers at the ends are not cut in half
# Loss axis tops: fine-grained, so that the curve fills most of the plot's height.
LOSS_TOPS = (1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 10)
# The items with one point per optimiser step: thousands of points after a minute of training.
PER_STEP = ("step_loss", "smoothed_loss", "smoothed_accuracy")
# The per-epoch validation markers: shown only when the run holds drawings out (set_validation).
VALIDATION = ("val_loss", "val_accuracy")
# Per-epoch markers, in pixels: full size while epochs are at least MARKER_SPACING_PX apart on screen;
# closer, they shrink with the spacing, and below MARKER_MIN_PX they go (the line stays), so that a
# 300-epoch run does not merge them into solid bands at 0 and 100 % over the training curves.
MARKER_SIZE = 8
MARKER_SPACING_PX = 12
MARKER_MIN_PX = 3
PER_EPOCH = ("val_loss", "train_accuracy", "val_accuracy")
# The legend, one line above the plots (inside them it covered the curves): key -> (glyph, words).
LEGEND = {
    "step_loss": ("\u2500\u2500", MUTED, "each step"),
    "smoothed_loss": ("\u2501\u2501", PRIMARY, "smoothed"),
    "train_accuracy": ("\u25a0", PRIMARY, "training, each epoch"),
    "val_loss": ("\u25cf", ACCENT, "validation, each epoch"),
}
TITLE_SIZE = "10pt"  # at 1280x800 each plot is ~255 px wide: the 11pt default ran past the right edge


class GrowingSeries:
    """(x, y) points in numpy buffers that double when full, so appending is O(1) amortised and
    ``setData`` gets array views without copying Python lists."""

    def __init__(self, capacity: int = 256) -> None:
        self._data = np.empty((2, capacity), np.float64)
        self._size = 0
        self.version = 0  # changes with every change of the points

    def append(self, x: float, y: float) -> None:
        if self._size == self._data.shape[1]:
            grown = np.empty((2, 2 * self._size), np.float64)
            grown[:, :self._size] = self._data[:, :self._size]
            self._data = grown
        self._data[:, self._size] = (x, y)
        self._size += 1
        self.version += 1

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append many points at once (equal-length 1-d arrays)."""
        count = len(x)
        if not count:
            return
        needed = self._size + count
        if needed > self._data.shape[1]:
            grown = np.empty((2, max(needed, 2 * self._data.shape[1])), np.float64)
            grown[:, :self._size] = self._data[:, :self._size]
            self._data = grown
        self._data[0, self._size:needed] = x
        self._data[1, self._size:needed] = y
        self._size = needed
        self.version += 1

    def clear(self) -> None:
        self._size = 0
        self.version += 1

    def __len__(self) -> int:
        return self._size

    @property
    def x(self) -> np.ndarray:
        return self._data[0, :self._size]

    @property
    def y(self) -> np.ndarray:
        return self._data[1, :self._size]


def nice_ceiling(value: float, mantissas: tuple[float, ...] = (1, 2, 5, 10)) -> float:
    """The smallest ``m * 10^k`` (``m`` one of ``mantissas``, ascending from 1 to 10) that is at least
    ``value``, a positive finite number."""
    scale = 10.0 ** math.floor(math.log10(value))
    for mantissa in mantissas:
        if mantissa * scale >= value * (1 - 1e-9):
            return mantissa * scale
    return mantissas[-1] * scale


def _line(colour: str, width: float) -> dict:
    """A dense line with a point per step. Not antialiased: Qt's raster engine takes several times
    longer for antialiased polylines (offscreen, 6000 steps thinned out: ~10 ms against ~2.3 ms for
    a repaint of both plots), and at a pixel or two wide the difference hardly shows."""
    return {"pen": pg.mkPen(colour, width=width), "antialias": False}


def _markers(colour: str, symbol: str) -> dict:
    return {"pen": pg.mkPen(colour, width=2), "symbol": symbol, "symbolSize": 8,
            "symbolBrush": colour, "symbolPen": pg.mkPen(colour), "antialias": True}


def thin_out(item: pg.PlotDataItem) -> None:
    """Paint about two points per pixel column: the highest and the lowest of the steps falling into it.

    The noisy per-step band keeps its envelope and the smoothed line its shape, while the painter
    handles a few hundred points instead of every step of the run.
    """
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    item.opts["autoDownsampleFactor"] = 1.0  # one (max, min) pair per pixel; pyqtgraph's default is 5


class CurvesPanel(QWidget):
    """Loss (left) and accuracy (right) against the training step, with a legend line above them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss_plot = pg.PlotWidget(background=BACKGROUND)
        self.accuracy_plot = pg.PlotWidget(background=BACKGROUND)
        for widget in (self.loss_plot, self.accuracy_plot):
            widget.setMinimumSize(220, 160)

        loss = self.loss_plot.getPlotItem()
        style_plot(loss, x_label="step", y_label="loss")
        loss.setTitle("Loss (lower is better)", color=TEXT_COLOUR, size=TITLE_SIZE)
        accuracy = self.accuracy_plot.getPlotItem()
        style_plot(accuracy, x_label="step", y_label="accuracy (%)")
        accuracy.setTitle("Accuracy (higher is better)", color=TEXT_COLOUR, size=TITLE_SIZE)
        accuracy.setYRange(0, 100, padding=PADDING)
        set_fixed_ticks(accuracy.getAxis("left"), (0, 25, 50, 75, 100))
        add_guide_lines(accuracy, (25, 50, 75, 100))
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        # Its full width is no minimum: a narrow dock cuts the line's end rather than widen the window.
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        font = self.legend.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.legend.setFont(font)
        self._validation_shown = True
        for plot in (loss, accuracy):
            plot.disableAutoRange()  # the ranges move in jumps, see _update_ranges

        # Every item is created once here and only ever gets setData; ``items`` names them for callers.
        self._series: list[tuple[GrowingSeries, pg.PlotDataItem]] = []
        self._drawn_versions: list[int | None] = []  # the version of its series each item shows
        self.items: dict[str, pg.PlotDataItem] = {}

        def curve(key: str, plot: pg.PlotItem, name: str, style: dict) -> GrowingSeries:
            series = GrowingSeries()
            self.items[key] = plot.plot(name=name, **style)
            self._series.append((series, self.items[key]))
            self._drawn_versions.append(None)
            return series

        self._step_loss = curve("step_loss", loss, "training, each step", _line(MUTED, 1))
        self._smoothed_loss = curve("smoothed_loss", loss, "training, smoothed", _line(PRIMARY, 2))
        self._val_loss = curve("val_loss", loss, "validation, each epoch", _markers(ACCENT, "o"))
        self.items["val_loss"].setZValue(-1)  # where markers crowd, the training curves stay on top
        # The same colour as the smoothed loss: one legend entry, "smoothed", names both.
        self._smoothed_accuracy = curve("smoothed_accuracy", accuracy, "training, smoothed", _line(PRIMARY, 1.5))
        self._train_accuracy = curve("train_accuracy", accuracy, "training, each epoch", _markers(PRIMARY, "s"))
        self._val_accuracy = curve("val_accuracy", accuracy, "validation, each epoch", _markers(ACCENT, "o"))
        self.items["val_accuracy"].setZValue(-1)
        for key in PER_STEP:
            thin_out(self.items[key])
        self._marker_size = MARKER_SIZE
        self._show_legend()

        self._loss_average = self._accuracy_average = 0.0
        self._averaged_steps = 0
        self._total_steps: int | None = None
        self._last_step = 0  # the largest step holding a point
        self._highest_loss = 0.0  # the largest finite loss holding a point
        self._shown_ranges: tuple[float, float] | None = None  # (x top, loss top) on screen
        self._update_ranges()

        # What the validation figure is, and why (or why there is none): where the person looks.
        # One line, elided, the whole of it in the tooltip: wrapped onto two lines in the 250 px training
        # dock of a 1280x800 window, it ran over the plots' x-axis titles.
        self.note = QElidingLabel("")
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.accuracy_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.legend)
        layout.addLayout(plots, 1)
        layout.addWidget(self.note)
        self.note.hide()

        self._redraw = Throttle(REDRAW_INTERVAL_MS, self._draw, leading=True, parent=self)
        for plot in (loss, accuracy):
            plot.getViewBox().sigResized.connect(self._resized)

    def set_validation(self, shown: bool, line: str = "") -> None:
        """Show the per-epoch validation markers (and their legend entries) or not, and the line under
        the curves. A run without a held-out split has none to show: an empty "validation" legend entry
        would still suggest a figure."""
        if shown != self._validation_shown:
            self._validation_shown = shown
            for key in VALIDATION:
                self.items[key].setVisible(shown)
            self._show_legend()
        self.show_note(line)

    def _show_legend(self) -> None:
        """The legend line: what each line and marker is, validation only when the run has it."""
        entries = [(glyph, colour, words) for key, (glyph, colour, words) in LEGEND.items()
                   if self._validation_shown or key not in VALIDATION]
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(
            f'<span style="color:{colour}">{glyph}</span>&nbsp;{words}' for glyph, colour, words in entries))

    @property
    def validation_shown(self) -> bool:
        return self._validation_shown

    def show_note(self, line: str) -> None:
        self.note.setText(line)
        self.note.setToolTip(line)
        self.note.setVisible(bool(line))

    def set_total_steps(self, total_steps: int | None) -> None:
        """The run takes ``total_steps`` steps: the x axes span them (from the start, or once a tenth
        is done), so the curves fill the plots as training goes on and show how far it has to go.
        None: not known; the axes then grow in jumps."""
        self._total_steps = total_steps or None
        self._update_ranges()

    def add_step(self, step: int, loss: float, accuracy: float) -> None:
        """One optimiser step: the batch's loss and accuracy (0..1)."""
        smoothed_loss, smoothed_accuracy = self._smooth(loss, accuracy)
        self._step_loss.append(step, loss)
        self._smoothed_loss.append(step, smoothed_loss)
        self._smoothed_accuracy.append(step, 100 * smoothed_accuracy)
        self._last_step = max(self._last_step, step)
        if math.isfinite(loss):
            self._highest_loss = max(self._highest_loss, loss)
        self._redraw.request()

    def add_steps(self, steps: Sequence[int] | np.ndarray, losses: Sequence[float] | np.ndarray,
                  accuracies: Sequence[float] | np.ndarray) -> None:
        """Several optimiser steps at once, in order: the same as ``add_step`` for each, in one go."""
        steps = np.asarray(steps, np.float64).ravel()
        losses = np.asarray(losses, np.float64).ravel()
        accuracies = np.asarray(accuracies, np.float64).ravel()
        if not len(steps) == len(losses) == len(accuracies):
            raise ValueError(f"{len(steps)} steps, {len(losses)} losses and {len(accuracies)} accuracies")
        if not len(steps):
            return
        # The moving average is a recurrence; over a batch of ~10-100 steps a Python loop is cheap, and
        # it gives exactly the numbers add_step would.
        smoothed = [self._smooth(loss, accuracy) for loss, accuracy in zip(losses.tolist(), accuracies.tolist())]
        smoothed_losses, smoothed_accuracies = np.array(smoothed, np.float64).T
        self._step_loss.extend(steps, losses)
        self._smoothed_loss.extend(steps, smoothed_losses)
        self._smoothed_accuracy.extend(steps, 100 * smoothed_accuracies)
        self._last_step = max(self._last_step, int(steps.max()))
        finite = losses[np.isfinite(losses)]
        if finite.size:
            self._highest_loss = max(self._highest_loss, float(finite.max()))
        self._redraw.request()

    def _smooth(self, loss: float, accuracy: float) -> tuple[float, float]:
        """Takes one step into the moving averages; returns them (loss, accuracy 0..1)."""
        self._averaged_steps += 1
        self._loss_average = SMOOTHING * self._loss_average + (1 - SMOOTHING) * loss
        self._accuracy_average = SMOOTHING * self._accuracy_average + (1 - SMOOTHING) * accuracy
        # The average starts at 0; dividing by (1 - SMOOTHING^k) removes that pull towards 0 early on.
        correction = 1 - SMOOTHING**self._averaged_steps
        return self._loss_average / correction, self._accuracy_average / correction

    def add_epoch(self, epoch: int, step: int, train_loss: float, train_acc: float,
                  val_loss: float | None, val_acc: float | None) -> None:
        """The end of ``epoch`` (reached at ``step``): averages over it; validation None when there is none.

        ``epoch`` and ``train_loss`` are accepted for the caller's convenience; the plots place epochs by
        step, and the smoothed curve already shows the training loss.
        """
        self._train_accuracy.append(step, 100 * train_acc)
        self._last_step = max(self._last_step, step)
        if val_loss is not None:
            self._val_loss.append(step, val_loss)
            if math.isfinite(val_loss):
                self._highest_loss = max(self._highest_loss, val_loss)
        if val_acc is not None:
            self._val_accuracy.append(step, 100 * val_acc)
        self._redraw.request()

    def clear(self, total_steps: int | None = None) -> None:
        """Forget every point: a new training run, of ``total_steps`` steps when that is known."""
        for series, _ in self._series:
            series.clear()
        self._loss_average = self._accuracy_average = 0.0
        self._averaged_steps = 0
        self._total_steps = total_steps or None
        self._last_step = 0
        self._highest_loss = 0.0
        self._redraw.cancel()
        self._draw()

    def _resized(self, _view: pg.ViewBox) -> None:
        """pyqtgraph thins a curve out for the width it has when it gets its points, and keeps that on
        a resize: hand the per-step items their points again, thinned out for the new width."""
        thinned = [index for index, (series, item) in enumerate(self._series)
                   if item.opts["autoDownsample"] and len(series)]
        for index in thinned:
            self._drawn_versions[index] = None
        if thinned:  # (an empty panel has nothing to redo)
            self._redraw.request()

    def _draw(self) -> None:
        for index, (series, item) in enumerate(self._series):
            if self._drawn_versions[index] != series.version:  # epoch markers change rarely
                self._drawn_versions[index] = series.version
                item.setData(series.x, series.y)
        self._update_ranges()
        self._size_markers()

    def _size_markers(self) -> None:
        """Per-epoch markers sized to the room between epochs on screen (see MARKER_SPACING_PX)."""
        x_top = self._shown_ranges[0] if self._shown_ranges else float(EMPTY_STEPS)
        points = self._train_accuracy.x
        width = self.accuracy_plot.getPlotItem().getViewBox().width()
        if len(points) < 2 or width <= 0:
            size = MARKER_SIZE
        else:
            steps_apart = float(np.min(np.diff(points[-50:]))) if len(points) > 1 else x_top
            spacing = steps_apart * width / (x_top * (1 + 2 * PADDING))
            size = MARKER_SIZE if spacing >= MARKER_SPACING_PX else int(spacing * MARKER_SIZE / MARKER_SPACING_PX)
        if size == self._marker_size:
            return
        self._marker_size = size
        for key in PER_EPOCH:
            item = self.items[key]
            colour = PRIMARY if key == "train_accuracy" else ACCENT
            if size < MARKER_MIN_PX:  # a thin, half-transparent line: one figure per epoch, too many to mark
                item.setSymbol(None)
                faint = pg.mkColor(colour)
                faint.setAlpha(140)
                item.setPen(pg.mkPen(faint, width=1))
            else:
                item.setSymbol("s" if key == "train_accuracy" else "o")
                item.setSymbolSize(size)
                item.setPen(pg.mkPen(colour, width=2))

    @property
    def marker_size(self) -> int:
        """The per-epoch markers' size in pixels now (below MARKER_MIN_PX: none, only the line)."""
        return self._marker_size

    def _update_ranges(self) -> None:
        """Move the axes in jumps only. Each move lays the axis ticks out anew and repaints the whole
        plot; following every new step, as pyqtgraph's auto-range does, cost that on every redraw.

        x: 0 to the run's total steps when known and a tenth of the run is done (from the start for
        a run of up to 500 steps); else to a round number (100, 200, 500, 1000...) at least 1.25 x the
        last step. Loss: 0 to a round number at or above the highest loss so far, which only grows
        during a run, as an auto-range over all points would. Accuracy: always 0-100 %. Before the
        first point: 0-100 steps (or the total) and a loss of 0-2.5, not pyqtgraph's 0-1 in tenths
        ("step 0.4" means nothing).
        """
        total, last = self._total_steps, self._last_step
        if total is not None and last <= total and max(last, EMPTY_STEPS / 2) >= TOTAL_SHOWN_FROM * total:
            x_top = float(total)
        else:
            x_top = max(float(EMPTY_STEPS), nice_ceiling(HEADROOM * last) if last else 0.0)
        loss_top = nice_ceiling(self._highest_loss, LOSS_TOPS) if self._highest_loss > 0 else EMPTY_LOSS
        if self._shown_ranges == (x_top, loss_top):
            return
        self._shown_ranges = (x_top, loss_top)
        for widget in (self.loss_plot, self.accuracy_plot):
            widget.getPlotItem().setXRange(0, x_top, padding=PADDING)
        self.loss_plot.getPlotItem().setYRange(0, loss_top, padding=PADDING)
