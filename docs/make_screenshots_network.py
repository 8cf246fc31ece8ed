"""Regenerate the screenshot of Project > Network… (run under an X server, e.g. Xvfb):

    Xvfb :95 -screen 0 1280x800x24 & DISPLAY=:95 QT_QPA_PLATFORM=xcb python docs/make_screenshots_network.py

In a throwaway data folder it opens the window in Digits, opens the network editor, gives conv1 8
filters instead of 16 (as a person would type it: the rows, the totals and the JSON follow) and saves
docs/network-editor.png, the editor at its own size (1240x700) over the 1280x800 window. Nothing here runs in the
tests.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

DOCS = Path(__file__).resolve().parent
HOME = Path(tempfile.mkdtemp(prefix="cnn-desktop-shots-"))
os.environ["CNN_DESKTOP_HOME"] = str(HOME)

from cnn_desktop.gui.app import configure_pyqtgraph  # noqa: E402  (after CNN_DESKTOP_HOME is set)
from cnn_desktop.gui.main_window import MainWindow  # noqa: E402


def main() -> int:
    app = QApplication(sys.argv)
    configure_pyqtgraph()
    window = MainWindow(home=HOME)
    window.resize(1280, 800)
    window.show()
    window.first_run_hint.dismiss()

    def open_editor():
        editor = window.projects.edit_network()
        editor.select_layer(0)
        editor.form.set_field("filters", 8)

    def save():
        editor = window.projects.network_editor
        QApplication.processEvents()
        editor.grab().save(str(DOCS / "network-editor.png"))
        print("saved", DOCS / "network-editor.png")
        window.close()

    QTimer.singleShot(1500, open_editor)
    QTimer.singleShot(2500, save)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
