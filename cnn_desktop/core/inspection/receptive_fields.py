"""Where a unit of a feature map looks and what it computed, for the receptive-field views:
Qt-free, numpy only (no torch): the window calls these on the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_desktop.core.network.geometry import LayerGeometry, fed_size, layer_geometry, receptive_field
from cnn_desktop.core.network.spec import POOL_KINDS, ModelSpec


def inverse_affine(to_input: np.ndarray) -> np.ndarray:
    """The 2x3 affine mapping 28x28 input coordinates back to drawing coordinates."""
    full = np.vstack([np.asarray(to_input, np.float64).reshape(2, 3), [0.0, 0.0, 1.0]])
    return np.linalg.inv(full)[:2]


def input_box_to_drawing(to_input: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    """Input pixels (top, left, bottom, right), inclusive, as a drawing rectangle (x0, y0, x1, y1).

    Pixel (col c, row r) covers [c, c + 1) x [r, r + 1) in continuous input coordinates, so the box is
    [left, right + 1) x [top, bottom + 1); preprocessing only scales and shifts, so it stays a rectangle.
    """
    top, left, bottom, right = box
    back = inverse_affine(to_input)
    corners = np.array([[left, top, 1.0], [right + 1, bottom + 1, 1.0]]) @ back.T
    (x0, y0), (x1, y1) = corners
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def unit_index(activation: np.ndarray, tile: int, y: int, x: int, columns: int = 16) -> tuple[int, ...] | None:
    """Index into a layer's activation of the unit shown at (tile, y, x).

    Maps (C, H, W) are shown one tile per map; a vector (N,) is shown as one strip-shaped tile of
    ``columns`` columns (see the window's ``as_tiles``). None for an empty slot of the strip.
    """
    if activation.ndim == 3:
        if 0 <= tile < activation.shape[0] and 0 <= y < activation.shape[1] and 0 <= x < activation.shape[2]:
            return tile, y, x
        return None
    count = activation.size
    columns = columns if count > columns else count
    index = y * columns + x
    return (index,) if tile == 0 and 0 <= index < count else None


@dataclass(frozen=True)
class UnitInfo:
    """What one unit of one layer is, for the receptive-field view."""

    layer: str
    kind: str  # "conv", "relu", "tanh", "sigmoid", "pool", "avgpool", "fc", "flatten"
    index: tuple[int, ...]  # (map, row, col) or (unit,)
    value: float
    box: tuple[int, int, int, int]  # input pixels seen: (top, left, bottom, right), inclusive, clipped
    kernel_layer: str | None  # the conv layer whose filter produced this map (None for flat layers)
    kernel_shape: tuple[int, ...] | None  # (in maps, k, k) of that filter
    text: str  # one line for the person


def describe_unit(spec: ModelSpec, layer: str, activation: np.ndarray, tile: int, y: int, x: int) -> UnitInfo | None:
    """The unit shown at (tile, y, x) of ``layer``'s grid: its value, the input it sees, its kernel."""
    index = unit_index(np.asarray(activation), tile, y, x)
    if index is None:
        return None
    geometry = layer_geometry(spec)
    geo = {g.name: g for g in geometry}[layer]
    value = float(np.asarray(activation)[index])
    if len(index) == 3:
        channel, row, col = index
        box = receptive_field(spec, layer, row, col)
        producer = _producing_conv(geometry, layer)
        shape = (geometry[geometry.index(producer) - 1].channels, producer.kernel, producer.kernel) if producer else None
        where = f"{layer} map {channel} unit ({row}, {col}) = {value:.3g}"
    else:
        box = (0, 0, geo.last_seen, geo.last_seen)  # all that reaches it: the whole drawing, mostly
        producer, shape = None, None
        unit = "class " + spec.classes[index[0]] if layer == "out" else f"unit {index[0]}"
        where = f"{layer} {unit} = {value:.3g}"
    top, left, bottom, right = box
    sees = f"sees input rows {top}-{bottom}, cols {left}-{right}"
    if len(index) == 1 and bottom == fed_size(spec) - 1:
        sees = f"sees the whole {fed_size(spec)}×{fed_size(spec)} input"
    parts = [where, sees]
    if producer is not None and shape is not None:
        via = "" if producer.name == layer else f" of {producer.name}"
        parts.append(f"kernel{via} {'×'.join(str(s) for s in shape)}")
        if geo.kind in POOL_KINDS:
            how = "max" if geo.kind == "pool" else "average"
            parts.append(f"{how} of a {geo.kernel}×{geo.kernel} window")
    return UnitInfo(layer, geo.kind, tuple(int(i) for i in index), value, box,
                    producer.name if producer else None, shape, " · ".join(parts))


def _producing_conv(geometry: list[LayerGeometry], layer: str) -> LayerGeometry | None:
    """The conv layer whose filters made ``layer``'s maps (itself, or the last conv before an
    activation or pool)."""
    last = None
    for geo in geometry:
        if geo.kind == "conv":
            last = geo
        elif geo.kind in ("flatten", "fc"):
            last = None
        if geo.name == layer:
            return last
    return None
