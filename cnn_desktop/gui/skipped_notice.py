"""What the collection leaves out, always in view: a status-bar button "3 files left out" that lists
each one with its reason.

A passing status message would be gone in seconds, and a dialog at every start would nag; a skipped
file stays skipped until someone acts, so its notice stays too, out of the way, until the folder is
clean.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from cnn_desktop.core.app.session import Session


class SkippedNotice(QPushButton):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._lines: tuple[str, ...] = ()
        self.details: QMessageBox | None = None
        self.setFlat(True)
        self.setStyleSheet("color: #b35c00;")
        self.setToolTip("Entries of the drawings folder that are not counted or trained on: click for the list")
        self.clicked.connect(self.show_details)
        self.hide()
        session.skipped_changed.connect(self.set_lines)

    def set_lines(self, lines: tuple[str, ...]) -> None:
        self._lines = tuple(lines)
        count = len(self._lines)
        self.setText(f"⚠ {count} file{'s' if count != 1 else ''} left out")
        self.setVisible(count > 0)
        if self.details is not None and self.details.isVisible():
            self.show_details()

    def show_details(self) -> None:
        store = self._session.store
        where = f" of {store.root}" if store is not None else ""
        text = (f"{len(self._lines)} entr{'ies' if len(self._lines) != 1 else 'y'} of the drawings folder{where} "
                "are left out: they are not counted, shown or trained on. Fix or remove them in a file manager; "
                "nothing here changes them.")
        if self.details is None:
            self.details = QMessageBox(QMessageBox.Icon.Information, "Left out of the collection", text,
                                       parent=self.window())
        self.details.setText(text)
        self.details.setDetailedText("\n".join(self._lines))
        self.details.open()
