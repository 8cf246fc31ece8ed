"""All the "see inside" views, subscribed to the session in one place.

The window creates one ``InspectionViews`` and puts its widgets where they belong; each view listens
to the session's events (the prediction, the filters, the model, the timeline, the evaluation) and
calls its methods for what the person asks (a heat map, a snapshot, the mistakes). Nothing here asks
another widget for state.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QWidget

from cnn_desktop.core.app.messages import ModelReady, Prediction
from cnn_desktop.core.app.session import Session
from cnn_desktop.gui.inspection.confidence import ThresholdSlider
from cnn_desktop.gui.inspection.confusion_view import ConfusionPanel
from cnn_desktop.gui.inspection.overlays import OverlayManager
from cnn_desktop.gui.inspection.saliency import SaliencyControls
from cnn_desktop.gui.inspection.timeline import TimelineBar
from cnn_desktop.gui.inspection.walkthrough_view import WalkthroughDialog


class InspectionViews(QObject):
    def __init__(self, session: Session, canvas, input_view, feature_maps, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.session = session

        self.overlays = OverlayManager(canvas, input_view, self)
        # The unit under the pointer in the network overview: what it sees, outlined on the drawing.
        feature_maps.unit_hovered.connect(lambda unit: self.overlays.set_field(unit.box if unit is not None else None))

        self.saliency = SaliencyControls()
        self.saliency.changed.connect(self._saliency_changed)
        self.threshold = ThresholdSlider(session)

        self.snapshot_label = QLabel("")
        self.snapshot_label.setWordWrap(True)
        self.snapshot_label.setStyleSheet("color: #b35c00; font-weight: bold;")
        self.snapshot_label.hide()
        self.timeline = TimelineBar()
        self.timeline.show_snapshot.connect(session.show_snapshot)

        self.confusion = ConfusionPanel()
        self.confusion.evaluate_requested.connect(self.evaluate_collection)
        self.walkthrough: WalkthroughDialog | None = None

        session.task_changed.connect(self._task_changed)
        session.model_changed.connect(self._model_changed)
        session.prediction_changed.connect(self._show_prediction)
        session.filters_changed.connect(self._show_filters)
        session.timeline_changed.connect(self.timeline.set_timeline)
        session.evaluation_ready.connect(self.confusion.show_result)

    # --- what the person asks for ---

    def open_walkthrough(self) -> WalkthroughDialog:
        if self.walkthrough is None:
            self.walkthrough = WalkthroughDialog(self._parent)
        self._update_walkthrough(force=True)
        self.walkthrough.show()
        self.walkthrough.raise_()
        return self.walkthrough

    def evaluate_collection(self) -> None:
        if self.session.evaluate_collection():
            self.confusion.set_busy()

    # --- what the session says ---

    def _task_changed(self, _task) -> None:
        self.saliency.set_classes(self.session.task.classes)
        self.confusion.set_store(self.session.store)

    def _model_changed(self, message: ModelReady) -> None:
        self.overlays.set_field(None)  # a unit of the previous network

    def _show_prediction(self, message: Prediction) -> None:
        if message.image is None:
            self.overlays.set_transform(None)
            self.overlays.set_heat(None)
            self.saliency.explain(None)
        else:
            if self.saliency.enabled and message.saliency is not None:
                self.overlays.set_heat(message.saliency, signed=message.saliency_method == "gradient-x-input")
                self.saliency.explain(message.saliency_class, empty=not (message.saliency != 0).any())
            elif not self.saliency.enabled:
                self.overlays.set_heat(None)
            self.overlays.set_transform(message.to_input)
        self._show_snapshot_marker(message.snapshot)
        self._update_walkthrough()

    def _show_filters(self, message) -> None:
        self._update_walkthrough()

    # --- internals ---

    def _saliency_changed(self) -> None:
        if not self.saliency.enabled:
            self.overlays.set_heat(None)
        self.session.set_saliency(*self.saliency.request())

    def _show_snapshot_marker(self, snapshot: int | None) -> None:
        snapshots = self.timeline.snapshots
        if snapshot is None or snapshot >= len(snapshots):
            self.snapshot_label.hide()
            return
        info = snapshots[snapshot]
        when = "before training" if info.step == 0 else f"at step {info.step} (epoch {info.epoch:.1f})"
        self.snapshot_label.setText(f"Showing the network {when}, not the live one.")
        self.snapshot_label.show()

    def _update_walkthrough(self, force: bool = False) -> None:
        if self.walkthrough is not None and (force or self.walkthrough.isVisible()):
            spec = self.session.model.spec if self.session.model is not None else None
            self.walkthrough.set_data(spec, self.session.prediction, self.session.filters)

