"""Two trainings at once (issue 14, part 7): how regularly the GUI's 16 ms timer fires while the compare
window trains two networks side by side and strokes are drawn on the main canvas, against the same timer
in the same windows at rest.

The two networks are the default design and LeNet-5, trained in turns by the comparison's own thread on
the digits collection; every stroke goes to the main window's engine and to both compared networks
(the compare window's live guesses). Measured as ``responsiveness`` measures one training: the
intervals between a PreciseTimer's firings, idle first, then busy, in one process.
"""

from __future__ import annotations

from benchmarks.common import Row, percentile, ratio

NAME = "two_trainings"
TARGET_P99_MS = 33.0


def _steps(compare) -> tuple[int, int]:
    sides = compare.thread.comparison.sides
    return tuple(side.trainer.step_count for side in sides) if len(sides) == 2 else (0, 0)


def run(quick: bool = False) -> list[Row]:
    from benchmarks.gui_support import StrokeDriver, TempHome, application, close_window, open_window, spin_until
    from benchmarks.responsiveness import _intervals

    application()
    home = TempHome(examples=300 if quick else 2000)
    window = open_window(home)
    seconds = 1.5 if quick else 15.0
    try:
        compare = window.compare.open()
        a, b = compare.pickers
        a.select("default preset")
        b.select("lenet5 preset")
        for picker in compare.pickers:
            picker.epochs.setValue(1000)
        idle = _intervals(seconds)
        compare.train_button.click()
        if not spin_until(lambda: min(_steps(compare)) >= 3, 60):
            raise RuntimeError(f"the comparison did not start within 60 s: {compare.status.text()}")
        before = _steps(compare)
        busy = _intervals(seconds, StrokeDriver(window.canvas, interval_ms=8))
        after = _steps(compare)
        compare.stop_button.click()
        spin_until(lambda: compare.comparison.state == "stopped", 10)
    finally:
        close_window(window)
        home.cleanup()

    rates = [(n1 - n0) / seconds for n0, n1 in zip(before, after)]
    note = (f"{len(busy)} intervals over {seconds:.0f} s, A (default) and B (lenet5) training in turns, "
            f"{rates[0]:.0f} and {rates[1]:.0f} steps/s, strokes drawn at 125 Hz on the main canvas; "
            f"reference: the same timer with both windows at rest ({len(idle)} intervals)")
    rows = []
    for label, q, target in (("p50", 50, None), ("p99", 99, TARGET_P99_MS), ("max", 100, None)):
        value, ref = percentile(busy, q), percentile(idle, q)
        rows.append(Row(NAME, f"16 ms timer interval {label}, two trainings + strokes", value, "ms",
                        f"same timer, windows at rest ({label})", ref, ratio(value, ref),
                        f"{label} <= {target:.0f} ms" if target else "", (value <= target) if target else None,
                        note=note if label == "p50" else "", extra={"steps_per_second": rates} if label == "p50" else {}))
    return rows
