"""A convolutional network's forward pass, one small step at a time, in plain numpy.

The step-by-step view shows a person how one filter slides over their own drawing: the window under
the kernel, the element-wise products, their sum plus the bias, the feature-map pixel that results;
then the activation that follows the conv layer (ReLU, tanh or sigmoid, if any), the pooling after
it (max or average, if any), and the fully connected layers down to softmax. Every number it shows
comes from here, computed from numpy copies of the weights (a ``Filters`` message) and of the input
(a ``Prediction``), so it runs on the GUI thread without torch: one filter over a 28x28 input is a few
thousand multiplications.

Conventions follow torch: a kernel is cross-correlated (not flipped), inputs are (channels, H, W),
zero padding, ``floor`` output sizes. The tests check every function against torch's own.

Where the walkthrough stands (layer, filter, stage, position) is ``walkthrough_state``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_desktop.core.network.spec import Dense, ModelSpec, ReLU, Sigmoid, Tanh


def as_maps(inputs: np.ndarray) -> np.ndarray:
    """(H, W) or (C, H, W) -> float64 (C, H, W)."""
    inputs = np.asarray(inputs, dtype=np.float64)
    return inputs[None] if inputs.ndim == 2 else inputs


def pad(inputs: np.ndarray, padding: int) -> np.ndarray:
    """(C, H, W) with ``padding`` zeros added on every border of every map."""
    maps = as_maps(inputs)
    return np.pad(maps, ((0, 0), (padding, padding), (padding, padding))) if padding else maps


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def convolve(inputs: np.ndarray, kernel: np.ndarray, bias: float = 0.0, stride: int = 1, padding: int = 0) -> np.ndarray:
    """One filter's feature map: for every window position, sum(window * kernel) + bias.

    ``inputs`` (H, W) or (C, H, W), ``kernel`` (k, k) or (C, k, k); returns float64 (H', W').
    """
    padded = pad(inputs, padding)
    kernel = as_maps(kernel)
    k = kernel.shape[-1]
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("chwij,cij->hw", windows, kernel) + float(bias)


@dataclass(frozen=True)
class ConvStep:
    """One position of the sliding window."""

    row: int  # output row and column of the unit being computed
    col: int
    top: int  # the window's first row and column in the *padded* input
    left: int
    window: np.ndarray  # (C, k, k) the input values under the kernel (padding zeros included)
    products: np.ndarray  # (C, k, k) window * kernel, element-wise
    total: float  # sum of the products
    bias: float
    value: float  # total + bias: the feature-map pixel

    @property
    def input_rows(self) -> tuple[int, int]:
        """Rows of the unpadded input under the window (may reach outside it, into the padding)."""
        return self.top, self.top + self.window.shape[-1] - 1


def conv_step(inputs: np.ndarray, kernel: np.ndarray, bias: float, row: int, col: int,
              stride: int = 1, padding: int = 0) -> ConvStep:
    """The window, products and sum behind output unit (row, col)."""
    padded = pad(inputs, padding)
    kernel = as_maps(kernel)
    k = kernel.shape[-1]
    top, left = row * stride, col * stride
    window = padded[:, top:top + k, left:left + k]
    if window.shape != kernel.shape:
        raise ValueError(f"unit ({row}, {col}) is outside the {padded.shape[1]}x{padded.shape[2]} padded input")
    products = window * kernel
    total = float(products.sum())
    return ConvStep(row, col, top, left, window, products, total, float(bias), total + float(bias))


def relu(values: np.ndarray) -> np.ndarray:
    return np.maximum(np.asarray(values, dtype=np.float64), 0.0)


def sigmoid(values: np.ndarray) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    # Written this way to never overflow: exp of a large positive number is inf, of a negative one is not.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# An activation layer's kind -> the function, for the step after a conv or fully connected layer. ""
# stands for none: a conv layer followed directly by another conv or a pool.
ACTIVATIONS = {"relu": relu, "tanh": lambda v: np.tanh(np.asarray(v, np.float64)), "sigmoid": sigmoid,
               "": lambda v: np.asarray(v, np.float64)}


def activate(values: np.ndarray, kind: str) -> np.ndarray:
    """``values`` through the activation ``kind`` ("relu", "tanh", "sigmoid", or "" for none)."""
    return ACTIVATIONS[kind](values)


def max_pool(values: np.ndarray, window: int = 2, stride: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Max-pooling of one map (H, W): the pooled map and, for each output unit, the (row, col) in
    ``values`` of the maximum it kept (the first one, reading row by row, on a tie)."""
    values = np.asarray(values, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(values, (window, window))[::stride, ::stride]
    rows, cols = windows.shape[:2]
    flat = windows.reshape(rows, cols, window * window)
    best = flat.argmax(axis=2)
    pooled = np.take_along_axis(flat, best[..., None], axis=2)[..., 0]
    where = np.stack([np.arange(rows)[:, None] * stride + best // window,
                      np.arange(cols)[None, :] * stride + best % window], axis=-1)
    return pooled, where


def avg_pool(values: np.ndarray, window: int = 2, stride: int = 2) -> np.ndarray:
    """Average pooling of one map (H, W): the mean of each window (torch's AvgPool2d, no padding)."""
    values = np.asarray(values, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(values, (window, window))[::stride, ::stride]
    return windows.mean(axis=(2, 3))


def pool(values: np.ndarray, kind: str, window: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Pooling of kind "pool" (max) or "avgpool" of one map: the pooled map, and for each output unit
    the (row, col) in ``values`` that the view marks: the maximum kept, or the window's top-left
    corner for an average, which every value of the window makes."""
    if kind == "avgpool":
        pooled = avg_pool(values, window, stride)
        rows, cols = pooled.shape
        where = np.stack(np.meshgrid(np.arange(rows) * stride, np.arange(cols) * stride, indexing="ij"), axis=-1)
        return pooled, where
    return max_pool(values, window, stride)


def dense(inputs: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A fully connected layer: weights (out, in) @ inputs (in,) + bias."""
    return np.asarray(weights, np.float64) @ np.asarray(inputs, np.float64).reshape(-1) + np.asarray(bias, np.float64)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def top_contributions(inputs: np.ndarray, weights_row: np.ndarray, count: int = 5) -> list[tuple[int, float, float]]:
    """The ``count`` inputs that move one unit most: (input index, input value, weight), largest
    |input * weight| first. Explains which earlier units a fully connected unit listens to."""
    x = np.asarray(inputs, np.float64).reshape(-1)
    w = np.asarray(weights_row, np.float64).reshape(-1)
    order = np.argsort(-np.abs(x * w), kind="stable")[:count]
    return [(int(i), float(x[i]), float(w[i])) for i in order]


@dataclass(frozen=True)
class FilterWalk:
    """Everything the step-by-step view shows for one filter of one conv layer."""

    layer: str
    filter: int
    inputs: np.ndarray  # (C, H, W) what the layer reads: the drawing for conv1, pooled maps after
    kernel: np.ndarray  # (C, k, k)
    bias: float
    stride: int
    padding: int
    conv: np.ndarray  # (H', W') sum(window * kernel) + bias at every position
    # (H', W') the activation after the conv layer applied to ``conv`` (``activation`` says which; the
    # name is from when ReLU was the only one, and the views still read it so)
    relu: np.ndarray
    pool_window: int
    pool_stride: int
    pooled: np.ndarray  # (H'', W'') each pooling window of ``relu``, pooled (max or average)
    pooled_from: np.ndarray  # (H'', W'', 2) where in ``relu`` each maximum was (average: the window's corner)
    activation: str = "relu"  # "relu", "tanh", "sigmoid", or "" when no activation follows the conv
    pool_kind: str = "pool"  # "pool" (max), "avgpool", or "" when no pooling follows (window 1: a copy)

    @property
    def activated(self) -> np.ndarray:
        """The activation's output (``relu``, by its general name)."""
        return self.relu

    def step(self, row: int, col: int) -> ConvStep:
        return conv_step(self.inputs, self.kernel, self.bias, row, col, self.stride, self.padding)

    @property
    def padded(self) -> np.ndarray:
        return pad(self.inputs, self.padding)

    def pool_window_at(self, row: int, col: int) -> tuple[int, int]:
        """Top-left (row, col) in ``relu`` of the pooling window of pooled unit (row, col)."""
        return row * self.pool_stride, col * self.pool_stride


def walk_filter(layer: str, filter_index: int, inputs: np.ndarray, weights: np.ndarray, biases: np.ndarray,
                stride: int = 1, padding: int = 0, pool_window: int = 2, pool_stride: int = 2,
                activation: str = "relu", pool_kind: str = "pool") -> FilterWalk:
    """Convolution, activation and pooling of filter ``filter_index`` of a conv layer (``weights``
    (out, in, k, k), ``biases`` (out,)) over ``inputs`` (H, W) or (in, H, W). ``activation`` "" and
    ``pool_kind`` "" stand for none (the pool then has window and stride 1: a copy)."""
    maps = as_maps(inputs)
    kernel = np.asarray(weights, np.float64)[filter_index]
    if kernel.shape[0] != maps.shape[0]:
        raise ValueError(f"{layer} reads {kernel.shape[0]} maps, got {maps.shape[0]}")
    bias = float(np.asarray(biases)[filter_index])
    conv = convolve(maps, kernel, bias, stride, padding)
    activated = activate(conv, activation)
    if not pool_kind:
        pool_window = pool_stride = 1
    pooled, where = pool(activated, pool_kind or "pool", pool_window, pool_stride)
    return FilterWalk(layer, filter_index, maps, kernel, bias, stride, padding, conv, activated,
                      pool_window, pool_stride, pooled, where, activation, pool_kind)


def first_ink_position(walk: FilterWalk) -> int:
    """The first window position (row-major) that covers some non-zero input: the ones before it
    only multiply zeros, so the walkthrough starts here. 0 for an input without any ink."""
    covered = np.abs(walk.padded).sum(axis=0) > 0
    k = walk.kernel.shape[-1]
    windows = np.lib.stride_tricks.sliding_window_view(covered, (k, k))[::walk.stride, ::walk.stride]
    hits = np.flatnonzero(windows.any(axis=(2, 3)))
    return int(hits[0]) if hits.size else 0


@dataclass(frozen=True)
class ClassifierStep:
    """One step after the conv layers: the flattened maps, a fully connected layer, its activation,
    the output scores or softmax."""

    name: str  # "flatten", "fc1", "relu3", "out", "softmax"
    title: str
    values: np.ndarray
    explanation: str


_ACTIVATION_TITLES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
_ACTIVATION_TEXTS = {
    "relu": "Negative values become 0.",
    "tanh": "Each value v becomes tanh(v), between -1 and 1: small values stay about the same, large ones flatten out.",
    "sigmoid": "Each value v becomes 1 / (1 + e^-v), between 0 and 1: 0 becomes 0.5.",
}


def classifier_steps(spec: ModelSpec, flat: np.ndarray, dense_layers: dict[str, tuple[np.ndarray, np.ndarray]]
                     ) -> list[ClassifierStep]:
    """Flatten, every fully connected layer and its activation, the output scores and softmax, in numpy.

    ``flat`` is the flattened activation; ``dense_layers`` maps a Dense layer's name to its (weights
    (out, in), biases (out,)). Dropout is skipped: it only acts while training.
    """
    x = np.asarray(flat, np.float64).reshape(-1)
    steps = [ClassifierStep("flatten", f"flatten: {x.size} numbers", x,
                            "The last maps, read row by row, become one list of numbers.")]
    names = spec.layer_names()
    after = names.index("flatten") + 1 if "flatten" in names else len(spec.layers)
    for name, layer in zip(names[after:], spec.layers[after:]):
        if isinstance(layer, Dense) and name in dense_layers:
            weights, bias = dense_layers[name]
            x = dense(x, weights, bias)
            steps.append(ClassifierStep(name, f"{name}: {x.size} units", x,
                                        f"Each unit multiplies all {weights.shape[1]} numbers by its own weights, "
                                        "adds them up and adds its bias."))
        elif isinstance(layer, (ReLU, Tanh, Sigmoid)):
            kind = type(layer).__name__.lower()
            x = activate(x, kind)
            steps.append(ClassifierStep(name, f"{name}: {_ACTIVATION_TITLES[kind]}", x, _ACTIVATION_TEXTS[kind]))
    if "out" in dense_layers:
        weights, bias = dense_layers["out"]
        logits = dense(x, weights, bias)
        steps.append(ClassifierStep("out", "out: one score per class", logits,
                                    f"Each class's score: its {weights.shape[1]} weights times the units above, "
                                    "plus its bias."))
        steps.append(ClassifierStep("softmax", "softmax: probabilities", softmax(logits),
                                    "p(class) = e^score / (sum of e^score over all classes): positive, adding up to 1."))
    return steps
