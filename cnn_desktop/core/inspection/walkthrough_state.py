"""Where the walkthrough stands, without Qt: the layer, filter and input map chosen, the stage and the
window position, whether it plays; and the numbers of that filter over the drawing.

The walkthrough's window only paints what this holds and forwards clicks to its methods. Every
change is announced by a psygnal event, one per fact (the pattern of napari's ``Dims`` model):
``walk_changed`` when the numbers were recomputed (or became unavailable), ``position_changed`` when
the stage or position moved, ``channel_changed`` for the input map shown, ``playing_changed``.

A position counts the units of the stage's output, row by row: for the convolution and ReLU stages
every pixel of the feature map, for max-pooling every pooled pixel, for the classifier every step
from flatten to softmax. Stepping past the end of a stage goes on to the next one, and back likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
from psygnal import Signal

from cnn_desktop.core.inspection.walkthrough import (
    ClassifierStep, FilterWalk, classifier_steps, first_ink_position, walk_filter)
from cnn_desktop.core.network.geometry import input_padding, layer_geometry
from cnn_desktop.core.network.spec import ACTIVATION_KINDS, POOL_KINDS, ModelSpec

STAGES = ("1 · Convolution", "2 · ReLU", "3 · Max-pooling", "4 · Fully connected + softmax")  # the default network's
_ACTIVATION_STAGE = {"relu": "2 · ReLU", "tanh": "2 · tanh", "sigmoid": "2 · sigmoid", "": "2 · (no activation)"}
_POOL_STAGE = {"pool": "3 · Max-pooling", "avgpool": "3 · Average pooling", "": "3 · (no pooling)"}
CONV, RELU, POOL, CLASSIFIER = range(4)
NO_DRAWING = "Draw something on the canvas first: the step-by-step view uses your drawing."
NO_WEIGHTS = "Waiting for the network's weights…"

Weights = Mapping[str, tuple[np.ndarray, np.ndarray]]  # layer name -> (weights, biases)


@dataclass(frozen=True)
class WalkthroughFrame:
    """Everything the walkthrough's canvas paints: one stage at one position."""

    walk: FilterWalk | None  # None: nothing to show, for ``missing_reason``
    classifier: tuple[ClassifierStep, ...]
    dense_layers: Weights
    classes: tuple[str, ...]
    stage: int
    position: int
    channel: int  # the input map shown, for a layer that reads several
    first_conv: str  # the layer that reads the drawing itself
    later_convs: str  # "conv2" or "conv2 and conv3": named where the classifier starts
    missing_reason: str


@dataclass
class _Data:
    spec: ModelSpec | None = None
    image: np.ndarray | None = None  # the 28x28 input; None for an empty drawing
    activations: Mapping[str, np.ndarray] = field(default_factory=dict)  # layer -> (C, H, W) or (N,)
    classes: tuple[str, ...] = ()
    kernels: Weights = field(default_factory=dict)  # conv layer -> ((out, in, k, k), (out,))
    dense_layers: Weights = field(default_factory=dict)  # dense layer -> ((out, in), (out,))


class WalkthroughState:
    """The walkthrough's choices and place, and the numbers they select. Views read the attributes
    (or ``frame()``), call the methods for what the person does, and repaint on the events."""

    # --- events: one per fact ---
    walk_changed = Signal()  # walk, classifier, layers, filter and channel counts, or missing_reason
    position_changed = Signal(int, int)  # (stage, position)
    channel_changed = Signal(int)  # the input map shown
    playing_changed = Signal(bool)

    def __init__(self) -> None:
        self._data = _Data()
        self.conv_layers: tuple[tuple[str, int], ...] = ()  # (name, number of filters) of each conv layer
        self.layer = ""  # the conv layer chosen
        self.filter = 0
        self.channel = 0
        self.filter_count = 0  # of the chosen layer, 0 until its weights are known
        self.channel_count = 0  # the maps the chosen layer reads: 1 for the first conv layer
        self.stage = CONV
        self.position = 0
        self.playing = False
        self.walk: FilterWalk | None = None
        self.classifier: list[ClassifierStep] = []
        self.missing_reason = NO_DRAWING
        self._started = False  # the first walk starts at the first window that touches ink

    # --- what the walkthrough shows ---

    @property
    def first_conv(self) -> str:
        return self.conv_layers[0][0] if self.conv_layers else ""

    @property
    def later_convs(self) -> str:
        return " and ".join(name for name, _ in self.conv_layers[1:]) or "the later layers"

    @property
    def dense_layers(self) -> Weights:
        return self._data.dense_layers

    @property
    def classes(self) -> tuple[str, ...]:
        return self._data.classes

    def frame(self) -> WalkthroughFrame:
        return WalkthroughFrame(self.walk, tuple(self.classifier), self.dense_layers, self.classes, self.stage,
                                self.position, self.channel, self.first_conv, self.later_convs, self.missing_reason)

    def stage_titles(self) -> tuple[str, str, str, str]:
        """The four stages as the chosen layer has them: "2 · tanh", "3 · Average pooling", "3 · (no
        pooling)" for a conv followed by another conv... ``STAGES`` until there is a walk."""
        if self.walk is None:
            return STAGES
        return (STAGES[0], _ACTIVATION_STAGE[self.walk.activation], _POOL_STAGE[self.walk.pool_kind], STAGES[3])

    def stage_length(self, stage: int | None = None) -> int:
        """The positions of ``stage`` (the current one by default); 1 while there is nothing to show."""
        stage = self.stage if stage is None else stage
        if self.walk is None:
            return 1
        if stage in (CONV, RELU):
            return self.walk.conv.size
        if stage == POOL:
            return self.walk.pooled.size
        return max(1, len(self.classifier))

    # --- the data ---

    def set_data(self, spec: ModelSpec | None, image: np.ndarray | None, activations: Mapping[str, np.ndarray],
                 classes: tuple[str, ...], kernels: Weights, dense_layers: Weights) -> None:
        """The network and drawing to walk through; recomputed at once (a few milliseconds).

        A new network starts over at its first conv layer; a new drawing or new weights keep the
        stage and position (clamped to the new sizes)."""
        layers_changed = spec is not None and spec != self._data.spec
        self._data = _Data(spec, image, dict(activations), tuple(classes), dict(kernels), dict(dense_layers))
        if layers_changed:
            convs = [g for g in layer_geometry(spec) if g.kind == "conv"]
            self.conv_layers = tuple((g.name, g.channels) for g in convs)
            self.layer = self.first_conv
        self._recompute(restart=layers_changed)

    def choose_layer(self, name: str) -> None:
        """Step through one of ``conv_layers``: from its first window on ink."""
        if name != self.layer and name in (n for n, _ in self.conv_layers):
            self.layer = name
            self._recompute(restart=True)

    def choose_filter(self, index: int) -> None:
        """Step through another filter of the layer: from its first window on ink."""
        index = max(0, int(index))
        if index != self.filter:
            self.filter = index
            self._recompute(restart=True)

    def choose_channel(self, index: int) -> None:
        """The input map shown for a layer that reads several (the sums use them all)."""
        index = max(0, min(int(index), self.channel_count - 1))
        if index != self.channel:
            self.channel = index
            self.channel_changed.emit(index)

    # --- stepping ---

    def set_stage(self, stage: int, position: int = 0) -> None:
        """Go to ``position`` (clamped) of ``stage``."""
        stage = max(CONV, min(int(stage), CLASSIFIER))
        position = max(0, min(int(position), self.stage_length(stage) - 1))
        if (stage, position) != (self.stage, self.position):
            self.stage, self.position = stage, position
            self.position_changed.emit(stage, position)

    def seek(self, position: int) -> None:
        self.set_stage(self.stage, position)

    def step(self, delta: int = 1) -> None:
        """Move ``delta`` positions; past the end of a stage, on to the next one (and back likewise).
        Past the very end it stops playing."""
        position = self.position + delta
        if position >= self.stage_length():
            if self.stage < CLASSIFIER:
                self.set_stage(self.stage + 1, 0)
            else:
                self.play(False)
            return
        if position < 0:
            if self.stage > CONV:
                self.set_stage(self.stage - 1, self.stage_length(self.stage - 1) - 1)
            return
        self.set_stage(self.stage, position)

    def back(self) -> None:
        self.step(-1)

    def forward(self) -> None:
        self.step(1)

    def restart(self) -> None:
        self.set_stage(CONV, 0)

    def play(self, on: bool) -> None:
        """Start or stop playing; it only plays while there is something to show."""
        on = bool(on) and self.walk is not None
        if on != self.playing:
            self.playing = on
            self.playing_changed.emit(on)

    def tick(self) -> None:
        """One beat of the player's clock: a step forward while playing."""
        if self.playing:
            self.step(1)

    # --- internals ---

    def _layer_parts(self):
        """(conv geometry, its activation's kind or "", the pool geometry after that or None, the input
        it reads or None), or None. The activation is the layer right after the conv, the pool the one
        right after that (dropout, a copy once trained, is passed over): a conv followed by another
        conv walks through neither, and never through a pool further on."""
        data = self._data
        if data.spec is None or data.image is None:
            return None
        geometry = layer_geometry(data.spec)
        names = [g.name for g in geometry]
        if self.layer not in names:
            return None
        at = names.index(self.layer)
        following = iter(g for g in geometry[at + 1:] if g.kind != "dropout")
        after = next(following, None)
        activation = ""
        if after is not None and after.kind in ACTIVATION_KINDS:
            activation, after = after.kind, next(following, None)
        pool = after if after is not None and after.kind in POOL_KINDS else None
        before = geometry[at - 1].name
        if before == "input":  # the drawing, with a 32x32 network's zero border: what conv1 reads
            border = input_padding(data.spec)
            inputs = np.pad(np.asarray(data.image), border) if border else data.image
        else:
            inputs = data.activations.get(before)
        return geometry[at], activation, pool, inputs

    def _recompute(self, restart: bool = False) -> None:
        self.walk, self.classifier = None, []
        data = self._data
        parts = self._layer_parts()
        if parts is None or parts[3] is None or parts[0].name not in data.kernels:
            self.missing_reason = NO_DRAWING if data.image is None else NO_WEIGHTS
            self.play(False)
            self.walk_changed.emit()
            return
        conv, activation, pool, inputs = parts
        weights, biases = data.kernels[conv.name]
        self.filter_count, self.channel_count = len(weights), weights.shape[1]
        self.filter = min(self.filter, self.filter_count - 1)
        self.channel = min(self.channel, self.channel_count - 1)
        self.walk = walk_filter(conv.name, self.filter, inputs, weights, biases, conv.stride, conv.padding,
                                pool.kernel if pool else 1, pool.stride if pool else 1,
                                activation, pool.kind if pool else "")
        flat = data.activations.get("flatten")
        if flat is not None and data.dense_layers:
            self.classifier = classifier_steps(data.spec, flat, data.dense_layers)
        before = self.stage, self.position
        if restart or not self._started:
            self._started = True
            self.stage, self.position = CONV, first_ink_position(self.walk)
        self.position = min(self.position, self.stage_length() - 1)
        self.walk_changed.emit()
        if (self.stage, self.position) != before:
            self.position_changed.emit(self.stage, self.position)
