"""GUI tests run without a display: Qt's offscreen platform renders into memory."""

import os

# Must happen before the QApplication exists (pytest-qt creates it lazily, after this import).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402  (after the platform is chosen)


@pytest.fixture
def show(qtbot):
    """Shows a widget at a given size (closed after the test) and waits until it is on screen."""
    def shown(widget, width=500, height=400):
        qtbot.addWidget(widget)
        widget.resize(width, height)
        widget.show()
        qtbot.waitExposed(widget)
        return widget
    return shown


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh data folder, and no bundled models: every window starts from a known, untrained network."""
    monkeypatch.setenv("CNN_DESKTOP_RESOURCES", str(tmp_path / "no-resources"))
    return tmp_path / "home"


@pytest.fixture
def open_window(qtbot, home):
    """Opens main windows on ``home`` in a given mode, once the engine has that mode's model; closes
    them after the test and checks that their compute threads ended."""
    from cnn_desktop.core.tasks import TASKS
    from cnn_desktop.gui.main_window import MainWindow

    windows = []

    def opener(mode="digits"):
        window = MainWindow(home=home)
        qtbot.addWidget(window)
        window.show()
        classes = TASKS[mode].classes
        if mode != "digits":
            window.session.switch_task(mode)
        qtbot.waitUntil(lambda: window.worker.engine is not None and window.worker.engine.model is not None
                        and window.worker.engine.model.classes == classes
                        and "Model:" in window.model_label.text(), timeout=10000)
        windows.append(window)
        return window

    yield opener
    for window in windows:
        window.close()
        assert not window.worker.running

