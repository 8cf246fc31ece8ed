"""An answer that changes nothing on screen repaints nothing.

While training, the engine re-sends the answer to the drawing on the canvas 4 times a second (the
weights moved); while drawing, every guess arrives with an empty overlay. Each used to repaint the
whole canvas, the input view and, behind that view, the dock and the main window, and to re-polish
the headline's style sheet: GUI-thread time taken from training (benchmarks/gui_throughput.py) and
from the next guess (benchmarks/latency.py). And a new guess, written as a label's text, made the
main window lay out every dock again, ~40 times a second while drawing.
"""

from types import SimpleNamespace

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from cnn_desktop.core.app.messages import Prediction
from gui_helpers import draw


class PaintCounter(QObject):
    def __init__(self, widgets):
        super().__init__()
        self.widgets = {id(widget): name for name, widget in widgets.items()}
        self.counts = {name: 0 for name in widgets}

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and id(watched) in self.widgets:
            self.counts[self.widgets[id(watched)]] += 1
        return False


def test_the_same_answer_again_repaints_neither_canvas_nor_input_nor_window(qtbot, open_window):
    window = open_window()
    answers = []
    window.worker.message.connect(lambda m: answers.append(m) if isinstance(m, Prediction) else None)
    draw(qtbot, window.canvas, [(60, 60), (90, 120), (120, 180), (150, 220)])
    qtbot.waitUntil(lambda: any(a.probabilities is not None and a.request_id == window.session.last_request_id
                                for a in answers), timeout=5000)
    answer = [a for a in answers if a.request_id == window.session.last_request_id][-1]
    qtbot.wait(100)  # every paint of the first answer done

    counter = PaintCounter({"canvas": window.canvas, "input": window.input_view, "window": window,
                            "headline": window.probabilities.headline})
    QApplication.instance().installEventFilter(counter)
    try:
        for _ in range(4):
            window.worker.message.emit(answer)  # as the engine re-sends it while training
            qtbot.wait(30)
    finally:
        QApplication.instance().removeEventFilter(counter)
    assert counter.counts == {"canvas": 0, "input": 0, "window": 0, "headline": 0}
    assert window.probabilities._shown is not None  # the answer was taken, and is still shown


def test_a_new_drawing_still_reaches_the_input_view(qtbot, open_window):
    window = open_window()
    draw(qtbot, window.canvas, [(60, 60), (90, 120), (120, 180)])
    qtbot.waitUntil(lambda: window.input_view._shown is not None, timeout=5000)
    first = window.input_view._shown.copy()
    draw(qtbot, window.canvas, [(200, 60), (150, 150), (220, 200)])
    qtbot.waitUntil(lambda: window.input_view._shown is not None
                    and not (window.input_view._shown == first).all(), timeout=5000)
    window.canvas.clear()
    qtbot.waitUntil(lambda: window.input_view._shown is None, timeout=5000)


class LayoutRequests(QObject):
    def __init__(self, widget):
        super().__init__()
        self.widget, self.count = widget, 0

    def eventFilter(self, watched, event):
        if watched is self.widget and event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_a_new_guess_neither_lays_out_the_window_nor_paints_behind_the_headline(qtbot, open_window):
    window = open_window()
    panel = window.probabilities
    qtbot.wait(100)
    requests = LayoutRequests(window)
    paints = PaintCounter({"window": window, "headline": panel.headline})
    app = QApplication.instance()
    app.installEventFilter(requests)
    app.installEventFilter(paints)
    try:
        for share in (0.5, 0.6, 0.7, 0.95, 0.99):
            probabilities = [(1 - share) / 9] * 10
            probabilities[3] = share
            panel.show_probabilities(probabilities)
            qtbot.wait(20)
    finally:
        app.removeEventFilter(requests)
        app.removeEventFilter(paints)
    assert panel.headline.text() == "Guess: 3  (99%)"
    assert requests.count == 0
    assert paints.counts["headline"] >= 3 and paints.counts["window"] == 0


def test_the_step_line_changes_at_most_four_times_a_second_while_the_bar_follows_every_step(qtbot, monkeypatch):
    from cnn_desktop.core.training.progress import StepInfo
    from cnn_desktop.gui import training_controls
    from cnn_desktop.gui.training_controls import TrainingControls

    clock = [100.0]
    monkeypatch.setattr(training_controls, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.training_started(100, 10, 900, 100)

    def step(n):
        return StepInfo(1, n, 10, 100, 0.5, 0.8, 1000.0, 0.01)

    controls.show_step(step(1))
    assert "step 1/100" in controls.status.text()
    clock[0] += 0.1
    controls.show_step(step(2))
    assert "step 1/100" in controls.status.text() and controls.progress.value() == 2
    clock[0] += 0.2
    controls.show_step(step(3))
    assert "step 3/100" in controls.status.text() and controls.progress.value() == 3
