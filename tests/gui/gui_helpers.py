"""Helpers shared by the GUI tests (imported by module name: pytest puts this folder on sys.path)."""

from PySide6.QtCore import QPoint, Qt

LEFT = Qt.MouseButton.LeftButton


def draw(qtbot, widget, points, release: bool = True) -> None:
    """Press at the first point, move through the middle ones, release at the last (unless told not to)."""
    first, *rest = points
    qtbot.mousePress(widget, LEFT, pos=QPoint(*first))
    for point in rest[:-1] if release else rest:
        qtbot.mouseMove(widget, QPoint(*point))
    if release:
        qtbot.mouseRelease(widget, LEFT, pos=QPoint(*rest[-1]))
