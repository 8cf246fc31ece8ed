"""Training throughput with the main window open and every panel live, against the same Engine headless.

Both sides train the same collection (MNIST digits stored in a temporary CNN_DESKTOP_HOME) with the same
TrainConfig (the app's defaults as the Training panel shows them, epochs raised so training never ends)
and the same drawing being re-classified, so the engine's periodic refresh (feature maps, filters) does
the same work. The GUI side is driven as a person drives it: the Train button; the curves, progress,
filters, feature maps and probabilities all update. The headless side is the Engine in a plain thread
with its messages dropped. Phases alternate (headless, window, headless, window...) in one process.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from benchmarks.common import Row, median, ratio, wait_for

NAME = "gui_throughput"
TARGET_RATIO = 0.9


def _headless_rate(home, config, strokes, seconds: float) -> tuple[float, int]:
    from cnn_desktop.core.app.engine import Engine
    from cnn_desktop.core.app.messages import Predict, StartTraining, StopTraining, UseModel
    from cnn_desktop.core.tasks import TASKS

    received = [0]

    def sink(message) -> None:
        received[0] += 1

    engine = Engine(emit=sink)
    thread = threading.Thread(target=engine.run, name="headless-engine", daemon=True)
    thread.start()
    engine.submit(UseModel(None, TASKS["digits"].spec(), "untrained network"))
    engine.submit(Predict(1, strokes))
    engine.submit(StartTraining(home.collection, config, from_scratch=False))
    if not wait_for(lambda: engine.trainer is not None and engine.trainer.step_count >= 3, 60):
        raise RuntimeError("headless training did not start")
    trainer = engine.trainer
    s0, t0 = trainer.step_count, time.perf_counter()
    time.sleep(seconds)
    s1, t1 = trainer.step_count, time.perf_counter()
    engine.submit(StopTraining())
    engine.request_shutdown()
    thread.join(10)
    return (s1 - s0) / (t1 - t0), received[0]


def _window_rate(window, seconds: float) -> float:
    from benchmarks.gui_support import click_train, run_loop, stop_training

    click_train(window)
    trainer = window.worker.engine.trainer
    s0, t0 = trainer.step_count, time.perf_counter()
    run_loop(seconds)
    s1, t1 = trainer.step_count, time.perf_counter()
    stop_training(window)
    return (s1 - s0) / (t1 - t0)


def run(quick: bool = False) -> list[Row]:
    from benchmarks.gui_support import TempHome, application, close_window, digit_like_path, open_window, \
        set_training_controls, spin_until
    from cnn_desktop.core.data.strokes import Strokes

    application()
    home = TempHome(examples=300 if quick else 3000)
    window = open_window(home)
    try:
        config = set_training_controls(window, epochs=1000)
        path = digit_like_path(0, window.canvas.width(), window.canvas.height())
        window.canvas.set_strokes(Strokes.from_points([np.array(path, dtype=np.float32)]))
        wanted = window.session.last_request_id
        spin_until(lambda: window.session.shown_request_id >= wanted, 10)
        strokes = window.canvas.strokes()
        seconds = 1.5 if quick else 8.0
        rounds = 1 if quick else 3
        headless, gui = [], []
        for _ in range(rounds):
            headless.append(_headless_rate(home, config, strokes, seconds)[0])
            gui.append(_window_rate(window, seconds))
    finally:
        close_window(window)
        home.cleanup()
    value, ref = median(gui), median(headless)
    note = (f"{home.source} drawings, batch {config.batch_size}, augment "
            f"{'on' if config.augment else 'off'}, {rounds} alternating rounds of {seconds:.0f} s")
    return [Row(NAME, "training steps/s, window with all panels live", value, "steps/s", "same Engine headless", ref,
                ratio(value, ref), f">= {TARGET_RATIO}x", ratio(value, ref) >= TARGET_RATIO, note=note,
                extra={"gui_rounds": gui, "headless_rounds": headless})]
