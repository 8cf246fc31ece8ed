"""Regression: repeated repaints of a plot holding a curve and an image must not crash the interpreter.

PySide6 6.12.0 with pyqtgraph 0.14.0 on Python 3.11 aborts with "Fatal Python error: none_dealloc"
(sometimes bool_dealloc) after a few hundred repaints of such a plot: a reference-count bug that kills
the whole process. The panels repaint exactly like this all day, so the supported versions must
survive 2,000. The loop runs in a child process, so a hard abort becomes an ordinary test failure that
reports the exit code instead of taking the pytest session down with it.
"""

import os
import subprocess
import sys
import textwrap

REPAINTS = 2000

CHILD = textwrap.dedent(
    f"""
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    widget = pg.PlotWidget()
    widget.resize(160, 120)
    curve = pg.PlotDataItem()
    image = pg.ImageItem(axisOrder="row-major")
    widget.addItem(image)
    widget.addItem(curve)
    widget.show()
    app.processEvents()

    # Count real paints of the image: the loop must exercise painting, not only setting data.
    paints = [0]
    original_paint = image.paint
    def counting_paint(*args):
        paints[0] += 1
        return original_paint(*args)
    image.paint = counting_paint

    rng = np.random.default_rng(0)
    x = np.arange(64, dtype=np.float64)
    for i in range({REPAINTS}):
        # New arrays every time, as the live panels send: the crash needs objects created and freed.
        last_image = rng.random((16, 16)).astype(np.float32)
        curve.setData(x, rng.random(64))
        image.setImage(last_image, levels=(0.0, 1.0), autoLevels=False)
        # Synchronous paint of the area that shows the scene (QGraphicsView.repaint() alone only
        # schedules the viewport's paint).
        widget.viewport().repaint()
        if i % 50 == 0:
            app.processEvents()
    assert np.array_equal(image.image, last_image), "the image shown is not the last one set"
    assert paints[0] >= {REPAINTS}, f"only {{paints[0]}} paints of the image"
    print("survived", {REPAINTS})
    """
)


def test_two_thousand_repaints_of_a_curve_and_an_image_do_not_crash():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    how = f"killed by signal {-result.returncode}" if result.returncode < 0 else f"exit code {result.returncode}"
    assert result.returncode == 0, f"the repaint loop died ({how}); stderr:\n{result.stderr[-2000:]}"
    assert f"survived {REPAINTS}" in result.stdout
