"""The walkthrough: one filter sliding over the person's own drawing, then the activation and pooling
that follow it in this network (ReLU, tanh or sigmoid; max or average pooling; or none), the fully
connected layers and softmax, every number on screen.

Where it stands and all its arithmetic are Qt-free (``core/inspection/walkthrough_state.py`` and
``walkthrough.py``, numpy), on copies of the weights and activations the window already has from the
engine's Filters and Prediction messages: one filter over a 28x28 input is a few thousand
multiplications, well within a frame on the GUI thread. Here the controls forward clicks to that
state, and the canvas paints what the state hands it (QPainter: grids of coloured cells, with their
numbers where the cells are big enough).
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from cnn_desktop.core.app.messages import Filters, Prediction
from cnn_desktop.core.inspection.walkthrough_state import WalkthroughState
from cnn_desktop.core.network.spec import ModelSpec
from cnn_desktop.gui.inspection.walkthrough_canvas import StageCanvas
from cnn_desktop.gui.inspection.walkthrough_controls import WalkthroughControls


class WalkthroughView(QWidget):
    """The controls above the stage canvas, both showing one ``WalkthroughState``."""

    def __init__(self, parent: QWidget | None = None, state: WalkthroughState | None = None) -> None:
        super().__init__(parent)
        self.state = state if state is not None else WalkthroughState()
        self.controls = WalkthroughControls(self.state)
        self.canvas = StageCanvas()
        layout = QVBoxLayout(self)
        layout.addWidget(self.controls)
        layout.addWidget(self.canvas, 1)
        for event in (self.state.walk_changed, self.state.position_changed, self.state.channel_changed):
            event.connect(self._repaint)
        self._repaint()

    def set_data(self, spec: ModelSpec | None, prediction: Prediction | None, filters: Filters | None) -> None:
        """The network and drawing to walk through, from the session's latest messages."""
        image = prediction.image if prediction is not None else None
        self.state.set_data(spec, image, prediction.activations if prediction is not None else {},
                            prediction.classes if prediction is not None else (),
                            {name: (w, b) for name, w, b in filters.layers} if filters else {},
                            {name: (w, b) for name, w, b in filters.dense} if filters else {})

    def _repaint(self, *_) -> None:
        self.canvas.show_frame(self.state.frame())


class WalkthroughDialog(QDialog):
    """A non-modal window: keep drawing while it is open, it follows the drawing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Step through the network")
        self.setModal(False)
        self.view = WalkthroughView(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view)
        self.resize(1100, 720)

    def set_data(self, spec, prediction, filters) -> None:
        self.view.set_data(spec, prediction, filters)

    def closeEvent(self, event) -> None:
        self.view.state.play(False)
        super().closeEvent(event)
