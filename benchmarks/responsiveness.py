"""GUI responsiveness: how regularly a 16 ms timer on the GUI thread fires while the network trains,
every panel is live and strokes are being drawn, against the same timer in the same window at rest.

A late timer means the event loop was busy (or the GIL was held elsewhere): the intervals between its
firings are what a person feels as stutter. The timer is a PreciseTimer, so the reference (window idle,
measured first in the same process) shows the timer's own jitter on this machine.
"""

from __future__ import annotations

import time

from benchmarks.common import Row, percentile, ratio

NAME = "responsiveness"
TARGET_P99_MS = 33.0
TARGET_MAX_MS = 100.0


def _intervals(seconds: float, driver=None) -> list[float]:
    from PySide6.QtCore import Qt, QTimer

    from benchmarks.gui_support import run_loop

    stamps: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(16)
    timer.timeout.connect(lambda: stamps.append(time.perf_counter()))
    if driver is not None:
        driver.start()
    timer.start()
    run_loop(seconds)
    timer.stop()
    if driver is not None:
        driver.stop()
    return [1000 * (b - a) for a, b in zip(stamps, stamps[1:])]


def run(quick: bool = False) -> list[Row]:
    from benchmarks.gui_support import TempHome, StrokeDriver, application, click_train, close_window, \
        open_window, run_loop, set_training_controls, stop_training

    application()
    home = TempHome(examples=300 if quick else 2000)
    window = open_window(home)
    seconds = 1.5 if quick else 20.0
    try:
        idle = _intervals(seconds)
        set_training_controls(window, epochs=1000)
        click_train(window)
        run_loop(0.3)
        busy = _intervals(seconds, StrokeDriver(window.canvas, interval_ms=8))
        stop_training(window)
    finally:
        close_window(window)
        home.cleanup()

    note = (f"{len(busy)} intervals over {seconds:.0f} s, training (app defaults) with strokes drawn at 125 Hz; "
            f"reference: the same timer with the window at rest ({len(idle)} intervals)")
    rows = []
    for label, q, target in (("p50", 50, None), ("p99", 99, TARGET_P99_MS), ("max", 100, TARGET_MAX_MS)):
        value, ref = percentile(busy, q), percentile(idle, q)
        rows.append(Row(NAME, f"16 ms timer interval {label}, training + strokes", value, "ms",
                        f"same timer, window at rest ({label})", ref, ratio(value, ref),
                        f"{label} <= {target:.0f} ms" if target else "", (value <= target) if target else None,
                        note=note if label == "p50" else ""))
    return rows
