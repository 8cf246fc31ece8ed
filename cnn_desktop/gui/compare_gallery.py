"""The compare window's live guesses of A and B, and the gallery of held-out drawings they disagree on."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from cnn_desktop.core.app.comparison_messages import BothPredictions, Disagreements
from cnn_desktop.core.app.comparison_text import disagreement_caption, guess_line
from cnn_desktop.gui.compare_plots import COLOURS
from cnn_desktop.gui.panels.plot_style import style_title_label
from cnn_desktop.gui.throttle import Throttle

TILE = 56  # pixels: each 28x28 drawing shown twice its size
GUESS_INTERVAL_MS = 100
MAX_TILES = 200
CAPTION_WIDTH = 200  # pixels: "A: cross · B: tick · true cross" on one line  # a gallery of more would be scrolled through by nobody; the count says how many there are


def drawing_pixmap(image: np.ndarray, size: int = TILE) -> QPixmap:
    """A 28x28 input (ink 1 on 0) as dark ink on white, like the canvas."""
    grey = np.ascontiguousarray(255 - np.clip(image * 255, 0, 255).astype(np.uint8))
    height, width = grey.shape
    picture = QImage(grey.data, width, height, width, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(picture).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.FastTransformation)


class GuessesView(QWidget):
    """"A guesses tick (97%)" and "B guesses cross (60%)", following the drawing on the main canvas."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("While you draw on the main canvas")
        style_title_label(self.title)
        self.labels = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        row = QHBoxLayout()
        self.input = QLabel()
        self.input.setFixedSize(TILE, TILE)
        self.input.setStyleSheet("border: 1px solid #c8c8d0;")
        self.input.setToolTip("The 28×28 input both networks see")
        row.addWidget(self.input)
        column = QVBoxLayout()
        for side, colour in zip("AB", COLOURS):
            label = QLabel(f"{side}: draw something")
            font = label.font()
            font.setPointSizeF(font.pointSizeF() * 1.35)
            font.setBold(True)
            label.setFont(font)
            label.setStyleSheet(f"color: {colour};")
            column.addWidget(label)
            self.labels.append(label)
        row.addLayout(column, 1)
        layout.addLayout(row)
        layout.addStretch(1)
        # Both networks answer between their training steps, up to ~60 answers a second while a stroke
        # is drawn; each new text lays the window out again. Ten a second is as live as eyes follow,
        # and kept the window's 16 ms timer on time with two trainings running.
        self._shown: BothPredictions | None = None
        self._show = Throttle(GUESS_INTERVAL_MS, self._draw, leading=True, parent=self)

    def show_predictions(self, message: BothPredictions) -> None:
        self._shown = message
        self._show.request()

    def _draw(self) -> None:
        message = self._shown
        if message is None:
            return
        for side, label, probabilities in zip("AB", self.labels, (message.a, message.b)):
            if message.image is not None and probabilities is None:
                label.setText(f"{side}: waiting for training to start")
            else:
                label.setText(guess_line(side, message.classes, probabilities))
        if message.image is None:
            self.input.clear()
        else:
            self.input.setPixmap(drawing_pixmap(message.image))

    def texts(self) -> list[str]:
        return [label.text() for label in self.labels]


class DisagreementGallery(QWidget):
    """Small images of the held-out drawings A and B classify differently: "A: 7 · B: 1 · true 1"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Drawings they disagree on: after training")
        style_title_label(self.title)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(TILE, TILE))
        self.list.setGridSize(QSize(CAPTION_WIDTH, TILE + 28))
        self.list.setMinimumHeight(TILE + 44)  # one row of tiles and captions, whole
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)

    def clear(self) -> None:
        self.list.clear()
        self.title.setText("Drawings they disagree on: after training")

    def show_disagreements(self, message: Disagreements) -> None:
        self.list.clear()
        total, n = len(message.items), message.val_size
        right_a, right_b = message.correct
        self.title.setText(
            f"They disagree on {total} of the {n} held-out drawing{'s' if n != 1 else ''} · "
            f"right: A {right_a} of {n}, B {right_b} of {n}" + (f" (the first {MAX_TILES} shown)" if total > MAX_TILES else ""))
        for item in message.items[:MAX_TILES]:
            caption = disagreement_caption(message.classes, item.true, item.guess_a, item.guess_b)
            entry = QListWidgetItem(QIcon(drawing_pixmap(item.image)), caption)
            right = item.guess_a == item.true, item.guess_b == item.true
            entry.setToolTip(f"Drawing {item.index}: {caption}. "
                             + ("A is right." if right[0] else "B is right." if right[1] else "Neither is right."))
            if right[0] != right[1]:  # the one that is right lends the caption its colour
                entry.setForeground(QColor(COLOURS[0 if right[0] else 1]))
            self.list.addItem(entry)

    def captions(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]
