"""The small Python API: load a model, classify a drawing, prepare an image the way the network wants.

    from cnn_desktop import load_model
    model = load_model("digits")              # or "ticks-crosses", or a .safetensors file
    result = model.predict("seven.png")       # an image file, an image array, or Strokes
    result.label, result.probabilities["7"]

It sits on top of the core and adds no behaviour of its own: a prediction here is the one
``cnn-desktop predict`` prints and the app shows, for the same drawing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Union

import numpy as np

from cnn_desktop.core.data.strokes import Strokes

Drawing = Union[str, os.PathLike, np.ndarray, Strokes]


@dataclass(frozen=True)
class Prediction:
    """What a model makes of one drawing: its most likely class and every class's probability."""

    label: str
    probabilities: Mapping[str, float]  # class name -> probability, in the model's class order; read-only

    @property
    def confidence(self) -> float:
        """The probability of ``label``."""
        return self.probabilities[self.label]

    def __repr__(self) -> str:
        return f"Prediction(label={self.label!r}, confidence={self.confidence:.4f})"


class Model:
    """A trained classifier, ready to predict. Made by ``load_model``."""

    def __init__(self, saved, source: str) -> None:
        self._saved = saved  # core.network.checkpoint.SavedModel
        self.source = source  # the file it was read from

    @property
    def classes(self) -> tuple[str, ...]:
        return self._saved.spec.classes

    @property
    def spec(self):
        """The network as data (``cnn_desktop.core.network.spec.ModelSpec``): layers and classes."""
        return self._saved.spec

    @property
    def network(self):
        """The torch module (``CNN``), for those who want to go further (export, fine-tune)."""
        return self._saved.model

    def predict(self, drawing: Drawing) -> Prediction:
        """Classify one drawing: an image file's path, an image array (any size, ink dark on light or
        light on dark; it is preprocessed), or ``Strokes``."""
        from cnn_desktop.core.network.model import predict_proba

        probs = predict_proba(self._saved.model, network_input_of(drawing))
        best = int(np.argmax(probs))
        table = MappingProxyType({name: float(p) for name, p in zip(self.classes, probs)})
        return Prediction(label=self.classes[best], probabilities=table)

    def __repr__(self) -> str:
        return f"<cnn_desktop.Model {self.source} classes={list(self.classes)}>"


def load_model(path_or_name: str | os.PathLike[str]) -> Model:
    """A model file (.safetensors, saved by the app or ``cnn-desktop train``), or the name of a bundled
    model: "digits" or "ticks-crosses". An existing file wins over a bundled name."""
    from cnn_desktop.core.errors import CnnDesktopError
    from cnn_desktop.core.network import checkpoint
    from cnn_desktop.core.tasks import TASKS

    path = Path(path_or_name)
    if not path.exists() and str(path_or_name) in TASKS:
        path = TASKS[str(path_or_name)].bundled_model_path()
        if not path.exists():
            raise CnnDesktopError(f"{path}: the bundled {path_or_name} model is missing")
    return Model(checkpoint.load_model(path), str(path))


def preprocess_image(drawing: Drawing) -> np.ndarray:
    """The network's input for one drawing: float32 (28, 28), values 0..1, ink 1.0 on 0.0.

    This is the one preprocessing the app, the command line and training use (crop to the ink, longer
    side scaled to 20 px, strokes normalised, centre of mass in the middle). A drawing the app stored
    (``<collection>/<label>/<id>.png``) already is such an input and is returned as stored. Add two axes
    (``x[None, None]``) for an ONNX file exported by ``cnn-desktop export``."""
    return network_input_of(drawing)


def network_input_of(drawing: Drawing) -> np.ndarray:
    from cnn_desktop.core.data.datasets import network_input
    from cnn_desktop.core.data.preprocess import preprocess

    if isinstance(drawing, (str, os.PathLike)):
        return network_input(drawing)
    if isinstance(drawing, Strokes):
        return preprocess(drawing)
    return preprocess(np.asarray(drawing))
