"""The geometry of every layer of a ModelSpec: output size, cumulative stride, receptive field; and
why a description cannot run, in one line naming the layer.

Computed from the spec alone (no torch), so the window can describe the layers and answer "which input
pixels does this unit see?" without loading the network, and before torch has even been imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.spec import (
    INPUT_PADDING, AvgPool, Conv, Dense, Dropout, Flatten, MaxPool, ModelSpec, layer_kind)


@dataclass(frozen=True)
class LayerGeometry:
    """Where a layer's units sit relative to the drawing.

    A unit at (row, col) of this layer's maps sees the drawing's rows
    ``row * jump - pad .. row * jump - pad + field - 1`` (the same for columns); ``field`` is the side
    of its receptive field, ``jump`` the distance in drawing pixels between neighbouring units, ``pad``
    how far the first unit's field starts before the drawing's first pixel. Coordinates are the 28x28
    drawing's even for a 32x32 network, whose "input" layer is the drawing with a 2-pixel zero border
    (pad 2), so a receptive field is always a box on what the person drew.
    """

    name: str
    kind: str
    channels: int  # feature maps (or units, for fully connected layers)
    size: int  # side of each feature map; 1 for flat layers
    field: int
    jump: int
    pad: int
    kernel: int = 0  # conv/pool window side, 0 for other layers
    stride: int = 1
    padding: int = 0
    # The last drawing row (and column) that reaches this layer at all. A window that does not fit
    # the last rows of its input drops them (a 2x2 pool of 15 rows reads 14), and every layer after
    # it never sees them, even where its own fields would reach that far; -1: not computed.
    last_seen: int = -1


def input_padding(spec: ModelSpec) -> int:
    """Zeros the model adds on every border of a drawing before its first layer: 2 for a 32x32 network
    fed 28x28 drawings, else 0 (a network for other sizes is fed images of its own size, as in tests)."""
    return INPUT_PADDING.get(spec.input_size, 0)


def fed_size(spec: ModelSpec) -> int:
    """Side of the images the network is fed: the drawing's 28 for a 32x32 network, else its input size."""
    return spec.input_size - 2 * input_padding(spec)


def layer_geometry(spec: ModelSpec) -> list[LayerGeometry]:
    """Geometry of the input and of every layer, then "out", in order.

    Raises CnnDesktopError, in one line naming the first layer that cannot run and why, for a
    description no network can be built from. Limits on size (what stays responsive) are checked
    apart, in summary.py: a file may hold a larger network than the editor lets a person make."""
    return list(iter_geometry(spec))


def iter_geometry(spec: ModelSpec) -> Iterator[LayerGeometry]:
    """``layer_geometry`` one layer at a time: what comes before a layer that cannot run is still
    yielded (the editor shows those rows), then the CnnDesktopError is raised."""
    if spec.input_size < 1 or spec.in_channels < 1:
        raise CnnDesktopError("input: the image must be at least 1x1 with at least one channel")
    offset = input_padding(spec)
    size, channels, field, jump, pad = spec.input_size, spec.in_channels, 1, 1, offset
    seen = fed_size(spec) - 1
    yield LayerGeometry("input", "input", channels, size, field, jump, pad, last_seen=seen)
    flat = False
    last_conv = ""  # the conv layer whose padding could make room for a pool that does not fit
    for name, layer in zip(spec.layer_names(), spec.layers):
        kind = layer_kind(layer)
        kernel = stride = 1
        padding = 0
        if isinstance(layer, (Conv, MaxPool, AvgPool)):
            if flat:
                raise CnnDesktopError(f"{name}: a {kind} layer cannot follow flatten; move it before flatten")
            kernel = layer.kernel if isinstance(layer, Conv) else layer.window
            stride, padding = layer.stride, getattr(layer, "padding", 0)
            what = "kernel" if isinstance(layer, Conv) else "window"
            if kernel < 1 or stride < 1 or padding < 0:
                raise CnnDesktopError(f"{name}: {what} and stride must be at least 1, padding at least 0")
            new_size = (size + 2 * padding - kernel) // stride + 1
            if new_size < 1:
                raise CnnDesktopError(_does_not_fit(name, layer, size, kernel, padding, last_conv))
            pad += padding * jump
            field += (kernel - 1) * jump
            jump *= stride
            size = new_size
            seen = min(seen, (size - 1) * jump - pad + field - 1)
            if isinstance(layer, Conv):
                if layer.filters < 1:
                    raise CnnDesktopError(f"{name}: needs at least one filter")
                channels, last_conv = layer.filters, name
        elif isinstance(layer, Flatten):
            if flat:
                raise CnnDesktopError(f"{name}: the maps are flat already; remove the second flatten")
            channels, size, flat = channels * size * size, 1, True
            field, jump, pad = spec.input_size, 1, offset
        elif isinstance(layer, Dense):
            if not flat:
                raise CnnDesktopError(f"{name}: a fully connected layer needs a flatten layer before it")
            if layer.units < 1:
                raise CnnDesktopError(f"{name}: needs at least one unit")
            channels = layer.units
        elif isinstance(layer, Dropout) and not 0 <= layer.p < 1:
            raise CnnDesktopError(f"{name}: dropout probability must be at least 0 and below 1, got {layer.p}")
        yield LayerGeometry(name, kind, channels, size, field, jump, pad, kernel, stride, padding, seen)
    if not flat:
        raise CnnDesktopError("the layers must include flatten: conv and pool layers, then flatten, "
                              "then any fully connected layers")
    yield LayerGeometry("out", "fc", len(spec.classes), 1, spec.input_size, 1, offset, last_seen=seen)


def _does_not_fit(name: str, layer, size: int, kernel: int, padding: int, last_conv: str) -> str:
    """Why a window is larger than the (padded) maps it slides over, and what would make it fit."""
    if isinstance(layer, Conv):
        padded = f" (padded to {size + 2 * padding}x{size + 2 * padding})" if padding else ""
        return (f"{name}: its {kernel}x{kernel} kernel does not fit the {size}x{size} maps it reads{padded}; "
                "use a smaller kernel or more padding, or remove it")
    fix = f"remove it or pad {last_conv}" if last_conv else "remove it or use a smaller window"
    return f"{name}: its {size}x{size} maps cannot be pooled {kernel}x{kernel}; {fix}"


def receptive_field(spec: ModelSpec, layer: str, row: int, col: int) -> tuple[int, int, int, int]:
    """Drawing pixels seen by unit (row, col) of a layer, as (top, left, bottom, right), inclusive,
    clipped to the drawing and to what reaches the layer (``LayerGeometry.last_seen``). Units of flat
    layers see all of that: the whole drawing, unless a window dropped its last rows."""
    geo = {g.name: g for g in layer_geometry(spec)}
    if layer not in geo:
        raise CnnDesktopError(f"no layer named {layer!r}; layers are {list(geo)}")
    g = geo[layer]
    last = g.last_seen
    if g.size == 1 and g.kind in ("flatten", "fc"):
        return 0, 0, last, last
    if not (0 <= row < g.size and 0 <= col < g.size):
        raise CnnDesktopError(f"{layer} has {g.size}x{g.size} units; ({row}, {col}) is outside")
    top, left = row * g.jump - g.pad, col * g.jump - g.pad
    bottom, right = top + g.field - 1, left + g.field - 1
    return max(top, 0), max(left, 0), min(bottom, last), min(right, last)
