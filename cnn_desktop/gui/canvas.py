"""The drawing canvas: a person draws with mouse or pen, the network classifies while they draw.

The drawing is kept as vector strokes in canvas pixels (what ``Strokes`` holds); how thick the ink
looks is a display matter only. Finished strokes are rendered once into a cached image (``ink_cache``)
and only the stroke in progress is painted on top, in the small rectangle that changed; an edit
(erase, undo) repaints only the area of the strokes it changed. So drawing stays smooth on a large
canvas holding hundreds of strokes. Undo and redo keep whole states (``history``).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPointingDevice,
    QTabletEvent,
)
from PySide6.QtWidgets import QWidget

from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.gui.eraser import erase
from cnn_desktop.gui.ink import InkStroke, paint_points, pressure_scale
from cnn_desktop.gui.history import History
from cnn_desktop.gui.ink_cache import InkCache
from cnn_desktop.gui.throttle import Throttle

HINT_COLOUR = QColor(160, 160, 170)
FRAME_COLOUR = QColor(200, 200, 208)
ERASER_OUTLINE = QColor(120, 120, 130)

# 0: a live drawing reaches listeners on the first pointer move of every pass of the event loop, and
# moves queued behind it in the same pass are merged into one emission. A longer interval only added
# latency (half of it on average): the engine keeps just the newest drawing anyway, so a fast hand
# cannot flood it.
EMIT_INTERVAL_MS = 0
MIN_POINT_SPACING = 1.0  # pointer moves shorter than this (canvas px) add no point
OVERLAY_OPACITY = 0.55  # the drawing must stay visible under a saliency or receptive-field overlay

_REDO_KEYS = (QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"))
_UNDO_KEY = QKeySequence("Ctrl+Z")


class DrawingCanvas(QWidget):
    """A white sheet to draw on with mouse or pen; emits the drawing while it is being drawn.

    Keys (when the canvas has focus): Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo, Esc clear (undoable).
    """

    strokes_changed = Signal(object)  # a Strokes; during a stroke once per event-loop pass, and on every edit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we paint every pixel ourselves
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 200)
        self.setCursor(Qt.CursorShape.CrossCursor)

        self._brush_size = 14.0
        self._eraser_size = 36.0
        self._eraser_mode = False
        self._hint = "Draw a digit here"

        self._strokes: list[InkStroke] = []
        self._history: History[list[InkStroke]] = History()

        # The gesture under way, if any: a stroke being drawn or an eraser being dragged.
        self._drawing = False
        self._erasing = False
        self._live_points: list[tuple[float, float]] = []
        self._live_widths: list[float] = []
        self._before_erase: list[InkStroke] | None = None
        self._eraser_at: QPointF | None = None

        self._cache = InkCache()  # paper plus every finished stroke
        self._overlay: QImage | None = None
        self._overlay_rect: QRectF | None = None
        self._emitter = Throttle(EMIT_INTERVAL_MS, self._emit_now, leading=True, parent=self)

    # --- public API ---

    def strokes(self) -> Strokes:
        """The drawing as shown, including the stroke in progress."""
        arrays = [s.points for s in self._strokes]
        if self._drawing and self._live_points:
            arrays.append(np.array(self._live_points, dtype=np.float32))
        return Strokes.from_points(arrays)

    def set_strokes(self, strokes: Strokes) -> None:
        """Replace the drawing (loading, tests). Starts a fresh history: this is not an edit to undo."""
        self._abandon_gesture()
        self._history.clear()
        self._show_state([InkStroke(s, np.full(len(s), self._brush_size)) for s in strokes])
        self._emit_final()

    def clear(self) -> None:
        """Remove every stroke; undoable, like any edit."""
        self._finish_gesture()
        if self._strokes:
            self._history.edited(self._strokes)
            self._show_state([])
            self._emit_final()

    def undo(self) -> None:
        self._finish_gesture()
        state = self._history.undo(self._strokes)
        if state is not None:
            self._show_state(state)
            self._emit_final()

    def redo(self) -> None:
        self._finish_gesture()
        state = self._history.redo(self._strokes)
        if state is not None:
            self._show_state(state)
            self._emit_final()

    def can_undo(self) -> bool:
        return self._history.can_undo()

    def can_redo(self) -> bool:
        return self._history.can_redo()

    @property
    def brush_size(self) -> float:
        """Display width of new strokes, in canvas pixels (the model never sees it)."""
        return self._brush_size

    def set_brush_size(self, size: float) -> None:
        self._brush_size = max(1.0, float(size))

    @property
    def eraser_size(self) -> float:
        """Diameter of the eraser disc, in canvas pixels."""
        return self._eraser_size

    def set_eraser_size(self, size: float) -> None:
        self._eraser_size = max(2.0, float(size))
        self.update()

    @property
    def eraser_mode(self) -> bool:
        return self._eraser_mode

    def set_eraser_mode(self, on: bool) -> None:
        self._finish_gesture()
        self._eraser_mode = bool(on)
        # Hover tracking is only needed to show the eraser disc before the button goes down.
        self.setMouseTracking(self._eraser_mode)
        self.setCursor(Qt.CursorShape.BlankCursor if on else Qt.CursorShape.CrossCursor)
        self._move_eraser_marker(None)

    def set_hint(self, text: str) -> None:
        """The text shown on the empty canvas."""
        self._hint = text
        if not self._strokes:
            self.update()

    def set_overlay(self, image: QImage | None, rect: QRectF | None = None) -> None:
        """Show ``image`` translucently over the drawing, stretched to ``rect`` (whole canvas if None).

        Meant for explanations computed elsewhere (saliency, receptive fields). None removes it.
        """
        if image is None and self._overlay is None:
            # Asked after every prediction: a repaint of the whole canvas here for nothing cost the
            # window 4 full repaints a second while training and one per guess while drawing.
            return
        self._overlay = image.copy() if image is not None else None
        self._overlay_rect = QRectF(rect) if rect is not None else None
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, 480)

    # --- pointer input ---

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._begin_gesture(event.position(), self._brush_size, erasing=self._eraser_mode)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        # Our own gesture flag, not event.buttons(): synthetic and touch-derived events do not always
        # carry the button state.
        self._continue_gesture(event.position(), self._brush_size)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        self._end_gesture(event.position(), self._brush_size)

    def tabletEvent(self, event: QTabletEvent) -> None:
        # Accepting the event stops Qt from synthesising a mouse event for the same motion.
        event.accept()
        width = self._brush_size * pressure_scale(event)
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            flipped_to_eraser = event.pointerType() == QPointingDevice.PointerType.Eraser
            self._begin_gesture(event.position(), width, erasing=self._eraser_mode or flipped_to_eraser)
        elif kind == QTabletEvent.Type.TabletMove:
            self._continue_gesture(event.position(), width)
        elif kind == QTabletEvent.Type.TabletRelease:
            self._end_gesture(event.position(), width)

    def leaveEvent(self, event) -> None:
        if not self._erasing:
            self._move_eraser_marker(None)
        super().leaveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        pressed = QKeySequence(event.keyCombination())
        if pressed.matches(_UNDO_KEY) == QKeySequence.SequenceMatch.ExactMatch:
            self.undo()
        elif any(pressed.matches(k) == QKeySequence.SequenceMatch.ExactMatch for k in _REDO_KEYS):
            self.redo()
        elif event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.clear()
        else:
            super().keyPressEvent(event)

    # --- gestures ---

    def _begin_gesture(self, position: QPointF, width: float, *, erasing: bool) -> None:
        self._finish_gesture()
        if erasing:
            self._erasing = True
            self._before_erase = self._strokes
            self._move_eraser_marker(position)
            self._erase_along(position, position)
        else:
            self._drawing = True
            self._live_points = [(position.x(), position.y())]
            self._live_widths = [width]
            if not self._strokes:
                self.update()  # the hint text disappears as soon as ink appears
            self._update_live_tail()
            self._emitter.request()

    def _continue_gesture(self, position: QPointF, width: float) -> None:
        if self._erasing or (self._eraser_mode and not self._drawing):
            previous = self._eraser_at
            self._move_eraser_marker(position)
            if self._erasing and previous is not None:
                self._erase_along(previous, position)
            return
        if not self._drawing:
            return
        last_x, last_y = self._live_points[-1]
        if np.hypot(position.x() - last_x, position.y() - last_y) < MIN_POINT_SPACING:
            return
        self._live_points.append((position.x(), position.y()))
        self._live_widths.append(width)
        self._update_live_tail()
        self._emitter.request()

    def _end_gesture(self, position: QPointF, width: float) -> None:
        if self._drawing:
            last_x, last_y = self._live_points[-1]
            if (position.x(), position.y()) != (last_x, last_y):
                self._live_points.append((position.x(), position.y()))
                self._live_widths.append(width)
        elif self._erasing and self._eraser_at is not None:
            self._erase_along(self._eraser_at, position)
        self._finish_gesture()

    def _finish_gesture(self) -> None:
        """Turn the gesture under way, if any, into one undoable edit."""
        if self._drawing:
            stroke = InkStroke(np.array(self._live_points), np.array(self._live_widths))
            self._drawing = False
            self._live_points, self._live_widths = [], []
            # The cache gets just this stroke painted on top; nothing else needs redrawing.
            self._cache.add(stroke)
            self.update(stroke.bounds.toAlignedRect())
            self._history.edited(self._strokes)
            self._strokes = [*self._strokes, stroke]
            self._emit_final()
        elif self._erasing:
            before = self._before_erase
            self._erasing = False
            self._before_erase = None
            if before is not None and before is not self._strokes:
                self._history.edited(before)
                self._emit_final()
            if not self.underMouse():
                self._move_eraser_marker(None)

    def _abandon_gesture(self) -> None:
        self._drawing = self._erasing = False
        self._live_points, self._live_widths = [], []
        self._before_erase = None

    def _erase_along(self, start: QPointF, end: QPointF) -> None:
        path = np.array([[start.x(), start.y()], [end.x(), end.y()]], dtype=np.float32)
        radius = self._eraser_size / 2
        # The swept area; strokes whose ink rectangle misses it are kept without any arithmetic.
        swept = QRectF(start, end).normalized().adjusted(-radius, -radius, radius, radius)
        kept: list[InkStroke] = []
        dirty = QRectF()
        for stroke in self._strokes:
            if not stroke.bounds.intersects(swept):
                kept.append(stroke)
                continue
            pieces = erase(stroke.points, stroke.widths, path, radius)
            if pieces is None:
                kept.append(stroke)
            else:
                kept.extend(InkStroke(p, w) for p, w in pieces)
                dirty = dirty.united(stroke.bounds)
        if dirty.isEmpty():
            return
        # A new list, so _finish_gesture can tell that this drag changed something.
        self._strokes = kept
        self._cache.repaint(dirty, self._strokes)
        self.update(dirty.toAlignedRect() if kept else self.rect())  # all erased: the hint returns
        self._emitter.request()

    # --- history ---

    def _show_state(self, new_state: list[InkStroke]) -> None:
        """Make ``new_state`` the drawing, repainting only the area of the strokes that differ."""
        old_state, self._strokes = self._strokes, new_state
        region = self._cache.replace(old_state, new_state)
        self.update() if region is None else self.update(region.toAlignedRect())

    # --- emitting ---

    def _emit_final(self) -> None:
        # The discrete edit delivers the newest state itself; a waiting throttled emission would only
        # repeat it.
        self._emitter.cancel()
        self._emit_now()

    def _emit_now(self) -> None:
        self.strokes_changed.emit(self.strokes())

    # --- painting ---

    def _update_live_tail(self) -> None:
        """Schedule a repaint of the part of the live stroke that the newest point changed.

        With midpoint smoothing, a new point reshapes the curve back to the previous sample only.
        """
        tail = np.array(self._live_points[-3:], dtype=np.float32)
        margin = max(self._live_widths[-3:]) / 2 + 2
        (x0, y0), (x1, y1) = tail.min(axis=0), tail.max(axis=0)
        self.update(QRectF(float(x0), float(y0), float(x1 - x0), float(y1 - y0))
                    .adjusted(-margin, -margin, margin, margin).toAlignedRect())

    def _move_eraser_marker(self, position: QPointF | None) -> None:
        for where in (self._eraser_at, position):
            if where is not None:
                self.update(self._eraser_marker_rect(where))
        self._eraser_at = position

    def _eraser_marker_rect(self, centre: QPointF) -> QRect:
        r = self._eraser_size / 2 + 2
        return QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r).toAlignedRect()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        target = QRectF(event.rect())
        cache = self._cache.image(self.size(), self.devicePixelRatioF(), self._strokes)
        ratio = cache.devicePixelRatio()
        source = QRectF(target.x() * ratio, target.y() * ratio, target.width() * ratio, target.height() * ratio)
        painter.drawImage(target, cache, source)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._drawing and self._live_points:
            # Only the pieces near the changed rectangle: a long stroke costs no more than a short one.
            paint_points(painter, np.array(self._live_points, dtype=np.float32),
                         np.array(self._live_widths, dtype=np.float32), target)
        if not self._strokes and not self._drawing and self._hint:
            self._paint_hint(painter)
        if self._overlay is not None:
            painter.setOpacity(OVERLAY_OPACITY)
            painter.drawImage(self._overlay_rect or QRectF(self.rect()), self._overlay)
            painter.setOpacity(1.0)
        if (self._eraser_mode or self._erasing) and self._eraser_at is not None:
            painter.setPen(QPen(ERASER_OUTLINE, 1.0, Qt.PenStyle.DashLine))
            painter.setBrush(QColor(255, 255, 255, 90))
            r = self._eraser_size / 2
            painter.drawEllipse(self._eraser_at, r, r)
        painter.setPen(QPen(FRAME_COLOUR, 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()

    def _paint_hint(self, painter: QPainter) -> None:
        font = painter.font()
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.6)
        painter.setFont(font)
        painter.setPen(HINT_COLOUR)
        painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         self._hint)
