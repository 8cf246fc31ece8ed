"""The window can show before torch is loaded: nothing the GUI thread imports pulls torch in
(the compute thread imports it, in the background)."""

import subprocess
import sys


def test_the_window_modules_do_not_import_torch():
    code = (
        "import sys\n"
        "import cnn_desktop.gui.app, cnn_desktop.gui.main_window\n"
        "print(sorted(m for m in ('torch', 'safetensors') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
