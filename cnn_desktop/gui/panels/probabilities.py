"""What the network thinks of the drawing: one bar per class, and its best guess written large."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from cnn_desktop.core.inspection.confidence import DEFAULT_SURE_THRESHOLD, headline, top_two, verdict
from cnn_desktop.gui.panels.headline import Headline
from cnn_desktop.gui.panels.plot_style import (
    ACCENT, BACKGROUND, MUTED, TEXT_COLOUR, add_guide_lines, set_fixed_ticks, style_plot)
from cnn_desktop.gui.throttle import Throttle

# A prediction is drawn the moment it arrives (this panel is what "live" means to the person drawing);
# answers arriving in the same pass of the event loop are merged into one draw of the newest. No
# longer interval: the answers cannot come faster than the canvas sends drawings (once per pass), and
# with predictions ~8 ms apart an 8 ms throttle made most of them wait for its timer (idle p95 21 ms
# instead of <16). A trailing 33 ms throttle here once added ~18 ms to every guess.
REDRAW_INTERVAL_MS = 0
BAR_WIDTH = 0.7
EMPTY_TEXT = "Draw something"
_EMPTY_COLOUR = "#8a8a96"
_GUESS_COLOUR = TEXT_COLOUR
_UNSURE_COLOUR = "#b35c00"  # amber: an answer to take with caution, not an error
UNSURE_BAR = "#f0a040"


class ProbabilitiesPanel(QWidget):
    """Bars of the class probabilities (0 to 1), with the top class and its percentage above them."""

    def __init__(self, classes: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._classes: list[str] = []
        self._shown: np.ndarray | None = None  # newest probabilities, drawn at the next redraw
        self._threshold = DEFAULT_SURE_THRESHOLD  # below it the headline says "Not sure"

        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        # "Not sure — maybe 7 (45%)" wraps rather than widening the dock, and the headline always keeps
        # two lines' height: sized to its text, it grew and shrank as drawings began and ended
        # ("Draw something" fits one line, "Guess: cross (100%)" took two in a narrow dock), and the
        # bar chart under it jumped each time. Not a QLabel: see headline.py.
        self.headline = Headline(EMPTY_TEXT, font, lines=2)
        self.headline.set_colour(_EMPTY_COLOUR)

        self.plot_widget = pg.PlotWidget(background=BACKGROUND)
        self.plot_widget.setMinimumHeight(140)
        plot = self.plot_widget.getPlotItem()
        style_plot(plot, x_label="class", y_label="probability")
        plot.setYRange(0, 1, padding=0.02)
        set_fixed_ticks(plot.getAxis("left"), (0, 0.25, 0.5, 0.75, 1))
        add_guide_lines(plot, (0.25, 0.5, 0.75, 1))
        self.bars = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH, brush=MUTED, pen=None)
        plot.addItem(self.bars)
        # Where "sure" begins: a dashed line at the threshold (the slider under the plot names it).
        self.threshold_line = pg.InfiniteLine(pos=self._threshold, angle=0, movable=False,
                                              pen=pg.mkPen("#b35c00", width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        plot.addItem(self.threshold_line, ignoreBounds=True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.headline)
        layout.addWidget(self.plot_widget, stretch=1)

        self._redraw = Throttle(REDRAW_INTERVAL_MS, self._draw, leading=True, parent=self)
        self.set_classes(classes)

    def set_classes(self, classes: Sequence[str]) -> None:
        """One bar per class, named on the x axis; forgets the probabilities shown so far."""
        self._classes = [str(c) for c in classes]
        n = len(self._classes)
        plot = self.plot_widget.getPlotItem()
        plot.getAxis("bottom").setTicks([axis_ticks(self._classes)])
        plot.setXRange(-0.6, max(n, 1) - 0.4, padding=0)
        self.bars.setOpts(x=np.arange(n), height=np.zeros(n), brushes=[MUTED] * n)
        self._shown = None
        self._draw()

    @property
    def threshold(self) -> float:
        return self._threshold

    def set_threshold(self, threshold: float) -> None:
        """Top probabilities below ``threshold`` make the headline say "Not sure — maybe ..."."""
        self._threshold = float(threshold)
        self.threshold_line.setValue(self._threshold)
        self._redraw.request()

    def show_probabilities(self, probabilities: np.ndarray | None) -> None:
        """Show one probability per class, or None for an empty canvas (no guess at all)."""
        if probabilities is not None:
            probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
            if len(probabilities) != len(self._classes):
                raise ValueError(f"{len(probabilities)} probabilities for {len(self._classes)} classes")
        self._shown = probabilities
        self._redraw.request()

    def _draw(self) -> None:
        n = len(self._classes)
        if self._shown is None or n == 0:
            self.bars.setOpts(height=np.zeros(n), brushes=[MUTED] * n)
            self.headline.setText(EMPTY_TEXT)
            self.headline.set_colour(_EMPTY_COLOUR)
            return
        heights = np.clip(self._shown, 0.0, 1.0)
        judged = verdict(heights, self._threshold)
        pair = top_two(heights)  # borderline: "1 or 7?", both bars in amber
        brushes = [MUTED] * n
        brushes[judged.top] = ACCENT if judged.sure and pair is None else UNSURE_BAR
        if pair is not None:
            brushes[pair[1]] = UNSURE_BAR
        self.bars.setOpts(height=heights, brushes=brushes)
        # Same label, same fixed two-line height whatever the text: the bars below never move.
        self.headline.setText(headline(self._classes, heights, self._threshold))
        self.headline.set_colour(_GUESS_COLOUR if judged.sure and pair is None else _UNSURE_COLOUR)


# About as many characters as the narrow Prediction dock shows under its bars without overlap.
NAMED_TICKS_MAX_CHARACTERS = 36


def axis_ticks(classes: Sequence[str]) -> list[tuple[int, str]]:
    """The x axis's labels: every class's name where they fit (digits, ticks and crosses, a few shapes);
    else the bars' numbers, one in every few (a project's 50 names would print over one another; the
    headline names the top class)."""
    if sum(len(name) + 1 for name in classes) <= NAMED_TICKS_MAX_CHARACTERS:
        return list(enumerate(classes))
    step = max(1, -(-len(classes) // 8))
    return [(i, str(i + 1)) for i in range(0, len(classes), step)]
