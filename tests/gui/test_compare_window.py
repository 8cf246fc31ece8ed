"""Training > Compare two networks… (issue 14, part 4): two networks trained side by side on the
mode's drawings, both guesses on screen while the person draws on the main canvas, the gallery of
drawings they disagree on, and both kept as new versions."""

import numpy as np
from PySide6.QtCore import Qt

from bars import make_bars
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.tasks import TASKS, collection_dir
from gui_helpers import draw

TICKS = TASKS["ticks-crosses"]


def _fill(home, per_class: int = 20) -> None:
    images, labels = make_bars(2 * per_class, seed=11)
    store = DrawingStore(collection_dir(TICKS, home), TICKS.classes)
    store.add_many((TICKS.classes[label], image, None) for image, label in zip(images, labels))


def _compare_action(window):
    training = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Training")
    return next(a for a in training.actions() if a.text() == "&Compare two networks…")


def test_two_networks_train_side_by_side_and_both_guess_what_is_drawn_on_the_canvas(qtbot, open_window, home):
    _fill(home)
    window = open_window("ticks-crosses")
    _compare_action(window).trigger()
    compare = window.compare.window
    qtbot.waitExposed(compare)
    a, b = compare.pickers
    a.select("default preset")
    b.select("tiny preset")
    a.epochs.setValue(2)
    b.epochs.setValue(3)
    assert compare.pair.text() == ("<b>A: 16, 32 filters 5×5, ReLU, max pooling, 1 hidden layer (64) — "
                                   "B: 4, 4 filters 5×5, ReLU, max pooling, no hidden layer</b>")
    versions_before = window.versions.list.count()

    qtbot.mouseClick(compare.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: compare.comparison.state == "finished", timeout=30000)
    # The curves of both, the per-class bars of both, on the same held-out drawings.
    loss_a, loss_b = (items["loss"] for items in compare.curves.items)
    start = compare.comparison.last_start
    assert len(loss_a.xData) == start.sides[0].total_steps and len(loss_b.xData) == start.sides[1].total_steps
    assert start.sides[1].total_steps > start.sides[0].total_steps  # B trained 3 epochs, A 2
    assert "━━ A</span>: default preset" in compare.curves.legend.text()
    assert all(np.isfinite(h).all() and len(h) == 2 for h in compare.per_class.heights)
    assert compare.per_class.epochs == [2, 3]
    assert compare.gallery.title.text().startswith("They disagree on ")
    assert f"of the {start.val_size} held-out drawings" in compare.gallery.title.text()
    for caption in compare.gallery.captions():
        assert caption.startswith("A: ") and " · B: " in caption and " · true " in caption
    # Both kept as versions, neither in use.
    qtbot.waitUntil(lambda: window.versions.list.count() == versions_before + 2, timeout=5000)
    assert "is version v" in compare.status.text()

    # Drawn on the main canvas: both guesses on screen.
    canvas = window.canvas
    width, height = canvas.width(), canvas.height()
    draw(qtbot, canvas, [(width // 2, height // 5), (width // 2 + 2, height // 2), (width // 2 + 3, 4 * height // 5)])
    qtbot.waitUntil(lambda: all(" guesses " in text for text in compare.guesses.texts()), timeout=10000)
    a_text, b_text = compare.guesses.texts()
    assert a_text.startswith("A guesses ") and b_text.startswith("B guesses ")
    assert any(name in a_text for name in TICKS.classes) and a_text.endswith("%)")
    shown = compare.comparison.predictions
    assert shown.a is not None and shown.b is not None and shown.image is not None

    canvas.clear()
    qtbot.waitUntil(lambda: compare.guesses.texts() == ["A: draw something", "B: draw something"], timeout=10000)


def test_stop_ends_the_comparison_and_closing_the_main_window_ends_its_thread(qtbot, open_window, home):
    _fill(home, 40)
    window = open_window("ticks-crosses")
    compare = window.compare.open()
    qtbot.waitExposed(compare)
    for picker in compare.pickers:
        picker.epochs.setValue(500)
    compare.train_button.click()
    qtbot.waitUntil(lambda: compare.comparison.state == "running" and compare.stop_button.isEnabled(), timeout=20000)
    compare.stop_button.click()
    qtbot.waitUntil(lambda: compare.comparison.state == "stopped", timeout=5000)
    assert compare.status.text() == "Stopped: nothing kept." and compare.train_button.isEnabled()

    compare.train_button.click()
    qtbot.waitUntil(lambda: compare.comparison.state == "running", timeout=20000)
    window.close()  # mid-training: the comparison's thread ends with the window
    assert not compare.thread.running
