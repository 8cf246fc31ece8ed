"""Coalescing bursts of requests into calls at a bounded rate, on the GUI thread.

Pointer events arrive at up to several hundred per second and training messages in bursts; redrawing
or re-classifying on each one would flood the event loop. A ``Throttle`` turns any burst of
``request()`` calls into at most one call per interval, and always makes one final call after the
last request, so the newest state is never lost.

superqt's ``qthrottled`` has the same semantics; it was measured against this class and not adopted
(no faster, and importing superqt adds ~0.1 s to start-up): benchmarks/RESULTS.md.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Calls ``callback`` at most once per ``interval_ms`` while requests keep coming.

    With ``leading=True`` the first request of a quiet period is served at once (lowest latency,
    used for live classification); later requests in the same interval wait for the timer. With
    ``leading=False`` every call waits for the timer (used by panels: several updates within one
    frame then cost a single redraw).
    """

    def __init__(self, interval_ms: int, callback: Callable[[], None], *, leading: bool,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._callback = callback
        self._leading = leading
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timeout)

    def request(self) -> None:
        if self._timer.isActive():
            self._pending = True  # served when the current interval ends
        elif self._leading:
            self._pending = False
            self._timer.start()  # opens the interval during which further requests wait
            self._callback()
        else:
            self._pending = True
            self._timer.start()

    def flush(self) -> None:
        """Serve a waiting request now (e.g. on pen release); does nothing when none is waiting."""
        if self._pending:
            self._pending = False
            self._timer.stop()
            self._callback()

    def cancel(self) -> None:
        """Drop a waiting request: the caller has just delivered the newest state another way."""
        self._pending = False
        self._timer.stop()

    @property
    def is_pending(self) -> bool:
        return self._pending

    def _on_timeout(self) -> None:
        if self._pending:
            self._pending = False
            if self._leading:
                self._timer.start()  # keep the rate bounded while the burst continues
            self._callback()
