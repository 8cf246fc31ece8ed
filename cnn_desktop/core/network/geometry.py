"""The geometry of every layer of a ModelSpec: output size, cumulative stride, receptive field.

Computed from the spec alone (no torch), so the window can describe the layers and answer "which input
pixels does this unit see?" without loading the network, and before torch has even been imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.spec import Conv, Dense, Dropout, Flatten, MaxPool, ModelSpec, layer_kind


@dataclass(frozen=True)
class LayerGeometry:
    """Where a layer's units sit relative to the input image.

    A unit at (row, col) of this layer's maps sees the input rows
    ``row * jump - pad .. row * jump - pad + field - 1`` (the same for columns); ``field`` is the side
    of its receptive field, ``jump`` the distance in input pixels between neighbouring units, ``pad``
    how far the first unit's field starts before the input's first pixel.
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


def layer_geometry(spec: ModelSpec) -> list[LayerGeometry]:
    """Geometry of the input and of every layer, in order; raises CnnDesktopError for impossible specs."""
    size, channels, field, jump, pad = spec.input_size, spec.in_channels, 1, 1, 0
    geometry = [LayerGeometry("input", "input", channels, size, field, jump, pad)]
    flat = False
    for name, layer in zip(spec.layer_names(), spec.layers):
        kind = layer_kind(layer)
        kernel = stride = 1
        padding = 0
        if isinstance(layer, (Conv, MaxPool)):
            if flat:
                raise CnnDesktopError(f"{name}: a {kind} layer cannot follow flatten")
            kernel = layer.kernel if isinstance(layer, Conv) else layer.window
            stride, padding = layer.stride, getattr(layer, "padding", 0)
            if kernel < 1 or stride < 1 or padding < 0:
                raise CnnDesktopError(f"{name}: kernel and stride must be positive, padding not negative")
            new_size = (size + 2 * padding - kernel) // stride + 1
            if new_size < 1:
                raise CnnDesktopError(f"{name}: a {kernel}x{kernel} window does not fit a {size}x{size} input")
            pad += padding * jump
            field += (kernel - 1) * jump
            jump *= stride
            size = new_size
            if isinstance(layer, Conv):
                if layer.filters < 1:
                    raise CnnDesktopError(f"{name}: needs at least one filter")
                channels = layer.filters
        elif isinstance(layer, Flatten):
            channels, size, flat = channels * size * size, 1, True
            field, jump, pad = spec.input_size, 1, 0
        elif isinstance(layer, Dense):
            if not flat:
                raise CnnDesktopError(f"{name}: a fully connected layer needs a flatten layer before it")
            if layer.units < 1:
                raise CnnDesktopError(f"{name}: needs at least one unit")
            channels = layer.units
        elif isinstance(layer, Dropout) and not 0 <= layer.p < 1:
            raise CnnDesktopError(f"{name}: dropout probability must be in [0, 1), got {layer.p}")
        geometry.append(LayerGeometry(name, kind, channels, size, field, jump, pad, kernel, stride, padding))
    if not flat:
        raise CnnDesktopError("the layers must end in flatten (and optionally fully connected layers)")
    geometry.append(LayerGeometry("out", "fc", len(spec.classes), 1, spec.input_size, 1, 0))
    return geometry


def receptive_field(spec: ModelSpec, layer: str, row: int, col: int) -> tuple[int, int, int, int]:
    """Input pixels seen by unit (row, col) of a layer, as (top, left, bottom, right), inclusive,
    clipped to the image. Units of flat layers see the whole input."""
    geo = {g.name: g for g in layer_geometry(spec)}
    if layer not in geo:
        raise CnnDesktopError(f"no layer named {layer!r}; layers are {list(geo)}")
    g = geo[layer]
    last = spec.input_size - 1
    if g.size == 1 and g.kind in ("flatten", "fc"):
        return 0, 0, last, last
    if not (0 <= row < g.size and 0 <= col < g.size):
        raise CnnDesktopError(f"{layer} has {g.size}x{g.size} units; ({row}, {col}) is outside")
    top, left = row * g.jump - g.pad, col * g.jump - g.pad
    bottom, right = top + g.field - 1, left + g.field - 1
    return max(top, 0), max(left, 0), min(bottom, last), min(right, last)
