"""The pyqtgraph panels: packing, labels, item reuse, fixed levels and timer-driven redraws."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint

from cnn_desktop.gui.panels.curves import CurvesPanel, GrowingSeries
from cnn_desktop.gui.panels.image_grid import (
    NOTHING_YET, ImageGridPanel, default_columns, pack_tiles, tile_at)
from cnn_desktop.gui.panels.layers import LayerStackPanel
from cnn_desktop.gui.panels.probabilities import EMPTY_TEXT, ProbabilitiesPanel


# --- packing tiles ---

def test_pack_tiles_lays_images_out_row_major_with_nan_gaps():
    images = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    packed = pack_tiles(images, columns=3, gap=1)
    assert packed.shape == (2 * 2 + 1, 3 * 3 + 2) and packed.dtype == np.float32
    np.testing.assert_array_equal(packed[0:2, 0:3], images[0])
    np.testing.assert_array_equal(packed[0:2, 4:7], images[1])
    np.testing.assert_array_equal(packed[3:5, 4:7], images[4])  # second row, second column
    assert np.isnan(packed[2, :]).all()  # the gap between the rows
    assert np.isnan(packed[:, 3]).all() and np.isnan(packed[:, 7]).all()  # gaps between columns
    assert np.isnan(packed[3:5, 8:11]).all()  # the unused sixth slot


def test_pack_tiles_with_more_columns_than_images_makes_one_row():
    assert pack_tiles(np.ones((3, 4, 4)), columns=10, gap=1).shape == (4, 14)


def test_tile_at_inverts_the_packing():
    assert tile_at(5.5, 3.2, count=5, tile_shape=(2, 3), columns=3) == (4, 0, 1)
    assert tile_at(3.5, 0.5, count=5, tile_shape=(2, 3), columns=3) is None  # a gap
    assert tile_at(9.0, 4.0, count=5, tile_shape=(2, 3), columns=3) is None  # the empty slot


@pytest.mark.parametrize("count, columns", [(16, 4), (32, 8), (6, 3), (10, 5), (7, 3), (1, 1)])
def test_default_columns_prefer_full_rows(count, columns):
    assert default_columns(count) == columns


# --- probabilities ---

def test_probabilities_show_the_top_class_or_no_guess(qtbot, show):
    panel = show(ProbabilitiesPanel([str(d) for d in range(10)]))
    probabilities = np.full(10, 0.02)
    probabilities[7] = 0.82
    panel.show_probabilities(probabilities)
    qtbot.waitUntil(lambda: "7" in panel.headline.text(), timeout=1000)
    assert panel.headline.text() == "Guess: 7  (82%)"
    np.testing.assert_allclose(panel.bars.opts["height"], probabilities)

    panel.show_probabilities(None)
    qtbot.waitUntil(lambda: panel.headline.text() == EMPTY_TEXT, timeout=1000)
    assert not np.any(panel.bars.opts["height"])


def test_probabilities_draw_at_once_then_coalesce_a_burst_into_the_newest(qtbot, show):
    panel = show(ProbabilitiesPanel(["tick", "cross"]))
    panel.show_probabilities(np.array([0.2, 0.8]))
    assert panel.headline.text() == "Guess: cross  (80%)"  # the first guess is drawn without waiting
    for p in np.linspace(0.1, 0.9, 50):
        panel.show_probabilities(np.array([p, 1 - p]))
    assert panel.headline.text() == "Guess: cross  (80%)"  # the burst waits for the interval to end...
    qtbot.waitUntil(lambda: panel.headline.text() == "Guess: tick  (90%)", timeout=1000)  # ...then the newest


def test_probabilities_reject_a_wrong_number_of_values(show):
    panel = show(ProbabilitiesPanel(["tick", "cross"]))
    with pytest.raises(ValueError):
        panel.show_probabilities(np.ones(3) / 3)


# --- image grid ---

def test_image_grid_reuses_its_image_item_and_fixes_symmetric_levels(qtbot, show):
    panel = show(ImageGridPanel())
    item = panel.image_item
    rng = np.random.default_rng(0)
    filters = rng.normal(0.3, 1.0, (16, 5, 5)).astype(np.float32)  # not centred on zero on purpose
    panel.show_grid(filters, diverging=True, title="conv1 filters")
    qtbot.waitUntil(lambda: panel.image_item.image is not None, timeout=1000)
    extent = float(np.abs(filters).max())
    np.testing.assert_allclose(panel.image_item.getLevels(), (-extent, extent))
    np.testing.assert_array_equal(panel.image_item.image, pack_tiles(filters, 4))
    assert panel.title_label.text() == "conv1 filters"

    maps = rng.random((16, 28, 28)).astype(np.float32) * 3
    panel.show_grid(maps, diverging=False, title="conv1 feature maps")
    qtbot.waitUntil(lambda: panel.image_item.image.shape == (4 * 28 + 3, 4 * 28 + 3), timeout=1000)
    assert panel.image_item is item and id(panel.image_item) == id(item)
    assert [i for i in panel.view.addedItems if hasattr(i, "setImage")] == [item]
    np.testing.assert_allclose(panel.image_item.getLevels(), (0, maps.max()))


def test_image_grid_reports_the_tile_pixel_under_the_pointer(qtbot, show):
    panel = show(ImageGridPanel(), 400, 400)
    images = np.arange(4 * 8 * 8, dtype=np.float32).reshape(4, 8, 8)
    assert panel.caption.text() == NOTHING_YET
    panel.show_grid(images, diverging=False, title="maps", columns=2)
    qtbot.waitUntil(lambda: panel.image_item.image is not None, timeout=1000)

    reports = []
    panel.hovered.connect(lambda *args: reports.append(list(args)))

    def hover(image_x: float, image_y: float) -> list[int]:
        """Point at image pixel coordinates until the panel reports.

        pyqtgraph drops moves that follow each other too fast and Qt drops a move to where the pointer
        already is, so retries alternate with a 1-px shift (a twentieth of an image pixel here). The
        mapping is recomputed each time: the view settles its transform lazily after a resize."""
        count = len(reports)
        attempts = []

        def reported() -> bool:
            attempts.append(None)
            target = panel.graphics.mapFromScene(panel.image_item.mapToScene(image_x, image_y))
            qtbot.mouseMove(panel.graphics.viewport(), target + QPoint(len(attempts) % 2, 0))
            return len(reports) > count

        qtbot.waitUntil(reported, timeout=2000)
        return reports[-1]

    # The centre of pixel (row 2, column 5) of tile 3 (second row, second column): x = 9 + 5, y = 9 + 2.
    assert hover(14.5, 11.5) == [3, 2, 5]
    assert panel.caption.text() == f"#3  row 2, column 5:  {images[3, 2, 5]:.3g}"
    assert hover(8.5, 3.5) == [-1, -1, -1]  # the gap between the tile columns
    assert hover(1.5, 0.5) == [0, 0, 1]
    assert hover(-3, -3) == [-1, -1, -1]  # off the image


def test_layer_stack_keeps_its_grids_for_the_same_layers(qtbot, show):
    layers = [("conv1", "conv 5x5, 16 filters → 16 maps 28x28"), ("pool1", "max-pool 2x2 → 16 maps 14x14")]
    stack = show(LayerStackPanel(layers), 300, 500)
    first = stack.grid("conv1")
    stack.set_layers(list(layers))
    assert stack.grid("conv1") is first
    assert first.title_label.text() == "conv1 — conv 5x5, 16 filters → 16 maps 28x28"

    stack.show_layer("pool1", np.ones((16, 14, 14)), diverging=False)
    qtbot.waitUntil(lambda: stack.grid("pool1").image_item.image is not None, timeout=1000)
    with pytest.raises(KeyError, match="conv9"):
        stack.show_layer("conv9", np.ones((1, 2, 2)), diverging=False)

    stack.set_layers([("conv1", "another network")])
    assert stack.layer_names() == ["conv1"] and stack.grid("conv1") is not first


# --- curves ---

def test_growing_series_keeps_every_point_across_reallocations():
    series = GrowingSeries(capacity=2)
    for i in range(100):
        series.append(i, i * i)
    assert len(series) == 100
    np.testing.assert_array_equal(series.x, np.arange(100))
    np.testing.assert_array_equal(series.y, np.arange(100) ** 2)


def drawn_points(item) -> int:
    x, _ = item.getData()  # (None, None) when the item holds no data
    return 0 if x is None else len(x)


def test_curves_accumulate_points_and_draw_them_when_the_timer_fires(qtbot, show):
    panel = show(CurvesPanel(), 800, 300)
    smoothed_loss = panel.items["smoothed_loss"]
    validation_accuracy = panel.items["val_accuracy"]
    panel.add_step(1, loss=2.0, accuracy=1 / 300)
    assert drawn_points(smoothed_loss) == 1  # the first step of a run is drawn at once...
    for step in range(2, 301):
        panel.add_step(step, loss=2.0 / step, accuracy=step / 300)
    panel.add_epoch(1, 300, train_loss=0.5, train_acc=0.8, val_loss=0.6, val_acc=0.75)
    assert drawn_points(smoothed_loss) == 1  # ...the next ones wait for the redraw's timer

    qtbot.waitUntil(lambda: drawn_points(smoothed_loss) == 300, timeout=1000)
    x, y = smoothed_loss.getData()
    assert x[0] == 1 and x[-1] == 300
    assert y[0] == pytest.approx(2.0)  # the bias correction: the first average is the first loss
    assert 2.0 / 300 < y[-1] < 2.0 / 250  # the average lags a little behind a falling loss
    np.testing.assert_array_equal(validation_accuracy.getData()[1], [75.0])

    panel.add_epoch(2, 600, train_loss=0.4, train_acc=0.9, val_loss=None, val_acc=None)  # no validation
    train_accuracy = panel.items["train_accuracy"]
    qtbot.waitUntil(lambda: drawn_points(train_accuracy) == 2, timeout=1000)
    assert drawn_points(validation_accuracy) == 1

    panel.clear()
    assert all(drawn_points(item) == 0 for item in panel.items.values())


def test_loss_axis_shows_plain_numbers_not_an_si_prefix(qtbot, show):
    curves = show(CurvesPanel())
    for step, loss in enumerate(np.linspace(0.9, 0.5, 20), 1):
        curves.add_step(step, float(loss), 0.5)
    qtbot.waitUntil(lambda: curves.items["step_loss"].xData is not None and len(curves.items["step_loss"].xData) == 20)
    axis = curves.loss_plot.getPlotItem().getAxis("left")
    axis.updateAutoSIPrefix()
    assert axis.autoSIPrefixScale == 1.0 and "x0.001" not in axis.labelString()
