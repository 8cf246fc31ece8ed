"""All the "see inside" views, wired to the window's messages in one place.

The main window creates one ``SeeInside``, puts its widgets where they belong and forwards the
engine's messages to it; everything else (overlays, receptive fields, heat maps, the step-by-step
dialog, the timeline, the confusion matrix) happens here.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QWidget

from cnn_desktop.core.messages import (
    CollectionEvaluation, EvaluateCollection, Filters, ModelReady, Prediction, ShowSnapshot, Timeline)
from cnn_desktop.core.spec import ModelSpec
from cnn_desktop.core.store import DrawingStore
from cnn_desktop.gui.inspect.confidence import ThresholdSlider
from cnn_desktop.gui.inspect.confusion_view import ConfusionPanel
from cnn_desktop.gui.inspect.overlays import OverlayManager
from cnn_desktop.gui.inspect.receptive import ReceptiveFieldPanel
from cnn_desktop.gui.inspect.saliency import SaliencyControls
from cnn_desktop.gui.inspect.timeline import TimelineBar
from cnn_desktop.gui.inspect.walkthrough_view import WalkthroughDialog


class SeeInside(QObject):
    predict_again = Signal()  # the heat-map choice changed: the current drawing must be sent again

    def __init__(self, canvas, input_view, feature_maps, probabilities, submit: Callable[[object], None],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._submit = submit
        self.spec: ModelSpec | None = None
        self.store: DrawingStore | None = None
        self.prediction: Prediction | None = None
        self.filters: Filters | None = None
        self._evaluation_id = 0
        self._snapshots: tuple = ()

        self.overlays = OverlayManager(canvas, input_view, self)
        self.receptive = ReceptiveFieldPanel()
        feature_maps.hovered.connect(self.receptive.hover)
        self.receptive.field_changed.connect(self.overlays.set_field)

        self.saliency = SaliencyControls()
        self.saliency.changed.connect(self._saliency_changed)
        self.threshold = ThresholdSlider()
        self.threshold.threshold_changed.connect(probabilities.set_threshold)
        probabilities.set_threshold(self.threshold.threshold)

        self.snapshot_label = QLabel("")
        self.snapshot_label.setWordWrap(True)
        self.snapshot_label.setStyleSheet("color: #b35c00; font-weight: bold;")
        self.snapshot_label.hide()
        self.timeline = TimelineBar()
        self.timeline.show_snapshot.connect(lambda index: self._submit(ShowSnapshot(index)))

        self.confusion = ConfusionPanel()
        self.confusion.evaluate_requested.connect(self.evaluate_collection)
        self.walkthrough: WalkthroughDialog | None = None

    # --- set-up from the window ---

    def set_classes(self, classes) -> None:
        self.saliency.set_classes(classes)

    def set_store(self, store: DrawingStore | None) -> None:
        self.store = store
        self.confusion.set_store(store)

    def saliency_request(self) -> tuple[int | str | None, str]:
        """(saliency_class, saliency_method) to put in the next Predict."""
        return self.saliency.request()

    def open_walkthrough(self) -> WalkthroughDialog:
        if self.walkthrough is None:
            self.walkthrough = WalkthroughDialog(self._parent)
        self.walkthrough.set_data(self.spec, self.prediction, self.filters)
        self.walkthrough.show()
        self.walkthrough.raise_()
        return self.walkthrough

    def evaluate_collection(self) -> None:
        if self.store is None:
            return
        self._evaluation_id += 1
        self.confusion.set_busy()
        self._submit(EvaluateCollection(self.store.root, self._evaluation_id))

    # --- messages ---

    def model_ready(self, message: ModelReady) -> None:
        self.spec = message.spec
        self.receptive.set_spec(message.spec)

    def show_prediction(self, message: Prediction) -> None:
        self.prediction = message
        self.receptive.set_prediction(message)
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

    def show_filters(self, message: Filters) -> None:
        self.filters = message
        self.receptive.set_filters(message)
        self._update_walkthrough()

    def show_timeline(self, message: Timeline) -> None:
        self._snapshots = message.snapshots
        self.timeline.set_timeline(message)

    def show_evaluation(self, message: CollectionEvaluation) -> None:
        if message.request_id == self._evaluation_id:
            self.confusion.show_result(message)

    # --- internals ---

    def _saliency_changed(self) -> None:
        if not self.saliency.enabled:
            self.overlays.set_heat(None)
        self.predict_again.emit()

    def _show_snapshot_marker(self, snapshot: int | None) -> None:
        if snapshot is None or snapshot >= len(self._snapshots):
            self.snapshot_label.hide()
            return
        info = self._snapshots[snapshot]
        when = "before training" if info.step == 0 else f"at step {info.step} (epoch {info.epoch:.1f})"
        self.snapshot_label.setText(f"Showing the network {when}, not the live one.")
        self.snapshot_label.show()

    def _update_walkthrough(self) -> None:
        if self.walkthrough is not None and self.walkthrough.isVisible():
            self.walkthrough.set_data(self.spec, self.prediction, self.filters)
