"""Starting the desktop app: the QApplication, pyqtgraph's global options, the main window."""

from __future__ import annotations

import sys


def configure_pyqtgraph() -> None:
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True, background="w", foreground="k", imageAxisOrder="row-major")


def main(argv: list[str] | None = None) -> int:
    from cnn_desktop.gui.display_check import window_problem

    # Before Qt: without a display or the X libraries it would abort with a misleading message.
    problem = window_problem()
    if problem is not None:
        print(f"cnn-desktop: error: {problem}", file=sys.stderr)
        return 2  # the command line's status for bad input or a bad setup

    from PySide6.QtWidgets import QApplication

    from cnn_desktop.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("cnn-desktop")
    app.setOrganizationName("cnn-desktop")
    configure_pyqtgraph()
    window = MainWindow()
    window.show()
    code = app.exec()
    # The window is gone; if it closed while torch was still loading in the compute thread, let the
    # import finish rather than tear it down mid-way at interpreter exit (which prints a traceback).
    window.worker.wait(10.0)
    return code
