"""The app as a person uses it: draw, see the guess, label, train, watch, pause, stop, close."""

import numpy as np
from PySide6.QtCore import Qt

from cnn_desktop.core.network.checkpoint import load_model, save_model
from cnn_desktop.core.app.messages import TrainingStarted, UseModel
from cnn_desktop.core.network.model import build_model, predict_proba
from cnn_desktop.core.projects.builtin import builtin_project_dir
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.tasks import collection_dir
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.tasks import TASKS
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.synth import generate_ticks_crosses
from cnn_desktop.core.data.ticks_crosses import draw_cross, draw_tick
from cnn_desktop.gui.versions_view import KEEP_VERSION_ONLY
from gui_helpers import draw

TICKS = TASKS["ticks-crosses"]
TICK_POINTS = [(120, 240), (150, 270), (180, 300), (230, 230), (280, 160), (330, 90)]


def _fill_collection(home, images, labels):
    store = DrawingStore(collection_dir(TICKS, home), TICKS.classes)
    store.add_many((TICKS.classes[label], image, None) for image, label in zip(images, labels))
    return store


def _versions(home, task=TICKS):
    """(version, reason) of every version of the task's project, and the current one's name."""
    folder = builtin_project_dir(task, home)
    if not folder.exists():
        return [], None
    project = Project.open(folder, read_only=True)
    return [(r["version"], r["reason"]) for r in project.versions()], project.current_version()


def _drawings(home, task=TICKS):
    return DrawingStore(builtin_project_dir(task, home) / "drawings", task.classes)


def _grid_image(panel, layer):
    return np.array(panel.grid(layer).image_item.image, copy=True)


def test_drawing_with_the_mouse_shows_live_probabilities_during_the_stroke(qtbot, open_window):
    window = open_window()
    assert "Draw something" in window.probabilities.headline.text()
    draw(qtbot, window.canvas, [(150, 100), (250, 120), (200, 250), (180, 330)], release=False)
    qtbot.waitUntil(lambda: window.probabilities.headline.text().startswith(("Guess", "Not sure")), timeout=5000)
    assert window.canvas.strokes().points().shape[0] >= 3  # still mid-stroke: the guess came before release
    window.canvas.clear()
    qtbot.waitUntil(lambda: "Draw something" in window.probabilities.headline.text(), timeout=5000)


def test_feature_maps_follow_the_drawing(qtbot, open_window):
    window = open_window()
    draw(qtbot, window.canvas, TICK_POINTS)
    qtbot.waitUntil(lambda: window.feature_maps.grid("conv1").image_item.image is not None, timeout=5000)
    first = _grid_image(window.feature_maps, "pool2")
    draw(qtbot, window.canvas, [(300, 80), (120, 300)])
    qtbot.waitUntil(lambda: not np.array_equal(_grid_image(window.feature_maps, "pool2"), first, equal_nan=True),
                    timeout=5000)


def test_label_keys_add_the_drawing_to_the_collection_and_clear_the_canvas(qtbot, open_window, home):
    window = open_window()
    draw(qtbot, window.canvas, TICK_POINTS)
    qtbot.keyClick(window, Qt.Key.Key_7)
    assert window.session.store.counts()["7"] == 1 and window.canvas.strokes().is_empty
    assert "7 (1)" in window.label_bar.button("7").text()
    qtbot.keyClick(window, Qt.Key.Key_3)  # an empty canvas adds nothing
    assert len(window.session.store) == 1

    window.session.switch_task("ticks-crosses")
    for key, label in [(Qt.Key.Key_T, "tick"), (Qt.Key.Key_X, "cross"), (Qt.Key.Key_X, "cross")]:
        window.canvas.set_strokes(draw_tick(np.random.default_rng(0)))
        qtbot.keyClick(window, key)
    assert window.session.store.counts() == {"tick": 1, "cross": 2}
    stored = _drawings(home).examples("tick")[0]
    assert window.session.store.strokes(stored.id) is not None  # the vector form is kept too


def test_the_collection_view_deletes_and_relabels(qtbot, open_window, home):
    window = open_window("ticks-crosses")
    for key in (Qt.Key.Key_T, Qt.Key.Key_T, Qt.Key.Key_X):
        window.canvas.set_strokes(draw_tick(np.random.default_rng(1)))
        qtbot.keyClick(window, key)
    window.docks["collection"].raise_()
    view = window.collection
    view.refresh()
    assert view.list.count() == 3
    view.list.item(0).setSelected(True)  # the newest: the cross
    view.relabel_selected("tick")
    assert window.session.store.counts() == {"tick": 3, "cross": 0}
    assert "tick (3)" in window.label_bar.button("tick").text()
    view.list.item(0).setSelected(True)
    view.delete_selected()
    assert window.session.store.counts()["tick"] == 2 and view.list.count() == 2


def test_training_moves_the_curves_filters_and_feature_maps(qtbot, open_window, home, bars_collection):
    store = DrawingStore(bars_collection, TICKS.classes)
    images, labels = store.arrays()
    _fill_collection(home, images, labels)
    window = open_window("ticks-crosses")
    window.canvas.set_strokes(draw_tick(np.random.default_rng(2)))
    qtbot.waitUntil(lambda: window.feature_maps.grid("conv2").image_item.image is not None, timeout=5000)
    filters_before = _grid_image(window.filters, "conv1")
    maps_before = _grid_image(window.feature_maps, "conv2")

    window.training.epochs.setValue(3)
    qtbot.mouseClick(window.training.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "finished", timeout=60000)

    steps = window.curves.items["step_loss"]
    qtbot.waitUntil(lambda: steps.xData is not None and len(steps.xData) == window.training.progress.maximum(),
                    timeout=5000)  # every step's loss is on the curve (redrawn at a bounded rate)
    assert len(window.curves.items["val_accuracy"].xData) == 3  # one validation point per epoch
    assert not np.array_equal(_grid_image(window.filters, "conv1"), filters_before, equal_nan=True)
    assert not np.array_equal(_grid_image(window.feature_maps, "conv2"), maps_before, equal_nan=True)
    assert window.training.progress.value() == window.training.progress.maximum()
    qtbot.waitUntil(lambda: _versions(home) == ([("v0001", "trained")], "v0001"), timeout=5000)  # kept, in use


def _steps(window):
    trainer = window.worker.engine.trainer
    return trainer.step_count if trainer else None


def _round_trip(qtbot, window, strokes):
    """Send a drawing and wait for its answer: proof that the engine went round its loop."""
    with qtbot.waitSignal(window.canvas.strokes_changed, timeout=5000):  # the canvas may throttle it
        window.canvas.set_strokes(strokes)
    wanted = window.session.last_request_id
    qtbot.waitUntil(lambda: window.session.shown_request_id >= wanted, timeout=5000)


def test_pause_resume_and_stop(qtbot, open_window, home, bars_collection):
    images, labels = DrawingStore(bars_collection, TICKS.classes).arrays()
    _fill_collection(home, images, labels)
    window = open_window("ticks-crosses")
    window.training.epochs.setValue(500)
    window.training.batch_size.setValue(8)
    qtbot.mouseClick(window.training.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (_steps(window) or 0) > 3, timeout=10000)

    qtbot.mouseClick(window.training.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "paused", timeout=5000)
    assert window.training.pause_button.text() == "Resume"
    paused_at = _steps(window)
    for seed in range(2):  # two full rounds of the engine's loop: a running trainer would have stepped
        _round_trip(qtbot, window, draw_cross(np.random.default_rng(seed)))
    assert _steps(window) == paused_at

    qtbot.mouseClick(window.training.pause_button, Qt.MouseButton.LeftButton)
    # The engine steps as soon as it resumes; its "running" reaches the window a moment later.
    qtbot.waitUntil(lambda: (_steps(window) or 0) > paused_at and window.training.state == "running", timeout=5000)
    for _ in range(3):  # repeated clicks do no harm
        qtbot.mouseClick(window.training.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "stopped", timeout=5000)
    assert window.worker.engine.trainer is None and window.training.start_button.isEnabled()


def test_a_run_stopped_early_and_kept_as_a_version_only_leaves_the_current_one(qtbot, open_window, home,
                                                                                bars_collection):
    images, labels = DrawingStore(bars_collection, TICKS.classes).arrays()
    _fill_collection(home, images, labels)
    window = open_window("ticks-crosses")
    window.training.epochs.setValue(1)
    qtbot.mouseClick(window.training.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _versions(home)[1] == "v0001", timeout=30000)
    window.training.epochs.setValue(500)
    qtbot.mouseClick(window.training.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (_steps(window) or 0) > 2, timeout=10000)
    qtbot.mouseClick(window.training.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.keep_question is not None and window.keep_question.isVisible(), timeout=10000)
    [only] = [b for b in window.keep_question.buttons() if b.text() == KEEP_VERSION_ONLY]
    only.click()
    assert _versions(home) == ([("v0001", "trained"), ("v0002", "stopped early")], "v0001")
    assert [r["current"] for r in window.session.versions] == [False, True]
    assert "v0002" in window.versions.list.item(0).text() and "in use" in window.versions.list.item(1).text()
    qtbot.waitUntil(lambda: "v0001" in window.model_label.text(), timeout=5000)  # the current one is back

    window.versions.list.setCurrentRow(0)  # and the list makes the kept one current
    qtbot.mouseClick(window.versions.use_button, Qt.MouseButton.LeftButton)
    assert _versions(home)[1] == "v0002"
    qtbot.waitUntil(lambda: "v0002" in window.model_label.text(), timeout=5000)
    window.session.switch_task("digits")  # the answered question is not asked again, nor does it break
    assert not window.keep_question.isVisible()


def test_a_second_window_on_the_same_project_is_read_only_and_says_so(qtbot, open_window, home):
    first = open_window("ticks-crosses")
    second = open_window("ticks-crosses")
    assert second.session.read_only and not first.session.read_only
    qtbot.waitUntil(lambda: second._message_box is not None and second._message_box.isVisible(), timeout=5000)
    assert "open in another window" in second._message_box.text() and "read-only" in second._message_box.text()
    second._message_box.close()
    second.canvas.set_strokes(draw_tick(np.random.default_rng(0)))
    assert not second.session.add_drawing("tick")  # what the label key calls
    assert second._message_box.isVisible() and "labelling is off here" in second._message_box.text()
    assert not second.canvas.strokes().is_empty
    second._message_box.close()
    qtbot.mouseClick(second.training.start_button, Qt.MouseButton.LeftButton)
    assert second.training.state == "failed" and second.training.start_button.isEnabled()  # refused, not stuck
    assert "training is off here" in second._message_box.text()
    assert first.session.store.counts() == {"tick": 0, "cross": 0}


def test_switching_mode_mid_training_stops_and_keeps_that_modes_model(qtbot, open_window, home, bars_collection):
    images, labels = DrawingStore(bars_collection, TICKS.classes).arrays()
    _fill_collection(home, images, labels)
    window = open_window("ticks-crosses")
    window.training.epochs.setValue(500)
    qtbot.mouseClick(window.training.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (_steps(window) or 0) > 2, timeout=10000)
    window.mode_box.setCurrentIndex(window.mode_box.findData("digits"))
    qtbot.waitUntil(lambda: window.training.state == "stopped", timeout=10000)
    qtbot.waitUntil(lambda: _versions(home) == ([("v0001", "stopped early")], None), timeout=10000)
    qtbot.waitUntil(lambda: window.worker.engine.model.classes == TASKS["digits"].classes, timeout=10000)
    kept = builtin_project_dir(TICKS, home) / "models" / "v0001" / "model.safetensors"
    assert load_model(kept).model.classes == TICKS.classes  # kept as a version, not made current
    assert _versions(home, TASKS["digits"]) == ([], None)


def test_closing_during_training_stops_the_thread_and_keeps_model_and_collection(qtbot, open_window, home,
                                                                                 bars_collection):
    images, labels = DrawingStore(bars_collection, TICKS.classes).arrays()
    _fill_collection(home, images, labels)
    window = open_window("ticks-crosses")
    window.training.epochs.setValue(1000)
    qtbot.mouseClick(window.training.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (_steps(window) or 0) > 2, timeout=10000)
    window.close()
    assert not window.worker.running  # close() waits at most a second for the thread
    [incoming] = (builtin_project_dir(TICKS, home) / "models").glob(".incoming-*.safetensors")
    assert load_model(incoming).model.classes == TICKS.classes  # a version at the next start
    assert len(_drawings(home)) == len(labels)


def test_ten_ticks_and_ten_crosses_then_train_tells_new_ones_apart(qtbot, open_window, home):
    window = open_window("ticks-crosses")
    drawings, labels = generate_ticks_crosses(10, seed=11)
    for strokes, label in zip(drawings, labels):
        window.canvas.set_strokes(strokes)
        qtbot.keyClick(window, Qt.Key.Key_T if label == 0 else Qt.Key.Key_X)
    assert window.session.store.counts() == {"tick": 10, "cross": 10}
    window.training.from_scratch.setChecked(True)
    window.training.epochs.setValue(40)
    window.training.batch_size.setValue(8)
    labels_while_training = []  # the model's name as the run starts (this slot runs after the window's)
    window.worker.message.connect(lambda m: isinstance(m, TrainingStarted)
                                  and labels_while_training.append(window.model_label.text()))
    qtbot.mouseClick(window.training.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "finished", timeout=120000)
    assert labels_while_training == ["Model: a new network, training from scratch"]  # not the old model's name
    assert "trained in the app" in window.model_label.text()

    new_drawings, new_labels = generate_ticks_crosses(50, seed=12)
    images = np.stack([preprocess(s) for s in new_drawings])
    accuracy = (predict_proba(window.worker.engine.model, images).argmax(1) == new_labels).mean()
    assert accuracy >= 0.9
    _round_trip(qtbot, window, new_drawings[int(np.flatnonzero(new_labels == 0)[0])])
    # The guess, or, when the runner-up is close, both with tick first ("tick or cross?").
    qtbot.waitUntil(lambda: window.probabilities.headline.text().startswith(("Guess: tick", "tick or cross?")),
                    timeout=5000)


def test_the_trained_model_and_collection_come_back_at_the_next_launch(qtbot, open_window, home, bars_collection):
    images, labels = DrawingStore(bars_collection, TICKS.classes).arrays()
    _fill_collection(home, images, labels)
    window = open_window("ticks-crosses")
    window.training.epochs.setValue(1)
    qtbot.mouseClick(window.training.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _versions(home)[1] == "v0001", timeout=30000)
    window.close()

    again = open_window("ticks-crosses")
    qtbot.waitUntil(lambda: "your trained model (v0001)" in again.model_label.text(), timeout=10000)
    assert again.session.store.counts() == {"tick": int((labels == 0).sum()), "cross": int((labels == 1).sum())}


def test_a_broken_model_file_is_a_message_not_a_crash(qtbot, open_window, tmp_path):
    window = open_window()
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"\x00" * 3)
    window.worker.submit(UseModel(bad, window.session.task.spec(), "broken", fallback_to_fresh=False))
    qtbot.waitUntil(lambda: window._message_box is not None and window._message_box.isVisible(), timeout=5000)
    assert str(bad) in window._message_box.text()
    window._message_box.close()
    draw(qtbot, window.canvas, TICK_POINTS)  # and the app still works
    qtbot.waitUntil(lambda: window.probabilities.headline.text().startswith(("Guess", "Not sure")), timeout=5000)


def test_only_a_model_file_that_loads_becomes_the_persons_model(qtbot, open_window, home, tmp_path):
    window = open_window("ticks-crosses")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    window.session.open_model(bad)
    qtbot.waitUntil(lambda: window._message_box is not None and window._message_box.isVisible(), timeout=5000)
    window._message_box.close()
    window.session.switch_task("digits")
    window.session.switch_task("ticks-crosses")
    qtbot.waitUntil(lambda: window.worker.engine.model.classes == TICKS.classes, timeout=5000)
    assert _versions(home) == ([], None)  # the refused file left nothing to adopt

    good = tmp_path / "good.safetensors"
    save_model(good, build_model(TICKS.spec(), seed=4))
    window.session.open_model(good)
    assert _versions(home) == ([("v0001", "imported")], "v0001")  # a new current version
    qtbot.waitUntil(lambda: "good.safetensors" in window.model_label.text(), timeout=5000)


def test_the_compute_thread_starts_after_the_first_frame_and_never_after_closing(qtbot, home):
    from cnn_desktop.gui.main_window import MainWindow

    window = MainWindow(home=home)
    qtbot.addWidget(window)
    assert not window.worker.started  # built, not shown: torch is not being imported yet
    window.show()
    assert not window.worker.started  # not before the first frame is painted
    qtbot.waitUntil(lambda: window.worker.engine is not None and window.worker.engine.model is not None, timeout=10000)
    window.close()
    assert not window.worker.running

    never_shown = MainWindow(home=home)
    qtbot.addWidget(never_shown)
    never_shown.close()
    never_shown.show()  # a show after close (or the fallback timer) must not bring the thread back
    qtbot.wait(50)
    assert not never_shown.worker.started and never_shown.worker.wait(0.1)
