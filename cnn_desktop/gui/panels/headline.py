"""Large text that changes many times a second without laying the window out again.

A QLabel asks its parents for a new layout on every setText (QWidget::updateGeometry climbs to the
first widget of fixed width and height, and a dock is never one): the guess above the bars, written
once per answer while drawing, made the main window lay out all its docks and repaint their
separators about 40 times a second (counted: 417 layout requests in 10 s of drawing). This widget has
a fixed height and paints its own text, so a new text costs one repaint of its own area.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget


class Headline(QWidget):
    """Up to ``lines`` lines of word-wrapped text in ``font``, always that many lines high."""

    def __init__(self, text: str, font: QFont, lines: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(font)
        self._text = ""
        self._colour = QColor(self.palette().windowText().color())
        # Fixed height: a guess of one line and one of two leave the bars below where they were.
        self.setFixedHeight(lines * QFontMetrics(font).lineSpacing() + 4)
        # Any width: the text wraps to what the dock gives it, as a word-wrapped label would.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(40)
        # Opaque (it fills its background itself): a new text then repaints this widget only, not the
        # dock and the main window behind it as well.
        self.setAutoFillBackground(True)
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name, for the code that reads it)
        if text == self._text:
            return
        self._text = text
        self.setAccessibleName(text)  # screen readers read it as they would a label's text
        self.update()

    def colour(self) -> QColor:
        return QColor(self._colour)

    def set_colour(self, colour: str) -> None:
        wanted = QColor(colour)
        if wanted != self._colour:
            self._colour = wanted
            self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setPen(self._colour)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap
        painter.drawText(self.rect(), int(flags), self._text)
