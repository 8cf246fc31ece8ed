"""One look for every plot: dark text on white, matching the drawing canvas, and no mouse navigation;
and the colour maps every view of weights and activations shares.

Set per plot rather than through ``pg.setConfigOptions`` so that these panels do not change how other
plots in the application look.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
import pyqtgraph as pg

BACKGROUND = "w"
AXIS_COLOUR = "#55555f"
TEXT_COLOUR = "#222228"
ACCENT = "#d9480f"  # what to look at first: the top class, the validation results
PRIMARY = "#1c7ed6"  # training results
MUTED = "#a5b4c8"  # raw, noisy values shown behind their smoothed version
GUIDE_COLOUR = "#e3e3e8"

# Blue = negative, near-white = zero, red = positive: the sign of a weight is what matters to read a
# filter. The filter and feature-map grids, their colour scales and the walkthrough all use this one.
DIVERGING_MAP = "CET-D1"
# Activations are >= 0 after ReLU; a perceptually uniform map makes strong responses stand out.
SEQUENTIAL_MAP = "viridis"
LUT_SIZE = 256  # the entries pyqtgraph's ImageItem.setColorMap takes from a colour map


@lru_cache(maxsize=None)
def colour_map(name: str) -> pg.ColorMap:
    """The named pyqtgraph colour map, read from its file once."""
    return pg.colormap.get(name)


@lru_cache(maxsize=None)
def lookup_table(name: str) -> np.ndarray:
    """(LUT_SIZE, 3) uint8, read-only: the colours an ImageItem given ``colour_map(name)`` shows."""
    table = np.ascontiguousarray(colour_map(name).getLookupTable(nPts=LUT_SIZE, alpha=False), np.uint8)
    table.setflags(write=False)
    return table


def map_colours(values: np.ndarray, low: float, high: float, name: str = DIVERGING_MAP) -> np.ndarray:
    """(..., 3) uint8 RGB of ``values`` at levels (low, high), as an ImageItem with those levels and
    ``colour_map(name)`` paints them: entry floor((v - low) * LUT_SIZE / (high - low)) of the table,
    clipped to its ends. NaN counts as 0; equal levels count as (low, low + 1)."""
    table = lookup_table(name)
    span = high - low if high > low else 1.0
    scaled = (np.nan_to_num(np.asarray(values, np.float64)) - low) * (len(table) / span)
    return table[np.clip(np.floor(scaled), 0, len(table) - 1).astype(np.intp)]


def style_plot(plot: pg.PlotItem, *, x_label: str | None, y_label: str | None) -> None:
    """Readable axes, labels, and a plot that cannot be dragged or zoomed away by accident.

    Learners who pan a plot off-screen by mistake rarely find the way back; the right-click menu and
    the auto-range button only add confusion for them.
    """
    if x_label:
        plot.setLabel("bottom", x_label, color=TEXT_COLOUR)
    if y_label:
        plot.setLabel("left", y_label, color=TEXT_COLOUR)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(AXIS_COLOUR))
        axis.setTextPen(pg.mkPen(TEXT_COLOUR))
        # Let a tick label at the very end of the axis (0, 100 %, probability 1) overflow a little
        # rather than vanish. (pyqtgraph's own grid would cancel this, hence ``add_guide_lines``.)
        axis.setStyle(hideOverlappingLabels=False)
        # A loss of 0.7 must read "0.7", not "700" on an axis titled "loss (x0.001)". pyqtgraph 0.14
        # rescales unitless values below 1 even with auto SI prefix off, unless no range allows it;
        # setLabel resets those ranges, so this comes after the labels.
        axis.enableAutoSIPrefix(False)
        axis.setSIPrefixEnableRanges(())
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    # Room on the right for half of the last x tick label, which would otherwise be cut off.
    plot.layout.setContentsMargins(0, 4, 14, 0)


def add_guide_lines(plot: pg.PlotItem, values: Sequence[float]) -> None:
    """Faint horizontal lines at fixed y values, to read bar heights and levels against."""
    for value in values:
        line = pg.InfiniteLine(pos=value, angle=0, movable=False, pen=pg.mkPen(GUIDE_COLOUR))
        line.setZValue(-10)  # behind the data
        plot.addItem(line, ignoreBounds=True)


def set_fixed_ticks(axis: pg.AxisItem, values: Sequence[float], fmt: str = "{:g}") -> None:
    axis.setTicks([[(value, fmt.format(value)) for value in values]])


def style_title_label(label) -> None:
    """Panel titles are plain QLabels above the plot: they wrap and follow the application font."""
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
