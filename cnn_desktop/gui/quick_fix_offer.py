"""The quick fix's offer, in the status bar: "Teach it your 1 now? (a few seconds)  [Teach it] [Not now]".

It appears when a label key stored a drawing the network misread or was torn about (the session's
``quick_fix_offered``), and never blocks: the person may ignore it and go on drawing and labelling
(each further correction joins the same offer). "Teach it" asks the session to run the fine-tune, in
the engine's thread; it then shows in the Training dock like any run, and is kept as a new version.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from cnn_desktop.core.app.quick_fix import QUICK_FIX_STEPS, Offer
from cnn_desktop.core.app.session import Session


class QuickFixOffer(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.steps = QUICK_FIX_STEPS  # the fine-tune's length (tests make it tiny)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setStyleSheet("color: #b35c00;")  # the amber of a borderline answer
        # Tool buttons, raised only under the pointer: no taller than the status bar's text, so that the
        # bar (and the canvas above it) keeps its height when the offer comes and goes.
        self.teach_button = QToolButton(text="Teach it", autoRaise=True)
        self.teach_button.setToolTip("Fine-tune the network on your corrected drawings, mixed with other "
                                     "drawings so that it keeps the rest; kept as a new version")
        self.dismiss_button = QToolButton(text="Not now", autoRaise=True)
        for widget in (self.label, self.teach_button, self.dismiss_button):
            row.addWidget(widget)
        self.teach_button.clicked.connect(self.accept)
        self.dismiss_button.clicked.connect(self.hide)
        session.quick_fix_offered.connect(self.show_offer)
        self.hide()

    def show_offer(self, offer: Offer | None) -> None:
        if offer is None:
            self.hide()
            return
        self.label.setText(offer.text)
        self.show()

    def accept(self) -> None:
        self.hide()
        self.session.start_quick_fix(self.steps)
