"""MapImage colours float maps exactly as pyqtgraph's ImageItem does, only faster (see map_image.py)."""

import numpy as np
import pyqtgraph as pg
import pytest

from cnn_desktop.gui.panels.map_image import MapImage
from cnn_desktop.gui.panels.network_overview_items import INK_TABLE, POSITIVE_TABLE
from cnn_desktop.gui.panels.plot_style import DIVERGING_MAP, SEQUENTIAL_MAP, lookup_table


def rendered(item) -> np.ndarray:
    """The item's pixels as RGBA, whatever QImage format it chose."""
    item.render()
    image = item.qimage.convertToFormat(pg.QtGui.QImage.Format.Format_RGBA8888)
    height, width = image.height(), image.width()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return data.reshape(height, image.bytesPerLine())[:, : 4 * width].reshape(height, width, 4).copy()


@pytest.mark.parametrize("table", [lookup_table(DIVERGING_MAP), lookup_table(SEQUENTIAL_MAP), POSITIVE_TABLE,
                                   INK_TABLE])
@pytest.mark.parametrize("levels", [(-1.5, 1.5), (0.0, 2.0), (0.3, 0.30001), (-0.2, 7.0)])
def test_the_same_pixels_as_pyqtgraph_nan_gaps_transparent(qtbot, table, levels):
    rng = np.random.default_rng(7)
    maps = rng.normal(0.0, 1.5, (23, 31)).astype(np.float32)
    maps[::6, :] = np.nan  # the gaps between packed maps
    maps[:, ::9] = np.nan
    maps[2, 3], maps[4, 4] = levels  # values exactly at both ends
    ours, theirs = MapImage(axisOrder="row-major"), pg.ImageItem(axisOrder="row-major")
    for item in (ours, theirs):
        item.setLookupTable(table)
        item.setImage(maps, autoLevels=False, levels=levels)
    mine, reference = rendered(ours), rendered(theirs)
    gaps = np.isnan(maps)
    assert (mine[gaps, 3] == 0).all() and (mine[~gaps, 3] == 255).all()
    np.testing.assert_array_equal(mine[~gaps], reference[~gaps])
    assert (reference[gaps, 3] == 0).all()


def test_other_images_are_left_to_pyqtgraph(qtbot):
    item = MapImage(axisOrder="row-major")
    item.setImage(np.arange(12, dtype=np.uint8).reshape(3, 4))  # no table, integer: pyqtgraph's own path
    pixels = rendered(item)
    assert pixels.shape == (3, 4, 4) and pixels[0, 0, 0] < pixels[2, 3, 0]
