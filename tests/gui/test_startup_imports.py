"""The window can show before torch is loaded: nothing the GUI thread imports pulls torch in
(the compute thread imports it, in the background)."""

import os
import subprocess
import sys


def run_child(code: str) -> str:
    """What ``code`` prints, run in a fresh interpreter (a window of its own, offscreen)."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_window_modules_do_not_import_torch():
    code = (
        "import sys\n"
        "import cnn_desktop.gui.app, cnn_desktop.gui.main_window\n"
        "print(sorted(m for m in ('torch', 'safetensors') if m in sys.modules))\n"
    )
    assert run_child(code) == "[]"


def test_once_torch_is_in_the_objects_alive_are_out_of_the_collectors_sight():
    # A full collection otherwise walks torch's ~170,000 objects: an 80-100 ms stall (worker.py).
    code = (
        "import gc, os, tempfile\n"
        "os.environ['CNN_DESKTOP_HOME'] = tempfile.mkdtemp()\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from cnn_desktop.gui.main_window import MainWindow\n"
        "window = MainWindow()\n"
        "window.worker.start()\n"
        "import time\n"
        "deadline = time.monotonic() + 60\n"
        "while window.worker.engine is None and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        "print(gc.get_freeze_count() > 100000, len(gc.get_objects()) < 100000)\n"
        "window.worker.shutdown()\n"
    )
    assert run_child(code).splitlines()[-1] == "True True"
