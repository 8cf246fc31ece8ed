"""Starting the desktop app: the QApplication, pyqtgraph's global options, the main window."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication
    import pyqtgraph as pg

    from cnn_desktop.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("cnn-desktop")
    app.setOrganizationName("cnn-desktop")
    pg.setConfigOptions(antialias=True, background="w", foreground="k", imageAxisOrder="row-major")
    window = MainWindow()
    window.show()
    return app.exec()
