"""The curves panel: axes that move in jumps, thinned-out per-step lines, batches of steps, clearing."""

import numpy as np
import pytest

from cnn_desktop.gui.panels.curves import PADDING, CurvesPanel, GrowingSeries, nice_ceiling


@pytest.fixture
def panel(show):
    return show(CurvesPanel(), 880, 250)


def feed(panel, steps, losses, accuracies) -> None:
    for step, loss, accuracy in zip(steps, losses, accuracies):
        panel.add_step(int(step), float(loss), float(accuracy))


def drawn_points(item) -> int:
    """How many points the item holds (all of them, not only those painted after thinning out)."""
    return 0 if item.xData is None else len(item.xData)


def x_range(plot_widget) -> tuple[float, float]:
    return tuple(plot_widget.getPlotItem().getViewBox().viewRange()[0])


def y_range(plot_widget) -> tuple[float, float]:
    return tuple(plot_widget.getPlotItem().getViewBox().viewRange()[1])


def shows(plot_widget, top: float, axis=x_range) -> bool:
    """The axis spans 0..top with the panel's padding, no more."""
    low, high = axis(plot_widget)
    return low == pytest.approx(-PADDING * top) and high == pytest.approx((1 + PADDING) * top)


def test_nice_ceiling_rounds_up_to_the_next_round_number():
    assert [nice_ceiling(v) for v in (1, 101, 150, 200, 201, 999, 1001)] == [1, 200, 200, 200, 500, 1000, 2000]
    assert nice_ceiling(2.31, (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)) == pytest.approx(2.5)
    assert nice_ceiling(0.693, (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)) == pytest.approx(0.8)
    assert nice_ceiling(0.8, (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)) == pytest.approx(0.8)  # already round


def test_x_axes_span_a_short_runs_total_steps_from_the_start(qtbot, panel):
    assert shows(panel.loss_plot, 100) and shows(panel.accuracy_plot, 100)  # before any run
    panel.clear(total_steps=450)
    assert shows(panel.loss_plot, 450) and shows(panel.accuracy_plot, 450)
    feed(panel, np.arange(1, 301), np.full(300, 0.5), np.full(300, 0.5))
    qtbot.waitUntil(lambda: drawn_points(panel.items["step_loss"]) == 300, timeout=2000)
    assert shows(panel.loss_plot, 450) and shows(panel.accuracy_plot, 450)  # no auto-range to the data
    for plot_widget in (panel.loss_plot, panel.accuracy_plot):
        assert plot_widget.getPlotItem().getViewBox().autoRangeEnabled() == [False, False]

    panel.set_total_steps(2000)
    assert shows(panel.loss_plot, 2000) and shows(panel.accuracy_plot, 2000)
    panel.clear()  # a new run of unknown length
    assert shows(panel.loss_plot, 100) and shows(panel.accuracy_plot, 100)


def test_a_long_run_zooms_out_in_jumps_until_a_tenth_is_done_then_spans_it_all(qtbot, panel):
    panel.clear(total_steps=3000)
    tops = []
    for step in range(1, 601):
        panel.add_step(step, 1.0, 0.5)
        if step in (40, 100, 299, 300, 600):
            panel._draw()
            tops.append(x_range(panel.loss_plot)[1] / (1 + PADDING))
    assert tops == pytest.approx([100, 200, 500, 3000, 3000])
    assert shows(panel.accuracy_plot, 3000)


def test_without_a_total_the_x_axes_grow_in_jumps_past_the_last_step(qtbot, panel):
    tops = []
    for step in range(1, 1201):
        panel.add_step(step, 1.0, 0.5)
        if step in (50, 150, 201, 1200):
            panel._draw()  # what the throttle does, at these moments
            tops.append(x_range(panel.accuracy_plot)[1] / (1 + PADDING))
    assert tops == pytest.approx([100, 200, 500, 2000])

    panel.clear(total_steps=100)
    feed(panel, np.arange(1, 131), np.ones(130), np.ones(130))  # more steps than announced
    panel._draw()
    assert shows(panel.loss_plot, 200)  # the curve still fits


def test_loss_axis_starts_at_zero_and_rises_in_jumps_above_the_highest_loss(qtbot, panel):
    assert shows(panel.loss_plot, 2.5, y_range)  # before any run
    feed(panel, [1, 2, 3], [2.31, 1.2, float("inf")], [0.1, 0.2, 0.3])  # a diverging step ignored
    panel._draw()
    assert shows(panel.loss_plot, 2.5, y_range)
    feed(panel, [4, 5], [float("nan"), 0.9], [0.3, 0.3])
    panel._draw()
    assert shows(panel.loss_plot, 2.5, y_range)  # it does not shrink back during the run
    panel.add_epoch(1, 5, train_loss=1.0, train_acc=0.3, val_loss=3.6, val_acc=0.3)
    panel._draw()
    assert shows(panel.loss_plot, 4, y_range)

    panel.clear()
    panel.add_step(1, 0.693, 0.5)  # two classes start near ln 2
    panel._draw()
    assert shows(panel.loss_plot, 0.7, y_range)
    assert y_range(panel.accuracy_plot) == pytest.approx((-2, 102))  # accuracy always 0-100 %


def test_per_step_lines_are_thinned_out_to_their_envelope_and_not_antialiased(qtbot, panel):
    rng = np.random.default_rng(0)
    losses = rng.uniform(0.2, 1.0, 6000)
    losses[10], losses[3000] = 2.0, 0.05  # one spike up and one down, which must stay visible
    panel.clear(total_steps=6000)
    feed(panel, range(1, 6001), losses, np.full(6000, 0.5))
    panel._draw()
    for key in ("step_loss", "smoothed_loss", "smoothed_accuracy"):
        item = panel.items[key]
        assert item.opts["autoDownsample"] and item.opts["downsampleMethod"] == "peak"
        assert item.opts["clipToView"] and not item.opts["antialias"]
        assert item.opts["pen"].widthF() <= 2
        assert len(item.xData) == 6000  # every point is kept...
    shown_x, shown_y = panel.items["step_loss"].curve.getData()
    assert 200 < len(shown_x) < 2000  # ...and a (max, min) pair per pixel column of ~400 is painted
    assert shown_y.max() == 2.0 and shown_y.min() == 0.05
    assert panel.items["val_loss"].opts["antialias"]  # a few epoch markers: drawn smoothly


def test_growing_series_extends_by_whole_arrays_across_reallocations():
    series = GrowingSeries(capacity=4)
    series.append(0, 0)
    series.extend(np.arange(1, 4), np.arange(1, 4) ** 2)  # fills it exactly
    series.extend(np.arange(4, 50), np.arange(4, 50) ** 2)  # more than doubling
    series.extend(np.array([]), np.array([]))
    series.append(50, 2500)
    np.testing.assert_array_equal(series.x, np.arange(51))
    np.testing.assert_array_equal(series.y, np.arange(51) ** 2)


def test_add_steps_draws_a_batch_exactly_as_add_step_one_by_one(qtbot, panel):
    one_by_one = CurvesPanel()
    qtbot.addWidget(one_by_one)
    rng = np.random.default_rng(1)
    steps = np.arange(1, 501)
    losses, accuracies = rng.uniform(0.1, 2.5, 500), rng.integers(0, 33, 500) / 32
    feed(one_by_one, steps, losses, accuracies)
    start = 0
    for size in (1, 7, 100, 92, 300):  # batches of any size, as arrays or lists
        batch = slice(start, start + size)
        panel.add_steps(steps[batch], losses[batch].tolist(), accuracies[batch])
        start += size
    panel.add_steps([], [], [])  # nothing new: no harm
    # Served by the throttle, as in the window (the first batch was drawn at once, the rest waits).
    qtbot.waitUntil(lambda: drawn_points(panel.items["step_loss"]) == 500, timeout=2000)
    one_by_one._draw()
    for key in ("step_loss", "smoothed_loss", "smoothed_accuracy"):  # all points, not the painted ones
        np.testing.assert_array_equal(panel.items[key].xData, one_by_one.items[key].xData)
        np.testing.assert_array_equal(panel.items[key].yData, one_by_one.items[key].yData)
    np.testing.assert_array_equal(panel.items["step_loss"].yData, losses)
    assert panel.items["smoothed_loss"].yData[0] == losses[0]  # bias-corrected from the start

    with pytest.raises(ValueError, match="3 steps, 2 losses"):
        panel.add_steps([501, 502, 503], [1.0, 1.0], [0.5, 0.5, 0.5])


def test_clear_forgets_every_point_and_the_moving_averages(qtbot, panel):
    panel.add_steps(np.arange(1, 101), np.full(100, 3.0), np.full(100, 0.9))
    panel.add_epoch(1, 100, train_loss=3.0, train_acc=0.9, val_loss=2.9, val_acc=0.8)
    panel._draw()
    panel.clear(total_steps=40)
    assert all(drawn_points(item) == 0 for item in panel.items.values())
    panel.add_steps([1, 2], [0.5, 0.5], [0.25, 0.25])
    panel._draw()
    np.testing.assert_allclose(panel.items["smoothed_loss"].getData()[1], [0.5, 0.5])  # no trace of 3.0
    np.testing.assert_allclose(panel.items["smoothed_accuracy"].getData()[1], [25, 25])
    assert shows(panel.loss_plot, 0.5, y_range) and shows(panel.loss_plot, 40)


def test_a_wider_panel_thins_the_curves_out_for_its_new_width(qtbot, panel):
    panel.clear(total_steps=6000)
    panel.add_steps(np.arange(1, 6001), np.random.default_rng(2).uniform(0.1, 2.0, 6000), np.full(6000, 0.5))
    painted = panel.items["step_loss"].curve
    qtbot.waitUntil(lambda: painted.getData()[0] is not None and len(painted.getData()[0]) > 0, timeout=2000)
    before = len(painted.getData()[0])
    panel.resize(2400, 250)  # about three times the plot width: three times the (max, min) pairs
    qtbot.waitUntil(lambda: len(painted.getData()[0]) > 2 * before, timeout=2000)
    assert len(panel.items["step_loss"].xData) == 6000


def test_the_legend_is_a_line_above_the_plots_not_on_the_data(qtbot, panel):
    from pyqtgraph import LegendItem

    for widget in (panel.loss_plot, panel.accuracy_plot):
        assert not [item for item in widget.scene().items() if isinstance(item, LegendItem)]
        assert not panel.legend.geometry().intersects(widget.geometry())
    assert panel.legend.geometry().bottom() < panel.loss_plot.geometry().top()
    assert "validation, each epoch" in panel.legend.text() and "smoothed" in panel.legend.text()
    panel.set_validation(False)
    assert "validation" not in panel.legend.text() and "smoothed" in panel.legend.text()
    panel.set_validation(True)
    assert "validation, each epoch" in panel.legend.text()


def epochs_run(panel, steps: int, epochs: int) -> None:
    panel.clear(steps)
    feed(panel, range(1, steps + 1), np.linspace(2.3, 0.1, steps), np.linspace(0.1, 0.95, steps))
    for epoch in range(epochs):
        panel.add_epoch(epoch, (epoch + 1) * (steps // epochs), 0.5, 0.9, 0.4, 1.0 if epoch % 2 else 0.0)
    panel._draw()


def test_per_epoch_markers_shrink_then_go_when_epochs_crowd_and_never_form_bands(qtbot, panel):
    """A few-shot run of 150 epochs (validation flipping between 0 and 100 %) once painted solid
    bands of 8 px markers at 0 and 100 % over the training curves."""
    from cnn_desktop.gui.panels.curves import MARKER_MIN_PX, MARKER_SIZE

    epochs_run(panel, 300, 6)
    assert panel.marker_size == MARKER_SIZE and panel.items["val_accuracy"].opts["symbol"] == "o"
    epochs_run(panel, 300, 150)
    assert panel.marker_size < MARKER_MIN_PX
    assert all(panel.items[key].opts["symbol"] is None for key in ("val_loss", "train_accuracy", "val_accuracy"))
    assert panel.items["val_accuracy"].zValue() < panel.items["smoothed_accuracy"].zValue()
    epochs_run(panel, 300, 40)  # in between: smaller markers
    assert MARKER_MIN_PX <= panel.marker_size < MARKER_SIZE
    epochs_run(panel, 300, 3)
    assert panel.marker_size == MARKER_SIZE and panel.items["train_accuracy"].opts["symbol"] == "s"


@pytest.mark.parametrize("steps", [100, 300, 1000])
def test_the_last_x_axis_label_is_drawn_whole_inside_the_plot(qtbot, panel, steps):
    """"100" once showed as "10" and "300" as "30": the last label ran past the widget's edge."""
    from PySide6.QtGui import QImage, QPainter

    epochs_run(panel, steps, 5)
    for widget in (panel.loss_plot, panel.accuracy_plot):
        axis = widget.getPlotItem().getAxis("bottom")
        image = QImage(10, 10, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        try:
            _, _, texts = axis.generateDrawSpecs(painter)
        finally:
            painter.end()
        labels = {text: rect for rect, _, text in texts}
        assert str(steps) in labels, labels.keys()
        on_screen = widget.mapFromScene(axis.mapRectToScene(labels[str(steps)])).boundingRect()
        assert widget.viewport().rect().contains(on_screen), (on_screen, widget.viewport().rect())
