"""The network overview (issue #15, part 1) and readable filters (part 2), as a person uses them: the
whole default network in view at 1280x800, any network drawn from its own spec, a tooltip on the
unit under the pointer, connections, a click that enlarges a map; one tile per deeper filter."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt

from cnn_desktop.core.app.messages import Filters, Prediction
from cnn_desktop.core.inspection.presentation import signed_layers, strongest_slices
from cnn_desktop.core.network.checkpoint import save_model
from cnn_desktop.core.network.geometry import layer_geometry, receptive_field
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.presets import preset_spec
from cnn_desktop.core.network.spec import lenet_spec
from cnn_desktop.gui.inspection.overlays import box_rect
from cnn_desktop.gui.panels.network_overview import NetworkOverview
from cnn_desktop.gui.panels.network_views import FiltersView
from gui_helpers import draw

DIGITS = tuple("0123456789")
DEFAULT_COLUMNS = ["input", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "fc1", "relu3", "out"]
SEVEN = [(120, 90), (330, 90), (260, 220), (200, 380)]


def fake_prediction(spec, seed=0, image=True):
    """A Prediction of the shapes ``spec``'s layers give, with values of both signs."""
    rng = np.random.default_rng(seed)
    activations = {}
    for geo in layer_geometry(spec)[1:]:
        shape = (geo.channels, geo.size, geo.size) if geo.size > 1 else (geo.channels,)
        activations[geo.name] = rng.normal(size=shape).astype(np.float32)
    probabilities = np.full(len(spec.classes), 1 / len(spec.classes), np.float32)
    return Prediction(1, 1, tuple(spec.classes), rng.random((28, 28)).astype(np.float32) if image else None,
                      probabilities if image else None, activations if image else {})


def unit_point(overview, layer, index, row=0, col=0):
    """The viewport point at the centre of unit (row, col) of map ``index`` of ``layer`` (scrolled to
    first, for a network wider than the view)."""
    box = overview.column(layer).box
    x, y, w, h = box.unit_rect(index, row, col, row, col) if box.plan.role == "maps" else box.cell_rect(index)
    overview.view.ensureVisible(QRectF(x, y, w, h), 2, 2)
    return overview.view.mapFromScene(QPointF(x + w / 2, y + h / 2))


def point_at(qtbot, overview, point):
    # Qt sends no move for a pointer that stays on the same pixel (as after a scroll): come from elsewhere.
    qtbot.mouseMove(overview.view.viewport(), QPoint(point.x() + 3, point.y() + 3))
    qtbot.mouseMove(overview.view.viewport(), point)


def _shown(qtbot, overview, message):
    overview.show_prediction(message)
    qtbot.waitUntil(lambda: all(column.values is not None for column in overview.columns), timeout=15000)


def test_every_layer_of_the_default_network_is_in_view_at_1280x800(qtbot, open_window):
    window = open_window()
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    overview = window.feature_maps
    qtbot.waitUntil(lambda: overview.layer_names() == DEFAULT_COLUMNS, timeout=15000)
    qtbot.wait(50)  # the dock settles its size
    viewport = overview.view.viewport().rect()
    assert overview.view.horizontalScrollBar().maximum() == 0  # nothing to scroll to
    lefts = []
    for name in DEFAULT_COLUMNS:
        rect = overview.column_rect(name).toAlignedRect()
        assert viewport.contains(rect), (name, rect, viewport)  # cells and title, whole
        lefts.append(rect.left())
    assert overview.column("conv1").box.cell_width >= 16  # a 28x28 map stays readable
    # Side by side, in network order, and no two columns' cells overlap.
    boxes = [overview.column(name).box for name in DEFAULT_COLUMNS]
    assert all(a.x + a.width <= b.x for a, b in zip(boxes, boxes[1:]))
    # The fixed receptive-field box is gone: the overview has the dock to itself.
    assert window.docks["feature_maps"].widget() is overview


def test_clearing_or_labelling_blanks_every_column_in_place(qtbot, open_window):
    window = open_window()
    overview = window.feature_maps
    for clear in (window.canvas.clear, lambda: qtbot.keyClick(window, Qt.Key.Key_7)):
        draw(qtbot, window.canvas, SEVEN)
        qtbot.waitUntil(lambda: overview.column("pool2").values is not None, timeout=15000)
        assert np.isfinite(overview.column("conv1").image_item.image).any()
        boxes = [column.box for column in overview.columns]
        clear()
        qtbot.waitUntil(lambda: all(column.values is None for column in overview.columns), timeout=15000)
        for column in overview.columns:  # nothing of the drawing that is gone is drawn any more
            assert not np.isfinite(column.image_item.image).any(), column.plan.name
        assert [column.box for column in overview.columns] == boxes  # blanked in place: nothing jumps


def test_pointing_names_the_unit_and_lights_its_field_and_a_click_enlarges_the_map(qtbot, open_window):
    window = open_window()
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    overview = window.feature_maps
    draw(qtbot, window.canvas, SEVEN)
    # The answer to the whole drawing, not to a stroke still in progress (whose box, and so whose
    # receptive field on the canvas, differ), drawn in the overview.
    session = window.session
    qtbot.waitUntil(lambda: overview.column("conv2").values is not None and session.filters is not None
                    and session.shown_request_id == session.last_request_id
                    and overview.prediction is session.prediction and overview._pending is None, timeout=15000)
    prediction = session.prediction
    point_at(qtbot, overview, unit_point(overview, "conv2", 5, 3, 4))
    value = overview.column("conv2").values[5, 3, 4]
    assert overview.hover_text.startswith(f"conv2 map 5 unit (3, 4) = {value:.3g} · sees input rows 4-17, cols 6-19")
    assert "receptive field 14×14" in overview.hover_text
    assert window.input_view.highlight == (4, 6, 17, 19)
    assert window.canvas._overlay_rect == box_rect(prediction.to_input, (4, 6, 17, 19))
    point_at(qtbot, overview, unit_point(overview, "out", 3))
    assert overview.hover_text.startswith("out class 3") and window.input_view.highlight == (0, 0, 27, 27)
    point_at(qtbot, overview, QPoint(1, overview.view.viewport().height() - 2))  # a corner with no unit
    assert overview.hover_text == "" and window.input_view.highlight is None

    qtbot.mouseClick(overview.view.viewport(), Qt.MouseButton.LeftButton, pos=unit_point(overview, "conv2", 5, 3, 4))
    detail = overview.detail
    assert detail is not None and detail.isVisible()
    assert detail.layer == "conv2" and detail.index == 5 and detail.unit.index == (5, 3, 4)
    qtbot.waitUntil(lambda: detail.kernel_grid._images.shape == (16, 5, 5), timeout=15000)
    kernels = dict((name, weights) for name, weights, _ in window.session.filters.layers)["conv2"]
    assert np.array_equal(detail.kernel_grid._images, kernels[5])  # filter 5's slices, one per pool1 map
    assert detail.drawing.highlight == (4, 6, 17, 19)
    qtbot.waitUntil(lambda: detail.map_grid._images.shape == (1, 10, 10), timeout=15000)
    assert np.array_equal(detail.map_grid._images[0], prediction.activations["conv2"][5])
    detail.close()


def test_connections_run_from_the_unit_to_what_it_reads_in_the_column_before(qtbot, show):
    spec = lenet_spec()
    overview = show(NetworkOverview(), 420, 420)
    overview.set_spec(spec)
    _shown(qtbot, overview, fake_prediction(spec))
    point_at(qtbot, overview, unit_point(overview, "conv2", 5, 3, 4))
    assert overview.links.path().isEmpty()  # off until asked for
    overview.connections.setChecked(True)
    links = overview.links.path()
    assert links.elementCount() == 2 * 16  # conv2 reads all 16 pool1 maps: one line to each
    # Each line ends on conv2's 5x5 window at rows 3-7, cols 4-8 of a pool1 map.
    box = overview.column("pool1").box
    x, y, w, h = box.unit_rect(0, 3, 4, 7, 8)
    ends = [QPointF(links.elementAt(i).x, links.elementAt(i).y) for i in range(1, links.elementCount(), 2)]
    assert any(abs(end.x() - (x + w / 2)) < 0.01 and abs(end.y() - (y + h / 2)) < 0.01 for end in ends)
    point_at(qtbot, overview, unit_point(overview, "pool2", 7, 2, 2))
    assert overview.links.path().elementCount() == 2  # a pool reads one window of one map
    point_at(qtbot, overview, unit_point(overview, "relu3", 9))
    assert overview.links.path().elementCount() == 2  # ReLU: the same unit of fc1


@pytest.mark.parametrize("preset", ["tiny", "deeper", "lenet5"])
def test_any_network_is_drawn_from_its_own_spec(qtbot, show, preset):
    spec = preset_spec(preset, DIGITS if preset != "tiny" else ("a", "b"))
    overview = show(NetworkOverview(), 420, 420)
    overview.set_spec(spec)
    _shown(qtbot, overview, fake_prediction(spec))
    expected = [g.name for g in layer_geometry(spec) if g.kind not in ("flatten", "dropout")]
    assert overview.layer_names() == expected
    signed = signed_layers(spec)
    for column in overview.columns[1:]:
        lut = column.image_item.lut
        assert (column.plan.signed == (column.plan.name in signed)), column.plan.name
        # A signed column's colour map runs blue to red through white; a >= 0 one starts near white.
        assert (lut[0][2] > lut[0][0]) == column.plan.signed, column.plan.name
    for column in overview.columns:  # every unit can be pointed at without an error
        middle = column.plan.size // 2  # a unit well inside its map (a 26x26 map has units under a pixel)
        point_at(qtbot, overview, unit_point(overview, column.plan.name, column.plan.count - 1, middle, middle))
        if column.plan.role != "input":
            assert overview.hover_text.startswith(column.plan.name), overview.hover_text


def test_a_loaded_model_of_another_design_replaces_the_columns(qtbot, open_window, tmp_path):
    window = open_window()
    overview = window.feature_maps
    qtbot.waitUntil(lambda: overview.layer_names() == DEFAULT_COLUMNS, timeout=15000)
    path = tmp_path / "lenet5.safetensors"
    save_model(path, build_model(preset_spec("lenet5", DIGITS), seed=1))
    window.session.open_model(path)
    qtbot.waitUntil(lambda: "tanh4" in overview.layer_names(), timeout=10000)
    assert overview.layer_names() == ["input", "conv1", "tanh1", "avgpool1", "conv2", "tanh2", "avgpool2",
                                      "fc1", "tanh3", "fc2", "tanh4", "out"]
    assert all(column.plan.signed for column in overview.columns[1:])  # tanh, and pools of tanh, are signed
    draw(qtbot, window.canvas, SEVEN)
    qtbot.waitUntil(lambda: overview.column("avgpool2").values is not None, timeout=15000)
    assert overview.column("conv1").values.shape == (6, 28, 28)
    point_at(qtbot, overview, unit_point(overview, "conv1", 0, 1, 1))
    # A 32x32 network's conv1 units near the corner read the 2-pixel border and the drawing's first rows;
    # the tooltip gives the drawing's rows (28x28), not the padded input's. (A 28x28 map shown ~20 px
    # wide has units under a pixel: which one the pointer lands on is read back.)
    layer, index, row, col = overview.hovered
    assert (layer, index) == ("conv1", 0) and row <= 2 and col <= 2
    top, left, bottom, right = receptive_field(window.session.model.spec, "conv1", row, col)
    assert top == 0 and left == 0 and f"sees input rows 0-{bottom}, cols 0-{right}" in overview.hover_text


def test_a_wide_network_scrolls_sideways_and_the_tooltip_names_what_is_under_the_pointer(qtbot, show):
    spec = preset_spec("deeper", DIGITS)
    overview = show(NetworkOverview(), 300, 300)
    overview.set_spec(spec)
    _shown(qtbot, overview, fake_prediction(spec))
    bar = overview.view.horizontalScrollBar()
    assert bar.maximum() > 0  # more than fits: it scrolls instead of shrinking maps to nothing
    point_at(qtbot, overview, unit_point(overview, "conv1", 0, 5, 5))
    assert overview.hover_text.startswith("conv1 map 0")
    bar.setValue(bar.maximum())
    assert overview.hover_text == ""  # the columns moved under the pointer: conv1 is no longer there
    viewport = overview.view.viewport().rect()
    for name in ("conv3", "relu3", "fc1", "out"):  # the far end is in view, titles included
        assert viewport.contains(overview.column_rect(name).toAlignedRect()), name
    point_at(qtbot, overview, unit_point(overview, "conv3", 7, 1, 2))
    assert overview.hover_text.startswith("conv3 map 7 unit (1, 2)")


def test_redraws_are_bounded_and_skipped_while_hidden(qtbot, show):
    spec = lenet_spec()
    overview = show(NetworkOverview(), 420, 420)
    overview.set_spec(spec)
    _shown(qtbot, overview, fake_prediction(spec, seed=1))
    calls = []
    original = overview.columns[1].show
    overview.columns[1].show = lambda *args: (calls.append(1), original(*args))
    for seed in range(20):  # a burst of predictions, as while drawing fast
        overview.show_prediction(fake_prediction(spec, seed=seed))
    qtbot.wait(120)
    assert 1 <= len(calls) <= 5  # coalesced to the bounded rate, the newest shown
    assert np.array_equal(overview.column("conv1").values, fake_prediction(spec, seed=19).activations["conv1"])
    overview.hide()
    calls.clear()
    overview.show_prediction(fake_prediction(spec, seed=3))
    qtbot.wait(80)
    assert calls == []  # behind another tab: no work
    overview.show()
    qtbot.waitUntil(lambda: calls != [], timeout=2000)


def _filters(spec, seed=0):
    rng = np.random.default_rng(seed)
    geometry = layer_geometry(spec)
    layers = []
    for before, geo in zip(geometry, geometry[1:]):
        if geo.kind == "conv":
            channels = next(g.channels for g in reversed(geometry[: geometry.index(geo)]) if g.size > 1)
            weights = rng.normal(size=(geo.channels, channels, geo.kernel, geo.kernel)).astype(np.float32)
            layers.append((geo.name, weights, np.zeros(geo.channels, np.float32)))
    return Filters(1, tuple(layers))


def test_deeper_filters_show_one_tile_each_and_a_click_opens_its_slices(qtbot, show):
    message = _filters(preset_spec("deeper", DIGITS))
    view = show(FiltersView(), 420, 600)
    view.show_filters(message)
    weights = {name: w for name, w, _ in message.layers}
    grid1, grid2 = view.grid("conv1"), view.grid("conv2")
    qtbot.waitUntil(lambda: grid2._images.shape == (64, 3, 3) and grid1._images.shape == (32, 3, 3), timeout=15000)
    assert np.array_equal(grid1._images, weights["conv1"][:, 0])  # conv1 as before: its whole kernels
    strongest, which = strongest_slices(weights["conv2"])
    assert np.array_equal(grid2._images, strongest)
    # The strongest slice really is the one with the most weight.
    norms = np.square(weights["conv2"][9]).sum(axis=(1, 2))
    assert norms[which[9]] == norms.max()
    # A click on filter 9's tile (16 to a row) opens its 64 slices, one per conv2 input map.
    view.scroll_area.ensureWidgetVisible(grid2)
    qtbot.wait(20)
    rect = grid2.image_item.mapRectToScene(grid2.image_item.boundingRect())
    tile_w = rect.width() / (16 * 4 - 1)  # 16 tiles of 3 px with 1 px gaps
    scene_point = QPointF(rect.left() + (9 * 4 + 1.5) * tile_w, rect.top() + 1.5 * tile_w)
    qtbot.mouseClick(grid2.graphics.viewport(), Qt.MouseButton.LeftButton,
                     pos=grid2.graphics.mapFromScene(scene_point))
    slices = view.slices
    assert slices is not None and slices.isVisible() and (slices.layer, slices.index) == ("conv2", 9)
    qtbot.waitUntil(lambda: slices.grid._images.shape == (32, 3, 3), timeout=15000)
    assert np.array_equal(slices.grid._images, weights["conv2"][9])
    assert view.open_filter("conv1", 0) is None  # conv1's tile is already its whole filter
    slices.close()


def test_a_prediction_from_the_network_before_is_not_drawn_on_the_new_columns(qtbot, show):
    overview = show(NetworkOverview(), 420, 420)
    overview.set_spec(preset_spec("lenet5", DIGITS))
    overview.show_prediction(fake_prediction(lenet_spec()))  # same classes, another design: arrived late
    qtbot.wait(80)
    assert all(column.values is None for column in overview.columns)
    _shown(qtbot, overview, fake_prediction(preset_spec("lenet5", DIGITS)))
    assert overview.column("conv1").values.shape == (6, 28, 28)
