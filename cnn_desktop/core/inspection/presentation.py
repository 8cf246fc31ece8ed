"""What the panels show of a network, worked out without Qt: layer titles, activations as tiles,
filter titles. The widgets only paint what these return."""

from __future__ import annotations

import numpy as np

from cnn_desktop.core.network.geometry import layer_geometry
from cnn_desktop.core.network.spec import ModelSpec

LAYER_VERBS = {"conv": "convolution", "relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "pool": "max-pool",
               "avgpool": "average-pool", "fc": "fully connected"}
# Which layers are signed is read from the spec (``signed_layers``), never from names: a person's own
# network may call its layers anything, and a pool after tanh is signed whatever it is called.
_SIGNED_KINDS = ("conv", "fc", "tanh")
_SIGN_KEEPING_KINDS = ("pool", "avgpool", "flatten", "dropout")


def signed_layers(spec: ModelSpec) -> set[str]:
    """Names of the layers whose values can be negative (diverging colour map); the others are >= 0."""
    signed, previous = set(), False  # the drawing itself is >= 0
    for geo in layer_geometry(spec)[1:]:
        previous = geo.kind in _SIGNED_KINDS or (geo.kind in _SIGN_KEEPING_KINDS and previous)
        if previous:
            signed.add(geo.name)
    return signed


def describe_layers(spec: ModelSpec) -> list[tuple[str, str]]:
    """(name, one-line description) for each layer worth showing as feature maps."""
    described = []
    for geo in layer_geometry(spec)[1:]:
        if geo.kind in ("flatten", "dropout"):
            continue  # flatten only reshapes; dropout does nothing once trained
        what = f"{geo.channels} maps {geo.size}×{geo.size}" if geo.size > 1 else f"{geo.channels} units"
        if geo.kind == "conv":
            verb = f"convolution {geo.kernel}×{geo.kernel}, {geo.channels} filters"
        elif geo.kind in ("pool", "avgpool"):
            verb = f"{LAYER_VERBS[geo.kind]} {geo.kernel}×{geo.kernel}, stride {geo.stride}"
        elif geo.name == "out":
            verb, what = "output scores", f"{geo.channels} classes (softmax turns them into probabilities)"
        else:
            verb = LAYER_VERBS.get(geo.kind, geo.kind)
        described.append((geo.name, f"{verb} → {what}"))
    return described


def as_tiles(activation: np.ndarray) -> tuple[np.ndarray, int | None]:
    """A layer's output as a stack of 2-D tiles: maps stay maps; a vector becomes one strip-shaped tile
    (with the number of columns to lay it out in, which core/inspection/receptive_fields.unit_index assumes)."""
    if activation.ndim == 3:
        return activation, None
    flat = activation.reshape(-1)
    columns = 16 if flat.size > 16 else flat.size
    rows = -(-flat.size // columns)
    padded = np.zeros(rows * columns, np.float32)
    padded[: flat.size] = flat
    return padded.reshape(1, rows, columns), 1


def filter_title(weights: np.ndarray) -> str:
    out_channels, in_channels, k, _ = weights.shape
    if in_channels == 1:
        return f"{out_channels} filters of {k}×{k} (red positive, blue negative)"
    return (f"{out_channels} filters, each as its strongest of {in_channels} slices ({k}×{k}); "
            "click one for all its slices")


def strongest_slices(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One k×k tile per filter of ``weights`` (out, in, k, k): the slice with the largest sum of squared
    weights, and which input map that slice reads.

    Why not the mean over input maps: a filter often weighs one input map's edge positively and
    another's negatively, and the mean cancels them into a blur that no input map is ever seen
    through. The strongest slice is a real pattern the filter applies, on the map that drives it most.
    """
    weights = np.asarray(weights, np.float32)
    strength = np.square(weights).sum(axis=(2, 3))  # (out, in)
    which = strength.argmax(axis=1)
    return weights[np.arange(len(weights)), which], which


def filter_tiles(weights: np.ndarray) -> tuple[np.ndarray, int]:
    """One tile per filter: conv1's whole kernels (one input map), a deeper layer's strongest slices."""
    out_channels, in_channels, k, _ = weights.shape
    if in_channels == 1:
        return weights.reshape(out_channels, k, k), min(out_channels, 8)
    tiles, _ = strongest_slices(weights)
    return tiles, min(out_channels, 16)
