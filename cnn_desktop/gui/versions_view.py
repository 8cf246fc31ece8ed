"""The model versions of the task's project (View > Model versions), and the question a stopped run
asks. The list is the session's (``versions_changed``); choosing one calls ``Session.use_version``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QMessageBox, QPushButton, QVBoxLayout, QWidget

from cnn_desktop.core.app.session import Session

KEEP_AND_USE = "Keep and use it"
KEEP_VERSION_ONLY = "Keep it as a version only"
DISCARD = "Discard"


def version_text(row: dict) -> str:
    # Which figure it is matters as much as the figure: a k-fold estimate judged every drawing once.
    how = "k-fold estimate" if row.get("measured") == "kfold" else "validation"
    accuracy = f" · {how} {row['accuracy']:.0%}" if isinstance(row.get("accuracy"), (int, float)) else ""
    date = row["date"].replace("T", " ")[:16]
    # "in use" right after the name: at the dock's usual width the end of a line is cut off.
    mark = " (in use)" if row["current"] else ""
    reason = f"{row['reason']}: {row['note']}" if row.get("note") else row["reason"]
    return f"{row['version']}{mark} · {reason}{accuracy} · {date}"


class VersionsView(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.list = QListWidget()
        self.list.setWordWrap(True)  # a version's line is longer than the dock is wide: wrap, never cut
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemDoubleClicked.connect(lambda _: self.use_selected())
        self.use_button = QPushButton("Use this version")
        self.use_button.setToolTip("Make the selected version current: it is used now and at the next start")
        self.use_button.clicked.connect(self.use_selected)
        self.note = QLabel("Every trained model is kept as a version; nothing is overwritten.")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.use_button)
        layout.addWidget(self.note)
        session.versions_changed.connect(self.show_versions)
        self.show_versions(session.versions)

    def show_versions(self, rows: list[dict]) -> None:
        self.list.clear()
        for row in rows:
            item = QListWidgetItem(version_text(row))
            item.setData(Qt.ItemDataRole.UserRole, row["version"])
            if row["current"]:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)

    def use_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.session.use_version(item.data(Qt.ItemDataRole.UserRole))


def ask_keep_stopped(parent: QWidget, session: Session, token: Path) -> QMessageBox:
    """The non-blocking question after a stopped run; each answer calls the session."""
    box = QMessageBox(QMessageBox.Icon.Question, "cnn-desktop",
                      "Training was stopped early. Keep the model it trained?", parent=parent)
    box.setInformativeText("It is kept as a new version either way unless you discard it; "
                           "\"Keep and use it\" also makes it the model in use.")
    answers = {
        box.addButton(KEEP_AND_USE, QMessageBox.ButtonRole.AcceptRole): lambda: session.keep_stopped_run(token, True),
        box.addButton(KEEP_VERSION_ONLY, QMessageBox.ButtonRole.RejectRole):
            lambda: session.keep_stopped_run(token, False),
        box.addButton(DISCARD, QMessageBox.ButtonRole.DestructiveRole): lambda: session.discard_stopped_run(token),
    }
    box.buttonClicked.connect(lambda button: answers.get(button, lambda: None)())
    box.open()
    return box
