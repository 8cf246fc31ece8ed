"""The 28x28 image the network actually sees, enlarged with visible pixels."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPen, QColor
from PySide6.QtWidgets import QSizePolicy, QWidget


class InputView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image: QImage | None = None
        self._shown: np.ndarray | None = None  # the values behind _image
        self._overlay: QImage | None = None  # a heat map over the input (see gui/inspect)
        self._highlight: tuple[int, int, int, int] | None = None  # input pixels (top, left, bottom, right)
        self.setToolTip("What the network sees: your drawing cropped, scaled to 20 px and centred in 28x28")
        # It paints every pixel itself: without this, each update repainted the dock (and the main
        # window) behind it first, for nothing.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        return QSize(28 * 4 + 2, 28 * 4 + 2)

    def show_image(self, image: np.ndarray | None) -> None:
        """A float (28, 28) image in [0, 1] (ink high), or None for an empty drawing."""
        if image is not None and self._shown is not None and np.array_equal(image, self._shown):
            return  # while training, the same drawing's answer comes back 4 times a second
        self._shown = None if image is None else np.array(image, copy=True)
        if image is None:
            self._image = None
        else:
            # Shown as ink on paper, like the canvas, rather than MNIST's white on black.
            grey = np.ascontiguousarray(255 - np.clip(image * 255, 0, 255).astype(np.uint8))
            self._image = QImage(grey.data, grey.shape[1], grey.shape[0], grey.strides[0],
                                 QImage.Format.Format_Grayscale8).copy()
        self.update()

    def set_overlay(self, image: QImage | None) -> None:
        """A translucent image stretched over the input (a heat map); None removes it."""
        if image is None and self._overlay is None:
            return  # asked with every prediction; no repaint for nothing
        self._overlay = image.copy() if image is not None else None
        self.update()

    def set_highlight(self, box: tuple[int, int, int, int] | None) -> None:
        """Outline input pixels (top, left, bottom, right), inclusive, e.g. a receptive field."""
        if box == self._highlight:
            return
        self._highlight = box
        self.update()

    @property
    def highlight(self) -> tuple[int, int, int, int] | None:
        return self._highlight

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        if self._image is not None:
            painter.drawImage(self.rect().adjusted(1, 1, -1, -1), self._image)
        else:
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "empty")
        inner = QRectF(self.rect().adjusted(1, 1, -1, -1))
        if self._image is not None and self._overlay is not None:
            painter.setOpacity(0.7)
            painter.drawImage(inner, self._overlay)
            painter.setOpacity(1.0)
        if self._image is not None and self._highlight is not None:
            top, left, bottom, right = self._highlight
            cell = inner.width() / 28
            box = QRectF(inner.x() + left * cell, inner.y() + top * cell,
                         (right - left + 1) * cell, (bottom - top + 1) * cell)
            painter.fillRect(box, QColor(255, 140, 0, 70))
            painter.setPen(QPen(QColor(230, 90, 0), 2))
            painter.drawRect(box.adjusted(1, 1, -1, -1))
        painter.setPen(QPen(QColor(180, 180, 180), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
