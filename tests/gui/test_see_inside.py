"""See inside, as a person uses it: receptive fields under the pointer, the heat map, "not sure",
the step-by-step dialog, the mistakes of the collection, and the training timeline."""

import numpy as np
from PySide6.QtCore import Qt

from cnn_desktop.core.app.messages import StopTraining
from cnn_desktop.core.tasks import collection_dir
from cnn_desktop.core.tasks import TASKS
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.gui.inspection.overlays import box_rect
from cnn_desktop.core.inspection.walkthrough_state import CLASSIFIER, CONV, POOL, RELU
from cnn_desktop.gui.panels.probabilities import ProbabilitiesPanel
from gui_helpers import draw

TICKS = TASKS["ticks-crosses"]
SEVEN = [(120, 90), (330, 90), (260, 220), (200, 380)]


def _drawn(qtbot, window, points=SEVEN):
    draw(qtbot, window.canvas, points)
    wanted = window.session.last_request_id
    qtbot.waitUntil(lambda: window.session.shown_request_id >= wanted and window.session.prediction is not None
                    and window.session.prediction.image is not None and window.session.filters is not None,
                    timeout=5000)
    return window.session.prediction


# Pointing at a unit (its value, its field on the drawing, its kernel): tests/gui/test_network_overview.py.


def test_the_heat_map_is_asked_for_only_when_switched_on_and_drawn_over_the_canvas(qtbot, open_window):
    window = open_window()
    prediction = _drawn(qtbot, window)
    assert prediction.saliency is None and window.canvas._overlay is None
    window.inspection.saliency.toggle.setChecked(True)  # re-sends the drawing, asking for the heat map
    qtbot.waitUntil(lambda: window.session.prediction.saliency is not None, timeout=5000)
    shown = window.session.prediction
    assert shown.saliency_class == int(np.argmax(shown.probabilities)) and shown.saliency_method == "gradcam"
    if shown.saliency.max() > 0:
        assert window.canvas._overlay is not None
        assert window.canvas._overlay_rect == box_rect(shown.to_input, (0, 0, 27, 27))
    window.inspection.saliency.class_box.setCurrentIndex(window.inspection.saliency.class_box.findData(3))
    window.inspection.saliency.method_box.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.session.prediction.saliency_class == 3
                    and window.session.prediction.saliency_method == "gradient-x-input", timeout=5000)
    assert window.canvas._overlay is not None and "for 3" in window.inspection.saliency.legend.text()
    draw(qtbot, window.canvas, [(100, 300), (300, 300)])  # drawing on keeps the heat map coming
    wanted = window.session.last_request_id
    qtbot.waitUntil(lambda: window.session.shown_request_id >= wanted, timeout=5000)
    assert window.session.prediction.saliency is not None
    window.inspection.saliency.toggle.setChecked(False)
    assert window.canvas._overlay is None
    qtbot.waitUntil(lambda: window.session.prediction.saliency is None, timeout=5000)


def test_not_sure_below_the_threshold_set_with_the_slider(qtbot, open_window):
    panel = ProbabilitiesPanel(list("0123456789"))
    qtbot.addWidget(panel)
    p = np.full(10, 0.55 / 9)
    p[7] = 0.45
    panel.show_probabilities(p)
    qtbot.waitUntil(lambda: panel.headline.text() == "Not sure — maybe 7 (45%)", timeout=1000)
    panel.set_threshold(0.4)
    qtbot.waitUntil(lambda: panel.headline.text() == "Guess: 7  (45%)", timeout=1000)
    assert panel.threshold_line.value() == 0.4

    window = open_window()  # an untrained network spreads its bets: it is not sure
    _drawn(qtbot, window)
    qtbot.waitUntil(lambda: window.probabilities.headline.text().startswith("Not sure — maybe"), timeout=5000)
    window.inspection.threshold.slider.setValue(0)
    assert window.probabilities.threshold == 0 and window.inspection.threshold.label.text() == "Not sure below 0%"
    qtbot.waitUntil(lambda: window.probabilities.headline.text().startswith("Guess:"), timeout=5000)


def test_the_step_through_dialog_walks_the_real_numbers_of_the_drawing(qtbot, open_window):
    window = open_window()
    prediction = _drawn(qtbot, window)
    qtbot.mouseClick(window.step_through_button, Qt.MouseButton.LeftButton)
    dialog = window.inspection.walkthrough
    state, controls, canvas = dialog.view.state, dialog.view.controls, dialog.view.canvas
    qtbot.waitUntil(lambda: dialog.isVisible() and state.walk is not None, timeout=5000)
    walk, shown = state.walk, window.session.prediction
    assert walk.layer == "conv1" and walk.filter == 0
    np.testing.assert_allclose(walk.conv, shown.activations["conv1"][0], atol=1e-4)
    np.testing.assert_allclose(walk.pooled, shown.activations["pool1"][0], atol=1e-4)
    assert state.stage == CONV and state.position > 0  # it starts at the first window touching ink
    assert canvas.frame.walk is walk and canvas.frame.position == state.position  # what the canvas paints
    start = state.position
    qtbot.mouseClick(controls.forward_button, Qt.MouseButton.LeftButton)
    assert state.position == start + 1 and controls.slider.value() == start + 1
    controls.filter_spin.setValue(3)
    np.testing.assert_allclose(state.walk.relu, shown.activations["relu1"][3], atol=1e-4)

    controls.speed_box.setCurrentIndex(2)  # fast
    state.set_stage(CONV, state.stage_length() - 3)
    controls.play_button.setChecked(True)  # plays on into the next stage
    qtbot.waitUntil(lambda: state.stage == RELU, timeout=3000)
    controls.play_button.setChecked(False)
    state.set_stage(POOL, state.stage_length(POOL) - 1)
    state.step(1)
    assert state.stage == CLASSIFIER and [s.name for s in state.classifier] == ["flatten", "fc1", "relu3", "out", "softmax"]
    np.testing.assert_allclose(state.classifier[-1].values, shown.probabilities, atol=1e-4)
    for stage in (CONV, RELU, POOL, CLASSIFIER):  # every stage paints without error
        state.set_stage(stage, 2)
        canvas.grab()

    controls.layer_box.setCurrentIndex(1)  # conv2 reads the 16 pooled maps
    assert state.walk.layer == "conv2" and state.walk.kernel.shape == (16, 5, 5) and controls.channel_spin.isVisible()
    np.testing.assert_allclose(state.walk.pooled, shown.activations["pool2"][state.walk.filter], atol=1e-4)
    canvas.grab()
    window.canvas.clear()
    qtbot.waitUntil(lambda: state.walk is None, timeout=5000)
    assert "Draw something" in state.missing_reason
    dialog.close()
    assert prediction is not None


def test_the_walkthrough_without_a_drawing_says_why_and_does_not_play(qtbot):
    from cnn_desktop.gui.inspection.walkthrough_view import WalkthroughDialog

    dialog = WalkthroughDialog()
    qtbot.addWidget(dialog)
    controls = dialog.view.controls
    assert dialog.view.canvas.frame.walk is None and "Draw something" in dialog.view.canvas.frame.missing_reason
    assert not controls.forward_button.isEnabled() and controls.position_label.text() == ""
    controls.play_button.setChecked(True)  # as a click would, were it enabled
    assert not controls.play_button.isChecked() and not controls.timer.isActive()
    dialog.view.canvas.grab()


def _ticks_collection(home, bars_collection):
    images, labels = DrawingStore(bars_collection, TICKS.classes).arrays()
    store = DrawingStore(collection_dir(TICKS, home), TICKS.classes)
    store.add_many((TICKS.classes[label], image, None) for image, label in zip(images, labels))
    return labels


def test_the_mistakes_panel_lists_a_cells_drawings_to_relabel_or_delete(qtbot, open_window, home, bars_collection):
    labels = _ticks_collection(home, bars_collection)
    window = open_window("ticks-crosses")
    panel = window.inspection.confusion
    window.docks["mistakes"].raise_()
    qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=10000)
    result = panel._result
    assert result.confusion.sum() == len(labels)  # never trained on this collection: all are checked
    assert "never trained on these" in panel.summary.text()
    true, guess = map(int, np.argwhere(result.confusion > 0)[0])
    assert panel.table.item(true, guess).text() == str(result.confusion[true, guess])
    panel.table.cellClicked.emit(true, guess)
    assert panel.list.count() == result.confusion[true, guess]
    assert panel.delete_button.isEnabled()
    before = window.session.store.counts()
    panel.list.item(0).setSelected(True)
    other = TICKS.classes[1 - true]
    panel.relabel_selected(other)
    assert window.session.store.counts()[other] == before[other] + 1
    assert f"{other} ({before[other] + 1})" in window.label_bar.button(other).text()
    panel.list.item(0).setSelected(True)
    panel.delete_selected()
    assert sum(window.session.store.counts().values()) == len(labels) - 1
    assert "Retrain" in panel.cell_label.text()
    with qtbot.waitSignal(window.training.start_requested, timeout=2000):
        qtbot.mouseClick(panel.retrain_button, Qt.MouseButton.LeftButton)
    window.worker.submit(StopTraining())


def test_the_timeline_scrubs_back_while_training_goes_on(qtbot, open_window, home, bars_collection):
    _ticks_collection(home, bars_collection)
    window = open_window("ticks-crosses")
    _drawn(qtbot, window, [(120, 240), (180, 300), (330, 90)])
    timeline = window.inspection.timeline
    assert not timeline.slider.isEnabled()
    window.training.epochs.setValue(500)
    window.training.batch_size.setValue(8)
    qtbot.mouseClick(window.training.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: timeline.slider.isEnabled() and window.worker.engine.trainer is not None
                    and window.worker.engine.trainer.step_count > 3, timeout=10000)
    plot_height, label_height = window.curves.loss_plot.height(), timeline.label.height()
    timeline.slider.setValue(0)  # before training
    qtbot.waitUntil(lambda: window.session.prediction.snapshot == 0 and window.session.filters.snapshot == 0,
                    timeout=5000)
    assert window.inspection.snapshot_label.isVisible() and "before training" in window.inspection.snapshot_label.text()
    assert "before training" in timeline.label.text() and timeline.now_button.isEnabled()
    # The moment's words never take height from the curves (a third line once pushed their axes under
    # the line beneath them).
    timeline.label.setText("step 12345 · epoch 1234.5 · loss 0.123 (dashed line) " * 3)
    qtbot.wait(20)
    assert timeline.label.height() == label_height and window.curves.loss_plot.height() == plot_height
    steps = window.worker.engine.trainer.step_count
    qtbot.waitUntil(lambda: window.worker.engine.trainer.step_count > steps + 3, timeout=5000)  # undisturbed
    assert window.session.prediction.snapshot == 0  # live refreshes are held back while a snapshot shows
    qtbot.mouseClick(timeline.now_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session.prediction.snapshot is None and window.session.filters.snapshot is None,
                    timeout=5000)
    assert not window.inspection.snapshot_label.isVisible() and timeline.showing is None
    qtbot.mouseClick(window.training.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "stopped", timeout=5000)
