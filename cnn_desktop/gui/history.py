"""Undo and redo over whole states of the drawing.

A state is an immutable list of strokes (an edit makes a new list and never changes an old one), so
a step of history is just a reference: keeping a hundred of them costs almost nothing.
"""

from __future__ import annotations

from typing import Generic, TypeVar

State = TypeVar("State")

HISTORY_DEPTH = 100  # undo steps kept


class History(Generic[State]):
    def __init__(self, depth: int = HISTORY_DEPTH) -> None:
        self._depth = depth
        self._undo: list[State] = []
        self._redo: list[State] = []

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    def edited(self, before: State) -> None:
        """An edit was made; ``before`` is the state it left. Forgets what could be redone."""
        self._undo.append(before)
        del self._undo[:-self._depth]
        self._redo.clear()

    def undo(self, current: State) -> State | None:
        """The state before ``current``, or None when there is nothing to undo."""
        if not self._undo:
            return None
        self._redo.append(current)
        return self._undo.pop()

    def redo(self, current: State) -> State | None:
        """The state ``undo`` left, or None when there is nothing to redo."""
        if not self._redo:
            return None
        self._undo.append(current)
        return self._redo.pop()

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)
