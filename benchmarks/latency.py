"""Stroke-to-prediction latency: from a mouse move on the canvas to the probabilities panel showing a
prediction that includes that move, idle and while training.

Strokes are drawn by a 125 Hz "mouse" (one QMouseEvent every 8 ms sent to ``window.canvas``): press,
39 moves, release, pause, clear, pause, next stroke. For every move, the latency is the time until the
end of the first paint of the probabilities plot after the panel drew a prediction whose drawing
contains that move (see ``gui_support.ProbabilitiesProbe``). The reference, measured in the same phase,
is the engine's own work for each prediction (preprocessing + forward pass, ``Prediction.seconds``): the
ratio says how much the way from the mouse to the screen adds to the computing itself.

Each move's way is also split into stages, kept in the JSON: move -> canvas emits the drawing (the
canvas merges the moves of one event-loop pass) -> the Prediction reaches the GUI thread (engine
queue, compute, signal) -> the panel draws it (at once, or after its 8 ms leading-edge throttle during
a burst) -> the plot is painted.
"""

from __future__ import annotations

import time

from benchmarks.common import Row, median, percentile, ratio

NAME = "latency"
TARGET_IDLE_MS = 16.0
TARGET_TRAINING_MS = 50.0


def _phase(window, seconds: float) -> dict:
    from benchmarks.gui_support import ProbabilitiesProbe, RequestLog, StrokeDriver, run_loop
    from cnn_desktop.core.app.messages import Prediction

    probe = getattr(window, "_bench_probe", None) or ProbabilitiesProbe(window)
    window._bench_probe = probe
    probe.draws.clear()
    probe.on_screen.clear()
    log = RequestLog(window)
    emits: list[tuple[float, int]] = []
    arrivals: list[tuple[float, int]] = []
    computes: list[float] = []

    def on_strokes(_strokes) -> None:
        emits.append((time.perf_counter(), window.session.last_request_id))

    def on_message(message) -> None:
        if isinstance(message, Prediction) and message.probabilities is not None:
            arrivals.append((time.perf_counter(), message.request_id))
            computes.append(message.seconds)

    window.canvas.strokes_changed.connect(on_strokes)
    window.worker.message.connect(on_message)
    driver = StrokeDriver(window.canvas, interval_ms=8, on_move=log.on_move)
    driver.start()
    run_loop(seconds)
    driver.stop()
    last_move = log.moves_sent
    run_loop(0.3)  # let the last moves reach the screen
    window.canvas.strokes_changed.disconnect(on_strokes)
    window.worker.message.disconnect(on_message)
    window.canvas.strokes_changed.disconnect(log._on_strokes)
    window.canvas.clear()
    run_loop(0.1)

    first = 3  # the first moves of a phase meet cold caches
    latency = log.latencies(probe.on_screen, first, last_move)
    stages = {name: log.latencies(events, first, last_move)
              for name, events in (("emitted", emits), ("arrived", arrivals), ("drawn", probe.draws))}
    return {"latency": latency, "stages": stages, "computes": computes, "moves": last_move - first + 1,
            "strokes": driver.strokes}


def _stage_medians(result: dict) -> dict:
    ms = {name: 1000 * median(values) for name, values in result["stages"].items()}
    ms["on_screen"] = 1000 * median(result["latency"])
    return {k: round(v, 2) for k, v in ms.items()}


def run(quick: bool = False) -> list[Row]:
    from benchmarks.gui_support import TempHome, application, click_train, close_window, open_window, \
        set_training_controls, stop_training

    application()
    home = TempHome(examples=300 if quick else 2000)
    window = open_window(home)
    seconds = 1.5 if quick else 15.0
    try:
        idle = _phase(window, seconds)
        set_training_controls(window, epochs=1000)
        click_train(window)
        training = _phase(window, seconds)
        stop_training(window)
    finally:
        close_window(window)
        home.cleanup()

    rows = []
    for label, result, target in (("idle", idle, TARGET_IDLE_MS), ("training", training, TARGET_TRAINING_MS)):
        lat = [1000 * x for x in result["latency"]]
        comp = [1000 * x for x in result["computes"]]
        p50, p95 = percentile(lat, 50), percentile(lat, 95)
        c50, c95 = percentile(comp, 50), percentile(comp, 95)
        note = (f"{len(lat)} moves of {result['strokes']} strokes at 125 Hz; median ms per stage, cumulative: "
                f"{_stage_medians(result)}")
        rows.append(Row(NAME, f"move -> prediction on screen p50, {label}", p50, "ms",
                        "engine compute p50 (preprocess+forward)", c50, ratio(p50, c50), "", None, note=note,
                        extra={"stages_ms": _stage_medians(result)}))
        rows.append(Row(NAME, f"move -> prediction on screen p95, {label}", p95, "ms", "engine compute p95", c95,
                        ratio(p95, c95), f"p95 <= {target:.0f} ms", p95 <= target,
                        extra={"max_ms": max(lat) if lat else float("nan")}))
    return rows
