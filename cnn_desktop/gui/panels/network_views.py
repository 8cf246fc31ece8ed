"""The feature maps of the drawing on screen, and the filters of every conv layer, kept up to date
from the session: each view subscribes to the facts it shows."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from cnn_desktop.core.app.messages import Filters, Prediction
from cnn_desktop.core.inspection.presentation import SIGNED_PREFIXES, as_tiles, describe_layers, filter_tiles, filter_title
from cnn_desktop.core.app.session import Session
from cnn_desktop.gui.panels.layers import LayerStackPanel


class FeatureMapsView(LayerStackPanel):
    """What every layer makes of the drawing on screen."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        session.task_changed.connect(lambda task: self.set_layers(describe_layers(task.spec())))
        session.prediction_changed.connect(self.show_prediction)

    def show_prediction(self, message: Prediction) -> None:
        if message.image is None:  # the canvas was cleared (a label key, Clear): no maps of a drawing gone
            for name in self.layer_names():
                self.grid(name).blank()
            return
        for name in self.layer_names():
            activation = message.activations.get(name)
            if activation is not None:
                tiles, columns = as_tiles(activation)
                self.show_layer(name, tiles, diverging=name.startswith(SIGNED_PREFIXES), columns=columns)


class FiltersView(LayerStackPanel):
    """The kernels of every conv layer, red positive and blue negative."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        session.filters_changed.connect(self.show_filters)

    def show_filters(self, message: Filters) -> None:
        layers = [(name, filter_title(weights)) for name, weights, _ in message.layers]
        if self.layer_names() != [name for name, _ in layers]:
            self.set_layers(layers)
        for name, weights, _ in message.layers:
            tiles, columns = filter_tiles(weights)
            self.show_layer(name, tiles, diverging=True, columns=columns)
