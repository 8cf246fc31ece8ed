"""A colour scale beside an image: a vertical colour ramp with a value axis, saying what a colour means.

pyqtgraph's ``ColorBarItem`` draws the same, but it is a whole ``PlotItem`` (context menus, a control
panel, four axes): about 14 ms to build, and the window shows one per layer grid, eleven in all, which
was a fifth of the main window's start-up. This one is a view box holding a 256-step ramp image and one
axis, and costs a small fraction of that.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from cnn_desktop.gui.panels.plot_style import LUT_SIZE, colour_map, lookup_table

RAMP_STEPS = LUT_SIZE  # one ramp step per colour of the table


class ColourScale(pg.GraphicsLayout):
    """The ramp from the lowest level (bottom) to the highest (top), with ticks on its right."""

    def __init__(self, colour_map: str, *, width: int = 12, axis_colour: str = "k", text_colour: str = "k") -> None:
        super().__init__()
        self.layout.setContentsMargins(0, 0, 0, 0)
        self.layout.setHorizontalSpacing(0)
        self.view = pg.ViewBox(enableMouse=False, enableMenu=False, defaultPadding=0)
        self.view.setFixedWidth(width)
        self.view.setBorder(pg.mkPen(axis_colour))
        # One column, rows from low to high: in a view box y grows upwards, so the low end is at the bottom.
        self.ramp = pg.ImageItem(np.linspace(0.0, 1.0, RAMP_STEPS, dtype=np.float32).reshape(RAMP_STEPS, 1),
                                 axisOrder="row-major", levels=(0.0, 1.0))
        self.view.addItem(self.ramp)
        self.axis = pg.AxisItem("right", linkView=self.view, pen=pg.mkPen(axis_colour),
                                textPen=pg.mkPen(text_colour))
        self.addItem(self.view, row=0, col=0)
        self.addItem(self.axis, row=0, col=1)
        self.levels = (0.0, 1.0)
        self.set_colour_map(colour_map)
        self.set_levels(0.0, 1.0)

    def set_colour_map(self, name: str) -> pg.ColorMap:
        """Colour the ramp with the named colour map (``plot_style``); returns it, for the image it describes."""
        self.ramp.setLookupTable(lookup_table(name))
        return colour_map(name)

    def set_levels(self, low: float, high: float) -> None:
        """The values at the bottom and the top of the ramp (the image's levels)."""
        if not high > low:
            high = low + 1.0
        if (low, high) == self.levels:
            return  # the axis keeps its ticks: no re-layout
        self.levels = (float(low), float(high))
        self.ramp.setRect(QRectF(0.0, low, 1.0, high - low))
        self.view.setRange(xRange=(0.0, 1.0), yRange=(low, high), padding=0)
