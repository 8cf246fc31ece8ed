"""Window bugs a new user met in a real 1280x800 window (issue #15's list), each pinned by a test."""

import numpy as np
from PySide6.QtCore import Qt

from gui_helpers import draw

TICK_POINTS = [(120, 240), (150, 270), (180, 300), (230, 230), (280, 160), (330, 90)]


def _maps(window, layer):
    image = window.feature_maps.grid(layer).image_item.image
    return None if image is None else np.nan_to_num(np.array(image, copy=True))


def test_feature_maps_go_blank_when_the_canvas_is_cleared_or_labelled(qtbot, open_window):
    # Before: after a label key or Clear the guess said "Draw something" but every layer still showed
    # the maps of the drawing that was gone.
    window = open_window()
    for clear in (window.canvas.clear, lambda: qtbot.keyClick(window, Qt.Key.Key_7)):
        draw(qtbot, window.canvas, TICK_POINTS)
        qtbot.waitUntil(lambda: _maps(window, "conv1") is not None and _maps(window, "conv1").any(), timeout=5000)
        shape = _maps(window, "pool2").shape
        clear()
        qtbot.waitUntil(lambda: not any(_maps(window, layer).any() for layer in ("conv1", "pool2")), timeout=5000)
        assert _maps(window, "pool2").shape == shape  # blanked in place: the dock does not jump
        assert "Draw something" in window.probabilities.headline.text()


def test_the_guess_headline_keeps_its_height_so_the_bars_do_not_jump(qtbot, open_window):
    # Before: "Guess: cross (100%)" wrapped onto two lines in a narrow dock while "Draw something" took
    # one, so the bar chart shrank and grew each time a drawing began or ended.
    window = open_window()
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    panel = window.probabilities
    heights = {}
    for text in ("Draw something", "Guess: cross (100%)", "Not sure — maybe triangle (45%)"):
        panel.headline.setText(text)
        qtbot.wait(20)  # let the layout settle
        heights[text] = (panel.headline.height(), panel.plot_widget.height())
    assert len(set(heights.values())) == 1, heights
