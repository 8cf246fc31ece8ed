"""The network and its training described as data.

A ``ModelSpec`` is everything needed to rebuild a network besides its weights: it is saved inside every
model file, shown in the app, and is what a person will later edit. Layers are small frozen dataclasses;
their names ("conv1", "relu1", "pool1", ...) are derived from their position so that activations,
filters and receptive fields can be looked up by the same name everywhere.

The classifier's output layer is not listed in ``layers``: it is always a fully connected layer with one
unit per class, named "out", followed by softmax. Changing the classes therefore never means editing
the layer list.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import MISSING, asdict, dataclass, fields, replace
from typing import Any, Union

from cnn_desktop.core.data.classes import DIGIT_CLASSES
from cnn_desktop.core.errors import CnnDesktopError, listed, one_line, shown

# Class names come from model files too, and every one of them is shown: as a bar and a label button
# in the window, a column of `predict`'s table, in messages. The app's tasks use 2 to 50 classes of a
# word or two; 1,000 names of up to 40 characters leave room for far larger tasks (a whole alphabet
# with its accents, a thousand objects) while a file cannot make a panel or a message grow without
# bound (a 10,000-class file once gave a 90 kB message).
MAX_CLASSES = 1000
MAX_CLASS_NAME = 40
MAX_NUMBER = 10**9  # the largest size, count or stride a description may hold
MAX_LAYER_ITEMS = 1000  # a description's layer list is refused past this before any layer is read

# Every drawing reaches a network as one grey 28x28 image (core/data/preprocess.py). A network may
# instead be made for 32x32, as LeNet-5 was (LeCun et al., 1998, padded MNIST's 28x28 digits to 32x32 so
# that strokes reach the centre of the first layer's edge units): its model then adds the 2-pixel zero
# border itself, as its first step. Preprocessing, stored drawings, data sets and the window's "what
# the network sees" stay 28x28 whatever the network, so one collection trains every network.
DRAWING_SIZE = 28
INPUT_PADDING = {28: 0, 32: 2}  # input size a drawing-fed network may take -> zeros added per border


def class_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a class name (to follow the name in a message), or None if it can.

    Names are printed as they are (a terminal, a label), so they must be printable: no escape codes,
    line breaks, tabs or invisible format characters."""
    if not isinstance(name, str):
        return "is not text"
    if not name.strip():
        return "is empty"
    if len(name) > MAX_CLASS_NAME:
        return f"is longer than the limit of {MAX_CLASS_NAME} characters"
    if not name.isprintable():
        return "holds characters that cannot be shown (control codes, line breaks, tabs...)"
    return None


@dataclass(frozen=True)
class Conv:
    """A 2-D convolution: ``filters`` kernels of ``kernel`` x ``kernel`` slide over the input."""

    filters: int  # number of output channels (feature maps), one kernel stack per filter
    kernel: int = 5  # side of the square kernel, in input pixels
    stride: int = 1  # step between two neighbouring windows
    padding: int = 0  # zeros added on every border before sliding


@dataclass(frozen=True)
class ReLU:
    """max(0, x), element-wise: negatives become zero."""


@dataclass(frozen=True)
class MaxPool:
    """Keeps the maximum of each ``window`` x ``window`` block, moving ``stride`` pixels at a time."""

    window: int = 2  # side of the square block
    stride: int = 2  # step between blocks; equal to window means non-overlapping blocks


@dataclass(frozen=True)
class Tanh:
    """tanh(x), element-wise: squashes every value into (-1, 1), keeping its sign (LeNet-5's choice)."""


@dataclass(frozen=True)
class Sigmoid:
    """1 / (1 + e^-x), element-wise: squashes every value into (0, 1)."""


@dataclass(frozen=True)
class AvgPool:
    """Keeps the average of each ``window`` x ``window`` block, moving ``stride`` pixels at a time.

    Sum pooling (LeNet-5's subsampling adds the block up) is this times window*window: the next layer's
    weights absorb any constant factor, so it is not a kind of its own."""

    window: int = 2  # side of the square block
    stride: int = 2  # step between blocks; equal to window means non-overlapping blocks


@dataclass(frozen=True)
class Flatten:
    """Turns the stack of feature maps into one vector for the fully connected layers."""


@dataclass(frozen=True)
class Dense:
    """A fully connected layer: every output unit sees every input unit."""

    units: int  # number of output units


@dataclass(frozen=True)
class Dropout:
    """During training only, zeroes each unit with probability ``p`` (and rescales the rest)."""

    p: float = 0.25  # probability of dropping a unit, in [0, 1)


Layer = Union[Conv, ReLU, Tanh, Sigmoid, MaxPool, AvgPool, Flatten, Dense, Dropout]
LAYER_KINDS: dict[str, type] = {
    "conv": Conv,
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "pool": MaxPool,  # "pool" is max pooling, as in every model file written before avgpool existed
    "avgpool": AvgPool,
    "flatten": Flatten,
    "fc": Dense,
    "dropout": Dropout,
}
_KIND_OF = {cls: kind for kind, cls in LAYER_KINDS.items()}
ACTIVATION_KINDS = ("relu", "tanh", "sigmoid")  # element-wise, after a conv or fully connected layer
POOL_KINDS = ("pool", "avgpool")


def layer_kind(layer: Layer) -> str:
    """The short kind used in layer names and files: "conv", "relu", "tanh", "sigmoid", "pool" (max),
    "avgpool", "flatten", "fc", "dropout"."""
    return _KIND_OF[type(layer)]


@dataclass(frozen=True)
class ModelSpec:
    """A LeNet-style classifier of square single-channel images, as data."""

    classes: tuple[str, ...]  # class names, in output order; at least two
    layers: tuple[Layer, ...]  # hidden layers in order; the output layer "out" is added automatically
    input_size: int = 28  # side of the square input image, in pixels
    in_channels: int = 1  # grey-level drawings have one channel

    def __post_init__(self) -> None:
        count = len(self.classes)
        if count < 2:
            raise CnnDesktopError(f"a model needs at least two classes, got {listed(self.classes)}")
        if count > MAX_CLASSES:
            raise CnnDesktopError(f"a model of {count:,} classes; cnn-desktop handles at most {MAX_CLASSES:,}")
        for name in self.classes:
            problem = class_name_problem(name)
            if problem:
                raise CnnDesktopError(f"class name {shown(name)} {problem}")
        repeated = [name for name, times in Counter(self.classes).items() if times > 1]
        if repeated:
            raise CnnDesktopError(f"class names must be distinct; repeated: {listed(repeated)}")

    def layer_names(self) -> list[str]:
        """Names of the hidden layers, then "out": conv1, relu1, pool1, conv2, ..., fc1, ..., out."""
        counts: dict[str, int] = {}
        names = []
        for layer in self.layers:
            kind = layer_kind(layer)
            counts[kind] = counts.get(kind, 0) + 1
            names.append(kind if kind == "flatten" else f"{kind}{counts[kind]}")
        return names + ["out"]

    def with_classes(self, classes: tuple[str, ...]) -> "ModelSpec":
        return replace(self, classes=tuple(classes))

    # --- serialisation (stored as JSON inside model files) ---

    def to_dict(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "input_size": self.input_size,
            "in_channels": self.in_channels,
            "layers": [{"kind": layer_kind(layer), **asdict(layer)} for layer in self.layers],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelSpec":
        """Rebuild a spec from ``to_dict`` output; raises ``CnnDesktopError`` on anything malformed.
        Nothing in ``data`` is trusted: it may come from any file.

        A problem with one layer names it ("conv2: filters must be a whole number, got '8'"), or its
        position when it has no name yet ("layer 3: unknown layer kind 'warp'")."""
        try:
            items = data["layers"]
            if not isinstance(items, list):
                raise ValueError("layers must be a list")
            if len(items) > MAX_LAYER_ITEMS:  # before reading any: a file may list millions
                raise ValueError(f"{len(items):,} layers; a description holds at most {MAX_LAYER_ITEMS:,}")
            counts: dict[str, int] = {}
            layers = [_layer_from(item, number, counts) for number, item in enumerate(items, 1)]
            classes = data["classes"]
            if not isinstance(classes, (list, tuple)) or not all(isinstance(c, str) for c in classes):
                raise ValueError("classes must be a list of names")
            spec = cls(
                classes=tuple(classes),
                layers=tuple(layers),
                input_size=_integer(data.get("input_size", 28), "input_size"),
                in_channels=_integer(data.get("in_channels", 1), "in_channels"),
            )
        except CnnDesktopError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # one_line: the text may quote the file (a key, a value), and must stay one short line.
            raise CnnDesktopError(f"malformed model description ({type(error).__name__}: {one_line(error)})") from None
        return spec

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ModelSpec":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as error:  # RecursionError: nesting beyond ~1000 levels
            raise CnnDesktopError(f"model description is not JSON ({error})") from None
        if not isinstance(data, dict):
            raise CnnDesktopError("model description is not a JSON object")
        return cls.from_dict(data)


def _layer_from(item: Any, number: int, counts: dict[str, int]) -> Layer:
    """One layer of a description read from a file: a JSON object with a known "kind" and that kind's
    parameters, each of its declared type. ``counts`` numbers the layers of each kind as it goes, so a
    message uses the name the layer will have (see ``ModelSpec.layer_names``)."""
    if not isinstance(item, dict):
        raise CnnDesktopError(f"layer {number}: not an object with a \"kind\"")
    params = dict(item)
    kind = params.pop("kind", None)
    if not isinstance(kind, str) or kind not in LAYER_KINDS:
        raise CnnDesktopError(f"layer {number}: unknown layer kind {shown(kind)}; kinds are {', '.join(LAYER_KINDS)}")
    counts[kind] = counts.get(kind, 0) + 1
    name = kind if kind == "flatten" else f"{kind}{counts[kind]}"
    layer_cls = LAYER_KINDS[kind]
    declared = {f.name: f for f in fields(layer_cls)}
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise CnnDesktopError(f"{name}: unknown parameters {listed(unknown)}; a {kind} layer takes "
                              f"{', '.join(declared) or 'none'}")
    missing = [f.name for f in declared.values() if f.name not in params and f.default is MISSING]
    if missing:
        raise CnnDesktopError(f"{name}: needs {', '.join(missing)}")
    try:
        return _typed(layer_cls(**params))
    except ValueError as error:  # one_line: the message may quote the file
        raise CnnDesktopError(f"{name}: {one_line(error)}") from None


def _integer(value: Any, name: str) -> int:
    # bool is an int to Python but not a size; floats and strings slipped through to torch, which
    # failed deep inside with TypeError or ValueError instead of a message about the description.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {shown(value)}")
    # No layer or image is anywhere near a billion wide: larger numbers (a file may hold thousands of
    # digits) only ever made messages and arithmetic on them explode.
    if abs(value) > MAX_NUMBER:
        raise ValueError(f"{name} {shown(value)} is {'too large' if value > 0 else 'out of range'} "
                         f"(at most {MAX_NUMBER:,})")
    return value


def _typed(layer: Layer) -> Layer:
    """The layer, once every field holds the type it is declared with (descriptions come from files)."""
    for f in fields(layer):
        value = getattr(layer, f.name)
        if f.type == "int":
            _integer(value, f.name)
        elif f.type == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{f.name} must be a number, got {shown(value)}")
    return layer


def lenet_spec(classes: tuple[str, ...] = DIGIT_CLASSES) -> ModelSpec:
    """The default network: two conv -> ReLU -> 2x2 max-pool stages, then two fully connected layers.

    28x28 -> conv 5x5 pad 2 (16 maps 28x28) -> pool (14x14) -> conv 5x5 (32 maps 10x10) -> pool (5x5)
    -> 800 -> fc 64 -> out. About 65k parameters: small enough that every filter and feature map is
    worth looking at, large enough to pass 99% on held-out MNIST digits.
    """
    return ModelSpec(
        classes=tuple(classes),
        layers=(
            Conv(filters=16, kernel=5, padding=2),
            ReLU(),
            MaxPool(window=2, stride=2),
            Conv(filters=32, kernel=5),
            ReLU(),
            MaxPool(window=2, stride=2),
            Flatten(),
            Dense(units=64),
            ReLU(),
            Dropout(p=0.25),
        ),
    )


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Every field has a default that works for the bundled presets."""

    epochs: int = 10  # passes over the training split
    batch_size: int = 64  # examples per optimiser step
    learning_rate: float = 1e-3  # step size of the optimiser
    optimizer: str = "adam"  # "adam" or "sgd" (SGD uses momentum 0.9)
    weight_decay: float = 0.0  # L2 penalty on the weights
    validation_fraction: float = 0.1  # share of the examples held out for validation (0 = none)
    seed: int = 0  # seeds the split, the shuffling, the augmentation and fresh weights
    augment: bool = True  # random small rotation, scale, shift and stroke thickness per batch
    max_rotation_degrees: float = 12.0  # augmentation: rotation drawn from +-this
    max_scale_change: float = 0.12  # augmentation: scale drawn from 1 +- this
    max_shift_pixels: float = 2.0  # augmentation: shift drawn from +- this many input pixels
    thickness_change: float = 0.5  # augmentation: strokes thinned or thickened by up to this share
    max_shear: float = 0.0  # augmentation: slant, x moved by up to +-this times y
    max_aspect_change: float = 0.0  # augmentation: width/height ratio changed by a factor up to exp(+-this)
    # augmentation: elastic distortion (Simard et al. 2003), a random displacement field per image
    # smoothed by a Gaussian of this many pixels, its uniform +-1 noise scaled by elastic_alpha pixels (0 = off)
    elastic_alpha: float = 0.0
    elastic_sigma: float = 4.0
    lr_schedule: str = "cosine"  # "cosine" (decays to 5% of the rate over all steps) or "constant"

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise CnnDesktopError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise CnnDesktopError(f"batch size must be at least 1, got {self.batch_size}")
        if not self.learning_rate > 0:
            raise CnnDesktopError(f"learning rate must be positive, got {self.learning_rate}")
        if self.optimizer not in ("adam", "sgd"):
            raise CnnDesktopError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if not 0 <= self.validation_fraction < 1:
            raise CnnDesktopError(f"validation fraction must be in [0, 1), got {self.validation_fraction}")
        if self.elastic_alpha < 0 or not self.elastic_sigma > 0:
            raise CnnDesktopError(f"elastic alpha must be >= 0 and sigma > 0, got {self.elastic_alpha}, {self.elastic_sigma}")
        if self.lr_schedule not in ("cosine", "constant"):
            raise CnnDesktopError(f"lr schedule must be 'cosine' or 'constant', got {self.lr_schedule!r}")

    def with_(self, **changes: Any) -> "TrainConfig":
        return replace(self, **changes)

