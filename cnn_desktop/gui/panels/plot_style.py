"""One look for every plot: dark text on white, matching the drawing canvas, and no mouse navigation.

Set per plot rather than through ``pg.setConfigOptions`` so that these panels do not change how other
plots in the application look.
"""

from __future__ import annotations

from typing import Sequence

import pyqtgraph as pg

BACKGROUND = "w"
AXIS_COLOUR = "#55555f"
TEXT_COLOUR = "#222228"
ACCENT = "#d9480f"  # what to look at first: the top class, the validation results
PRIMARY = "#1c7ed6"  # training results
MUTED = "#a5b4c8"  # raw, noisy values shown behind their smoothed version
GUIDE_COLOUR = "#e3e3e8"


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
