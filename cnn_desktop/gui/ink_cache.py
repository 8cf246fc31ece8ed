"""The canvas's finished ink: paper plus every finished stroke, rendered once at device resolution.

The canvas paints this image and, on top, only the stroke in progress. Each change redraws as little
as it can: a finished stroke is painted on top, an erase or undo repaints only the area of the strokes
it changed (``ink`` paints a stroke near a rectangle only), a resize draws only the uncovered strips.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QImage, QPainter

from cnn_desktop.gui.ink import InkStroke, paint_stroke

PAPER = QColor(255, 255, 255)


class InkCache:
    """Holds the rendered image; rebuilt lazily (on the next ``image`` call) when it is dropped."""

    def __init__(self) -> None:
        self._image: QImage | None = None

    def image(self, size: QSize, ratio: float, strokes: Sequence[InkStroke]) -> QImage:
        """The image for a sheet of ``size`` (logical pixels) at device pixel ratio ``ratio``."""
        old = self._image
        if old is not None and old.size() == size * old.devicePixelRatio() and old.devicePixelRatio() == ratio:
            return old
        self._image = image = QImage(size * ratio, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(PAPER)
        if old is not None and old.devicePixelRatio() == ratio:
            # Resized: strokes keep their coordinates, so the old pixels stay right where they are.
            # Only the newly uncovered strips need drawing; resizing the window stays fluid.
            painter = QPainter(image)
            painter.drawImage(0, 0, old)
            painter.end()
            old_size = old.deviceIndependentSize()
            width, height = size.width(), size.height()
            for strip in (QRectF(old_size.width(), 0, width - old_size.width(), height),
                          QRectF(0, old_size.height(), width, height - old_size.height())):
                if strip.width() > 0 and strip.height() > 0:
                    self.repaint(strip, strokes)
            return image
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for stroke in strokes:
            paint_stroke(painter, stroke)
        painter.end()
        return image

    def add(self, stroke: InkStroke) -> None:
        """Paint a newly finished stroke on top."""
        if self._image is None:
            return  # will be rebuilt with this stroke anyway
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        paint_stroke(painter, stroke)
        painter.end()

    def repaint(self, region: QRectF, strokes: Sequence[InkStroke]) -> None:
        """Redraw the paper and the strokes crossing ``region`` only: after an erase, not the whole sheet."""
        if self._image is None:
            return
        painter = QPainter(self._image)
        painter.setClipRect(region)
        painter.fillRect(region, PAPER)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for stroke in strokes:
            if stroke.bounds.intersects(region):
                paint_stroke(painter, stroke, region)
        painter.end()

    def replace(self, old_state: Sequence[InkStroke], new_state: Sequence[InkStroke]) -> QRectF | None:
        """The drawing went from ``old_state`` to ``new_state`` (undo, redo, clear, loading): bring the
        image up to date. Returns the area of the sheet to repaint, or None for the whole sheet.

        Undoing the last of hundreds of strokes then redraws the strokes near it, not all of them.
        """
        if self._image is None:
            return None
        old_ids, new_ids = {id(s) for s in old_state}, {id(s) for s in new_state}
        changed = [s for s in old_state if id(s) not in new_ids] + [s for s in new_state if id(s) not in old_ids]
        if not new_state:
            self._image.fill(PAPER)  # cleared: nothing to redraw at all
            return None
        if len(changed) > max(20, len(new_state) // 2):
            self._image = None  # most of the drawing changed: one full rebuild is cheaper
            return None
        region = QRectF()
        for stroke in changed:
            region = region.united(stroke.bounds)
        if not region.isEmpty():
            self.repaint(region, new_state)
        # From or to an empty sheet: the whole sheet, also to show or hide the hint.
        return region if old_state else None
