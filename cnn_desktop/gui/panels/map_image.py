"""An ImageItem that colours float maps with a colour table in a few array operations.

The overview and the grids show float maps packed with NaN gaps between them, at fixed levels,
through a colour table. pyqtgraph colours such an image through its general path (a mask of the
NaNs, the table widened to RGBA on every render, a rescale in chunks): 0.17 ms a column, measured,
and the overview renders every column on each redraw, up to 30 times a second while drawing: about
half of its paint time, on the thread that also shows the next guess. This does the same mapping
(the table's entry floor((v - low) * n / (high - low)), clipped to its ends; NaN transparent) in a
few numpy operations. Any other image (colour, integer, no table or levels) is left to pyqtgraph.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage


class MapImage(pg.ImageItem):
    _rgba_for: np.ndarray | None = None  # the table _rgba_table was made from
    _rgba_table: np.ndarray | None = None  # it, opaque, plus one transparent entry for NaN

    def render(self) -> None:
        image, table, levels = self.image, self.lut, self.levels
        if (image is None or image.ndim != 2 or image.size == 0 or image.dtype.kind != "f"
                or not isinstance(table, np.ndarray) or table.ndim != 2 or table.shape[1] not in (3, 4)
                or levels is None or np.ndim(levels) != 1):
            super().render()
            return
        rgba = self._table_with_gap(table)
        entries = len(table)
        low, high = float(levels[0]), float(levels[1])
        span = high - low if high > low else 1.0
        scaled = (image - low) * (entries / span)  # NaN stays NaN
        np.floor(scaled, out=scaled)
        np.clip(scaled, 0, entries - 1, out=scaled)
        index = np.where(np.isnan(scaled), entries, scaled).astype(np.intp)
        self._pixels = np.ascontiguousarray(rgba[index])  # kept: the QImage reads this buffer
        self.qimage = pg.functions.ndarray_to_qimage(self._pixels, QImage.Format.Format_RGBA8888)
        self._renderRequired = False
        self._unrenderable = False

    def _table_with_gap(self, table: np.ndarray) -> np.ndarray:
        if self._rgba_for is not table:
            opaque = np.full((len(table), 4), 255, np.uint8)
            opaque[:, : table.shape[1]] = table
            self._rgba_table = np.vstack([opaque, np.zeros((1, 4), np.uint8)])
            self._rgba_for = table
        return self._rgba_table
