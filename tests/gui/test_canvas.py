"""DrawingCanvas: pointer input becomes vector strokes, edits are undoable, updates are throttled."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter
from PySide6.QtWidgets import QApplication

from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.gui.canvas import DrawingCanvas
from cnn_desktop.gui.eraser import erase
from cnn_desktop.gui.ink import paint_points
from gui_helpers import draw

LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def canvas(show):
    return show(DrawingCanvas(), 400, 300)


def as_lists(strokes: Strokes) -> list[list[list[float]]]:
    return [s.tolist() for s in strokes]


def send_move(widget, x: float, y: float) -> None:
    """A move delivered synchronously, without running the event loop (so no timer can fire)."""
    event = QMouseEvent(QMouseEvent.Type.MouseMove, QPointF(x, y), widget.mapToGlobal(QPointF(x, y)),
                        Qt.MouseButton.NoButton, LEFT, NO_MODIFIER)
    QApplication.sendEvent(widget, event)


def test_mouse_gesture_becomes_one_stroke_with_the_pointer_positions(qtbot, canvas):
    draw(qtbot, canvas, [(10, 20), (30, 40), (50, 45), (80, 45)])
    assert as_lists(canvas.strokes()) == [[[10, 20], [30, 40], [50, 45], [80, 45]]]
    draw(qtbot, canvas, [(100, 100), (120, 110)])
    assert len(canvas.strokes()) == 2


def test_strokes_changed_fires_during_the_stroke_before_release(qtbot, canvas):
    with qtbot.waitSignal(canvas.strokes_changed, timeout=1000) as press:
        qtbot.mousePress(canvas, LEFT, pos=QPoint(10, 10))
    assert as_lists(press.args[0]) == [[[10, 10]]]

    qtbot.mouseMove(canvas, QPoint(40, 10))
    qtbot.mouseMove(canvas, QPoint(40, 60))
    # Still pressed: the in-progress points must reach listeners (after the throttle interval).
    with qtbot.waitSignal(canvas.strokes_changed, timeout=1000) as moving:
        pass
    assert as_lists(moving.args[0]) == [[[10, 10], [40, 10], [40, 60]]]

    with qtbot.waitSignal(canvas.strokes_changed, timeout=1000) as release:
        qtbot.mouseRelease(canvas, LEFT, pos=QPoint(40, 60))
    assert as_lists(release.args[0]) == [[[10, 10], [40, 10], [40, 60]]]


def test_a_burst_of_moves_is_coalesced_and_the_last_state_still_arrives(qtbot, canvas):
    emitted = []
    canvas.strokes_changed.connect(emitted.append)
    qtbot.mousePress(canvas, LEFT, pos=QPoint(5, 5))
    for i in range(1, 201):
        send_move(canvas, 5 + i * 1.5, 5 + (i % 40) * 2.0)
    # The press was served at once; all 200 moves arrived within one throttle interval.
    assert len(emitted) == 1

    qtbot.waitUntil(lambda: len(emitted) == 2, timeout=1000)
    final = canvas.strokes()
    assert len(final.points()) == 201
    assert as_lists(emitted[-1]) == as_lists(final)

    # And the rate stays bounded when the event loop does run between moves.
    emitted.clear()
    for i in range(200):
        send_move(canvas, 5 + (i % 50) * 3.0, 150 + (i % 7) * 3.0)
        if i % 20 == 0:
            qtbot.wait(5)  # lets the timer fire now and then, as a real event stream would
    qtbot.waitUntil(lambda: as_lists(emitted[-1]) == as_lists(canvas.strokes()), timeout=1000)
    assert len(emitted) < 30


def test_undo_redo_and_clear_with_their_keys(qtbot, canvas):
    draw(qtbot, canvas, [(10, 10), (50, 50)])
    draw(qtbot, canvas, [(60, 10), (90, 50)])
    two = as_lists(canvas.strokes())

    with qtbot.waitSignal(canvas.strokes_changed, timeout=1000) as undone:
        qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert as_lists(undone.args[0]) == two[:1]

    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(canvas, Qt.Key.Key_Z, ctrl_shift)
    assert as_lists(canvas.strokes()) == two

    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert as_lists(canvas.strokes()) == two

    with qtbot.waitSignal(canvas.strokes_changed, timeout=1000) as cleared:
        qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert cleared.args[0].is_empty and canvas.strokes().is_empty

    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # clear is undoable
    assert as_lists(canvas.strokes()) == two
    assert canvas.can_redo()
    draw(qtbot, canvas, [(10, 200), (40, 200)])  # a new edit forgets what could be redone
    assert not canvas.can_redo()


def test_eraser_crossing_a_stroke_in_the_middle_splits_it_in_two(qtbot, canvas):
    canvas.set_brush_size(4)
    canvas.set_strokes(Strokes.from_points([[(20, 100), (380, 100)]]))  # two far-apart points
    canvas.set_eraser_size(20)
    canvas.set_eraser_mode(True)
    with qtbot.waitSignal(canvas.strokes_changed, timeout=1000) as erased:
        draw(qtbot, canvas, [(200, 60), (200, 140)])  # a vertical eraser swipe through the middle

    pieces = list(erased.args[0])
    assert len(pieces) == 2
    left, right = sorted(pieces, key=lambda p: p[0, 0])
    # Removed: every point whose ink (width 4) touches the eraser disc (radius 10) around x=200.
    assert left[0].tolist() == [20, 100] and 185 <= left[-1, 0] < 188
    assert right[-1].tolist() == [380, 100] and 212 < right[0, 0] <= 215
    assert np.all(np.concatenate(pieces)[:, 1] == 100)

    canvas.undo()  # the whole swipe is one undo step
    assert as_lists(canvas.strokes()) == [[[20, 100], [380, 100]]]


def test_eraser_leaves_strokes_it_does_not_touch_as_they_were():
    points = np.array([[0, 0], [10, 0]], np.float32)
    assert erase(points, np.full(2, 2, np.float32), np.array([[5, 30]]), 5) is None
    assert erase(points, np.full(2, 2, np.float32), np.array([[-20, 0], [30, 0]]), 5) == []


def test_eraser_keeps_the_untouched_part_of_a_stroke_exactly_as_drawn():
    # A long L: the eraser cuts the far end of the horizontal bar; the vertical bar must keep its points.
    points = np.array([[0, 0], [0, 100], [100, 100]], np.float32)
    pieces = erase(points, np.full(3, 2, np.float32), np.array([[98, 100]]), 5)
    assert len(pieces) == 1
    kept, _ = pieces[0]
    assert kept[:2].tolist() == [[0, 0], [0, 100]]  # no point inserted along the untouched segment
    assert 85 < kept[-1, 0] < 98 - 5 - 1 and kept[-1, 1] == 100  # ink (width 2) clear of the disc


def test_set_strokes_replaces_the_drawing_and_starts_a_fresh_history(qtbot, canvas):
    draw(qtbot, canvas, [(10, 10), (50, 50)])
    loaded = Strokes.from_points([[(1, 2), (3, 4)], [(5, 6)]])
    with qtbot.waitSignal(canvas.strokes_changed, timeout=1000) as changed:
        canvas.set_strokes(loaded)
    assert as_lists(changed.args[0]) == as_lists(loaded)
    assert not canvas.can_undo()


def test_finished_ink_is_painted_and_the_hint_shows_only_when_empty(qtbot, canvas):
    def dark_pixels(image: QImage, x0, y0, x1, y1) -> int:
        return sum(QColor(image.pixel(x, y)).lightness() < 100
                   for x in range(x0, x1) for y in range(y0, y1))

    empty = canvas.grab().toImage()
    assert dark_pixels(empty, 100, 100, 300, 200) == 0  # the hint is light grey, not ink
    hint_pixels = sum(QColor(empty.pixel(x, 150)).lightness() < 235 for x in range(0, 400))
    assert hint_pixels > 0

    canvas.set_brush_size(10)
    draw(qtbot, canvas, [(50, 250), (150, 250)])
    drawn = canvas.grab().toImage()
    assert dark_pixels(drawn, 60, 246, 140, 254) > 0.9 * 80 * 8
    assert all(QColor(drawn.pixel(x, 150)).lightness() > 240 for x in range(10, 390))  # hint gone


def test_overlay_is_painted_translucently_over_the_drawing(qtbot, canvas):
    red = QImage(4, 4, QImage.Format.Format_ARGB32)
    red.fill(QColor(255, 0, 0))
    canvas.set_overlay(red, None)
    pixel = QColor(canvas.grab().toImage().pixel(30, 30))
    assert pixel.red() == 255 and 80 < pixel.green() < 200  # red mixed with the white paper
    canvas.set_overlay(None, None)
    assert QColor(canvas.grab().toImage().pixel(30, 30)).green() == 255


@pytest.mark.parametrize("varying_width", [False, True])
def test_painting_only_the_pieces_near_a_region_gives_the_same_pixels_there(qtbot, varying_width):
    t = np.linspace(0, 4 * np.pi, 150, dtype=np.float32)
    points = np.c_[100 + 70 * np.cos(t) + 10 * t, 100 + 70 * np.sin(1.5 * t)].astype(np.float32)
    widths = (8 + 6 * np.sin(t) ** 2 if varying_width else np.full(len(t), 12)).astype(np.float32)
    region = QRectF(120, 60, 40, 30)

    def render(limit_to_region: bool) -> np.ndarray:
        image = QImage(300, 200, QImage.Format.Format_ARGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setClipRect(region)
        paint_points(painter, points, widths, region if limit_to_region else None)
        painter.end()
        pixels = np.frombuffer(image.constBits(), np.uint8).reshape(200, 300, 4)
        return pixels[60:90, 120:160].astype(int)

    whole, near_only = render(False), render(True)
    assert (whole < 128).any()  # the region does contain ink
    assert np.abs(whole - near_only).max() <= 2

