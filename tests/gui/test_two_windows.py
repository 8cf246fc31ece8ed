"""Two windows on one project: the second reads, and what it shows follows what the first writes."""

import numpy as np

from cnn_desktop.core.data.ticks_crosses import draw_cross, draw_tick
from cnn_desktop.core.network.checkpoint import save_model
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.tasks import TASKS

TICKS = TASKS["ticks-crosses"]


def test_the_read_only_window_follows_the_labels_and_versions_the_writer_adds(qtbot, open_window, tmp_path):
    # Before: the second window's label counts and versions list stayed as they were when it opened.
    first = open_window("ticks-crosses")
    second = open_window("ticks-crosses")
    assert second.session.read_only and second.read_only_watch.watched
    rng = np.random.default_rng(0)
    for label, draw in (("tick", draw_tick), ("tick", draw_tick), ("cross", draw_cross)):
        first.canvas.set_strokes(draw(rng))
        assert first.session.add_drawing(label)
    qtbot.waitUntil(lambda: "tick (2)" in second.label_bar.button("tick").text()
                    and "cross (1)" in second.label_bar.button("cross").text(), timeout=5000)

    path = tmp_path / "m.safetensors"
    save_model(path, build_model(TICKS.spec(), seed=1))
    first.session.open_model(path)  # a new version, made current, in the first window
    qtbot.waitUntil(lambda: len(first.session.versions) == 1, timeout=5000)
    qtbot.waitUntil(lambda: [row["version"] for row in second.session.versions]
                    == [row["version"] for row in first.session.versions], timeout=5000)


def test_a_window_that_writes_watches_nothing(qtbot, open_window):
    window = open_window("ticks-crosses")
    assert not window.session.read_only and window.read_only_watch.watched == []
