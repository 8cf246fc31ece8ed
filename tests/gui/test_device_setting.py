"""The Device setting of the training controls: remembered between windows, sent with every run, and a
device that is not here refused in one line (the status under Train and a message), nothing trained."""

from PySide6.QtCore import Qt

from bars import make_bars
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.tasks import TASKS, collection_dir
from cnn_desktop.core.training import device as device_module
from cnn_desktop.gui.device_setting import SETTING_KEY
from cnn_desktop.gui.window_settings import window_settings

TICKS = TASKS["ticks-crosses"]


def _fill(home) -> None:
    images, labels = make_bars(80, seed=5)
    store = DrawingStore(collection_dir(TICKS, home), TICKS.classes)
    store.add_many((TICKS.classes[label], image, None) for image, label in zip(images, labels))


def test_the_device_choice_is_offered_remembered_and_handed_to_the_session(qtbot, open_window, home):
    window = open_window()
    box = window.training.device
    assert [box.itemData(i) for i in range(box.count())] == ["auto", "cpu", "cuda", "mps"]
    assert box.currentData() == "auto" and window.session.device == "auto"  # the default
    box.setCurrentIndex(box.findData("cpu"))
    assert window.session.device == "cpu"
    assert window_settings(home).value(SETTING_KEY) == "cpu"
    window.close()
    again = open_window()
    assert again.training.device.currentData() == "cpu" and again.session.device == "cpu"


def test_a_missing_device_fails_the_run_in_one_line_and_keeps_the_model(qtbot, open_window, home, monkeypatch):
    monkeypatch.setattr(device_module, "available", lambda: ())  # whatever this machine has
    _fill(home)
    window = open_window("ticks-crosses")
    model = window.worker.engine.model
    controls = window.training
    controls.device.setCurrentIndex(controls.device.findData("cuda"))
    qtbot.mouseClick(controls.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controls.state == "failed", timeout=10000)
    line = controls.status.text()
    assert line.startswith("device cuda is not available here") and "\n" not in line
    assert window.statusBar().currentMessage() == line
    assert window.worker.engine.model is model and controls.start_button.isEnabled()
