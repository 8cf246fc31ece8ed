"""A project folder with things the app never writes in it still opens, and the window shows every
entry it leaves out (issue #13: a symlink loop once stopped the app from starting)."""

import os

import numpy as np

from cnn_desktop.core.data.ticks_crosses import draw_tick
from cnn_desktop.core.projects.builtin import builtin_project_dir
from cnn_desktop.core.tasks import TASKS

TICKS = TASKS["ticks-crosses"]


def test_loops_fifos_stray_folders_and_broken_drawings_are_left_out_and_listed(qtbot, open_window, home):
    window = open_window("ticks-crosses")
    window.canvas.set_strokes(draw_tick(np.random.default_rng(0)))
    assert window.session.add_drawing("tick")
    window.close()

    drawings = builtin_project_dir(TICKS, home) / "drawings"
    (drawings / "self").symlink_to("self")  # a loop where class folders are
    (drawings / "tick" / "loop.png").symlink_to("loop.png")
    os.mkfifo(drawings / "tick" / "fifo.png")
    (drawings / "junk").mkdir()
    (drawings / "junk" / "notes.txt").write_text("not a drawing")
    (drawings / "cross").mkdir(exist_ok=True)
    (drawings / "cross" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)

    again = open_window("ticks-crosses")  # starts, where a loop once gave a traceback and exit 1
    assert again.session.store.counts() == {"tick": 1, "cross": 0}
    assert "tick (1)" in again.label_bar.button("tick").text()
    notice = again.skipped_notice
    qtbot.waitUntil(lambda: notice.isVisible(), timeout=5000)
    assert notice.text() == "⚠ 5 files left out"
    notice.click()
    listed = notice.details.detailedText()
    for name in ("self", "loop.png", "fifo.png", "junk", "broken.png"):
        assert name in listed, (name, listed)
    assert "not a class: junk/ (1 file), ignored" in listed
    assert all(len(line) < 300 for line in listed.splitlines())  # one line each, no tracebacks

    os.remove(drawings / "cross" / "broken.png")  # the person tidies up; the next count notices
    again.session.refresh_counts()
    assert notice.text() == "⚠ 4 files left out"
