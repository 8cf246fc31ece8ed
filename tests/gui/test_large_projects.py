"""A large project that was never counted opens at once: its label buttons say the counts are coming,
and show them when the count, done in a thread, is over (a 60,000-drawing project took 6 s to open)."""

import os
import time

import numpy as np

from cnn_desktop.core.app import first_count
from cnn_desktop.core.data import store_tally
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.store_index import INDEX_NAME
from cnn_desktop.core.projects.builtin import builtin_project_dir, open_or_create_builtin
from cnn_desktop.core.tasks import TASKS

DIGITS = TASKS["digits"]


def test_a_large_project_shows_its_counts_when_the_first_count_is_done(qtbot, home, monkeypatch):
    from cnn_desktop.gui.main_window import MainWindow

    folder = builtin_project_dir(DIGITS, home)
    open_or_create_builtin(DIGITS, folder).close()
    rng = np.random.default_rng(0)
    DrawingStore(folder / "drawings", DIGITS.classes).add_many(
        (str(i % 10), rng.random((28, 28), dtype=np.float32), None) for i in range(33))
    for label in DIGITS.classes:
        os.utime(folder / "drawings" / label, (time.time() - 3600,) * 2)
    monkeypatch.setattr(first_count, "BACKGROUND_ABOVE", 20)  # "large": 33 drawings, for the test's speed
    monkeypatch.setattr(store_tally, "SAVE_AFTER", 10)

    window = MainWindow(home=home)
    qtbot.addWidget(window)
    assert window.label_bar.button("3").text() == "3 (…)"  # the window did not wait for the count
    window.show()
    qtbot.waitUntil(lambda: window.label_bar.button("3").text() == "3 (3)", timeout=10000)
    assert window.label_bar.button("0").text() == "0 (4)" and window.label_bar.button("9").text() == "9 (3)"
    assert (folder / "drawings" / INDEX_NAME).is_file()  # the next opening reads the saved listing
    window.close()
