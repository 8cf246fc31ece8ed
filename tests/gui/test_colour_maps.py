"""One diverging colour map: a value has the same colour in the walkthrough as in the filter and
feature-map grids and on their colour scales."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter

from cnn_desktop.gui.inspection.walkthrough_painting import Diverging, grid
from cnn_desktop.gui.panels.image_grid import ImageGridPanel
from cnn_desktop.gui.panels.plot_style import DIVERGING_MAP, colour_map, lookup_table, map_colours

SIGNED = np.array([-1.0, 0.0, 1.0])


def rgb(colour):
    return colour.red(), colour.green(), colour.blue()


def panel_colours(qtbot, values: np.ndarray) -> list[tuple[int, int, int]]:
    """The colours a filter grid paints ``values`` (one row of tiles' pixels) with."""
    panel = ImageGridPanel("filters")
    qtbot.addWidget(panel)
    panel.show_grid(values.reshape(1, 1, -1), diverging=True, title="filters")
    qtbot.waitUntil(lambda: panel.image_item.image is not None, timeout=2000)
    panel.image_item.render()
    image = panel.image_item.qimage
    return [rgb(image.pixelColor(x, 0)) for x in range(values.size)], panel


@pytest.mark.parametrize("extent", [1.0, 0.037, 2.5])
def test_the_walkthrough_colours_minus_one_zero_and_plus_one_like_the_filter_panel(qtbot, extent):
    shown, panel = panel_colours(qtbot, SIGNED * extent)
    walkthrough = Diverging(extent)
    assert [rgb(walkthrough(v)) for v in SIGNED * extent] == shown
    assert [tuple(c) for c in walkthrough.rgb(SIGNED * extent)] == shown
    assert shown[0][2] > shown[0][0] and shown[2][0] > shown[2][2] and min(shown[1]) > 220  # blue, pale, red
    # The colour scale beside the grid runs through the same colours, from -extent up to +extent.
    ramp = panel.colour_bar.ramp.lut
    assert tuple(ramp[0][:3]) == shown[0] and tuple(ramp[-1][:3]) == shown[2]
    assert panel.colour_bar.levels == pytest.approx((-extent, extent))


def test_the_walkthrough_paints_those_colours_in_its_grids(qtbot):
    expected = [tuple(int(c) for c in colour) for colour in lookup_table(DIVERGING_MAP)[[0, 128, 255]]]
    for numbers in (False, True):  # one image for big grids, cell by cell with their numbers
        image = QImage(200, 100, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        grid(painter, 10, 30, 40, SIGNED.reshape(1, 3), Diverging(1.0), numbers=numbers)
        painter.end()
        assert [rgb(image.pixelColor(10 + 40 * i + 4, 34)) for i in range(3)] == expected


def test_one_table_for_pyqtgraph_and_for_painting():
    assert colour_map(DIVERGING_MAP) is colour_map(DIVERGING_MAP)
    table = lookup_table(DIVERGING_MAP)
    np.testing.assert_array_equal(table, colour_map(DIVERGING_MAP).getLookupTable(nPts=256, alpha=False))
    assert not table.flags.writeable
    colours = map_colours(np.array([[-5.0, np.nan], [0.999, 7.0]]), -1.0, 1.0)
    np.testing.assert_array_equal(colours, table[[[0, 128], [255, 255]]])
