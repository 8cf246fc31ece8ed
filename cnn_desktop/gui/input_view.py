"""The 28x28 image the network actually sees, enlarged with visible pixels."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPen, QColor
from PySide6.QtWidgets import QSizePolicy, QWidget


class InputView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image: QImage | None = None
        self.setToolTip("What the network sees: your drawing cropped, scaled to 20 px and centred in 28x28")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFixedSize(self.sizeHint())

    def sizeHint(self) -> QSize:
        return QSize(28 * 4 + 2, 28 * 4 + 2)

    def show_image(self, image: np.ndarray | None) -> None:
        """A float (28, 28) image in [0, 1] (ink high), or None for an empty drawing."""
        if image is None:
            self._image = None
        else:
            # Shown as ink on paper, like the canvas, rather than MNIST's white on black.
            grey = np.ascontiguousarray(255 - np.clip(image * 255, 0, 255).astype(np.uint8))
            self._image = QImage(grey.data, grey.shape[1], grey.shape[0], grey.strides[0],
                                 QImage.Format.Format_Grayscale8).copy()
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        if self._image is not None:
            painter.drawImage(self.rect().adjusted(1, 1, -1, -1), self._image)
        else:
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "empty")
        painter.setPen(QPen(QColor(180, 180, 180), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
