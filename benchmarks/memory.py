"""Memory: resident memory (RSS) while the window trains with every panel live and strokes being drawn.

Measured in a process of its own (``python -m benchmarks`` runs each benchmark in a fresh process), so the
peak is the app's own. RSS is sampled every 0.5 s on the GUI thread; the growth compares the median
of the samples in the last 5 s of the first minute with the last 5 s of the second (quick mode: the
two halves of 10 s). The reference is the RSS with the window open and a drawing classified, just
before training starts.
"""

from __future__ import annotations

import time

from benchmarks.common import Row, median, peak_rss_mb, ratio, rss_mb

NAME = "memory"
TARGET_GROWTH_MB = 20.0


def run(quick: bool = False) -> list[Row]:
    from PySide6.QtCore import QTimer

    from benchmarks.gui_support import TempHome, StrokeDriver, application, click_train, close_window, \
        open_window, run_loop, set_training_controls, stop_training

    application()
    home = TempHome(examples=300 if quick else 2000)
    window = open_window(home)
    total = 10.0 if quick else 120.0
    half = total / 2
    window_s = 1.0 if quick else 5.0
    samples: list[tuple[float, float]] = []
    try:
        driver = StrokeDriver(window.canvas, interval_ms=8)
        driver.start()
        run_loop(1.0)  # a few strokes classified: every panel has something to show
        baseline = rss_mb()
        set_training_controls(window, epochs=1000)
        click_train(window)
        started = time.perf_counter()
        sampler = QTimer()
        sampler.setInterval(500)
        sampler.timeout.connect(lambda: samples.append((time.perf_counter() - started, rss_mb())))
        sampler.start()
        run_loop(total)
        sampler.stop()
        driver.stop()
        steps = window.worker.engine.trainer.step_count if window.worker.engine.trainer else 0
        strokes = driver.strokes
        stop_training(window)
        peak_sampled = max(r for _, r in samples)
        hwm = peak_rss_mb()
    finally:
        close_window(window)
        home.cleanup()

    first = median([r for t, r in samples if half - window_s <= t <= half])
    second = median([r for t, r in samples if total - window_s <= t <= total + 1])
    growth = second - first
    note = (f"{total:.0f} s of training ({steps} steps) with {strokes} strokes drawn; {len(samples)} samples; "
            f"VmHWM {hwm:.0f} MB (includes start-up)")
    return [
        Row(NAME, f"peak RSS over {total:.0f} s, training + strokes", peak_sampled, "MB",
            "RSS with the window open, before training", baseline, ratio(peak_sampled, baseline), "", None, note=note,
            extra={"samples": samples, "vmhwm_mb": hwm}),
        Row(NAME, f"RSS growth {half:.0f} s -> {total:.0f} s", growth, "MB", f"RSS at {half:.0f} s", first,
            ratio(growth, first), f"<= {TARGET_GROWTH_MB:.0f} MB", growth <= TARGET_GROWTH_MB),
    ]
