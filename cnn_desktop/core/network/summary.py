"""A network description as the person editing it sees it: one row per layer (output shape, parameters,
multiply-adds, receptive field), the totals, and the first problem, in one line naming the layer.

``summarise`` is pure and never raises: it takes what the person typed (a ModelSpec, its dict, or JSON
text) and is meant to run on every keystroke, without torch. ``check_design`` raises that first
problem instead, for the command line (``train --arch``) and anything else about to build a network.

Two kinds of problem. A description that cannot run at all (a pool on 1x1 maps, fc before flatten) is
geometry.py's. The limits below are this module's: they keep training and live prediction responsive
on a 2-core laptop, and apply to what a person designs; a model file made elsewhere only has to run
(checkpoint.py bounds it more loosely, against files that would exhaust memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnn_desktop.core.errors import CnnDesktopError, one_line
from cnn_desktop.core.network.geometry import LayerGeometry, iter_geometry
from cnn_desktop.core.network.spec import DRAWING_SIZE, INPUT_PADDING, Conv, ModelSpec

# The limits. Measured with torch 2.13 CPU on 2 shared cores (load ~1.7), 2 torch threads, plain torch
# (forward_with_activations of one drawing; forward + backward + Adam on 64): the default network
# predicts in ~2.7 ms and trains a step in ~64 ms; a network just inside the limits (conv 32-32-pool-
# 64-64-pool 3x3 with padding, fc 128: 468k parameters, 18.7 million multiply-adds, 164k values) in
# ~9 ms and ~430 ms, 7x the default: an epoch of 1,000 drawings takes ~7 s and live prediction still
# keeps up with the pen. A training step costs about 23 ms per million multiply-adds there, so twice
# the limit would near a second per step, and the window's curves and feature maps would lag behind.
MAX_LAYERS = 24  # hidden layers, activations and pools included ("out" is added)
MAX_PARAMS = 1_000_000  # weights and biases: 4 MB of float32, a file the app loads at once
MAX_MACS = 20_000_000  # multiply-adds for one drawing, conv and fully connected layers
MAX_VALUES = 300_000  # values one drawing makes across all layers (memory of a training batch)

LIMITS_NOTE = (f"Limits that keep drawing, live prediction and training responsive on a 2-core laptop: "
               f"at most {MAX_LAYERS} layers, {MAX_PARAMS:,} parameters, {MAX_MACS // 1_000_000} million "
               f"multiply-adds and {MAX_VALUES:,} values per drawing; input {DRAWING_SIZE}x{DRAWING_SIZE}, or "
               "32x32 (the drawing with a 2-pixel zero border, as LeNet-5 had).")


@dataclass(frozen=True)
class LayerRow:
    """One line of the table: what a layer makes of one drawing."""

    name: str
    kind: str
    shape: tuple[int, ...]  # (maps, height, width), or (units,) once flat
    params: int  # weights and biases
    macs: int  # multiply-adds for one drawing (conv and fully connected layers; 0 for the others)
    field: int  # side of a unit's receptive field in drawing pixels; 0 once flat (the whole drawing)

    @property
    def shape_text(self) -> str:
        return "x".join(str(n) for n in self.shape)

    @property
    def field_text(self) -> str:
        return f"{self.field}x{self.field}" if self.field else "whole input"


@dataclass(frozen=True)
class Totals:
    layers: int
    params: int
    macs: int
    values: int  # every layer's output for one drawing, input included


@dataclass(frozen=True)
class NetworkSummary:
    rows: tuple[LayerRow, ...]  # up to the first layer with a problem (the input first, "out" last)
    totals: Totals  # of the rows shown
    error: str | None  # the first problem, one line naming the layer; None for a usable design
    spec: ModelSpec | None  # None when the description could not even be read

    @property
    def ok(self) -> bool:
        return self.error is None


def summarise(description: ModelSpec | dict[str, Any] | str) -> NetworkSummary:
    """Rows, totals and the first problem of ``description`` (a ModelSpec, its dict, or JSON text)."""
    try:
        spec = _as_spec(description)
    except CnnDesktopError as error:
        return NetworkSummary((), Totals(0, 0, 0, 0), one_line(error, 250), None)
    rows: list[LayerRow] = []
    error = None
    previous, flat = None, False
    try:
        for geo in iter_geometry(spec):
            flat = flat or geo.kind == "flatten" or geo.name == "out"
            rows.append(_row(geo, previous, flat))
            previous = geo
    except CnnDesktopError as problem:
        error = one_line(problem, 250)
    totals = Totals(len(spec.layers), sum(r.params for r in rows), sum(r.macs for r in rows),
                    sum(_count(r.shape) for r in rows))
    if error is None:
        error = _design_problem(spec, rows)
    return NetworkSummary(tuple(rows), totals, error, spec)


def check_design(spec: ModelSpec) -> ModelSpec:
    """``spec`` if it runs and keeps within the limits; else CnnDesktopError, the first problem."""
    summary = summarise(spec)
    if summary.error:
        raise CnnDesktopError(summary.error)
    return spec


def _as_spec(description: ModelSpec | dict[str, Any] | str) -> ModelSpec:
    if isinstance(description, ModelSpec):
        return description
    if isinstance(description, str):
        return ModelSpec.from_json(description)
    if isinstance(description, dict):
        return ModelSpec.from_dict(description)
    raise CnnDesktopError(f"a network description is a JSON object, not {type(description).__name__}")


def _row(geo: LayerGeometry, before: LayerGeometry | None, flat: bool) -> LayerRow:
    shape = (geo.channels,) if flat else (geo.channels, geo.size, geo.size)
    params = macs = 0
    if geo.kind == "conv" and before is not None:
        weights = geo.channels * before.channels * geo.kernel * geo.kernel
        params, macs = weights + geo.channels, weights * geo.size * geo.size
    elif geo.kind == "fc" and before is not None:
        params, macs = before.channels * geo.channels + geo.channels, before.channels * geo.channels
    field = geo.field if len(shape) == 3 else 0
    return LayerRow(geo.name, geo.kind, shape, params, macs, field)


def _count(shape: tuple[int, ...]) -> int:
    total = 1
    for n in shape:
        total *= n
    return total


def _design_problem(spec: ModelSpec, rows: list[LayerRow]) -> str | None:
    """The first limit a runnable description breaks, in one line naming the layer; or None."""
    if spec.input_size not in INPUT_PADDING or spec.in_channels != 1:
        return (f"input: the network reads {DRAWING_SIZE}x{DRAWING_SIZE} drawings with 1 channel, or 32x32 "
                f"(zero-padded); got {spec.input_size}x{spec.input_size} with {spec.in_channels}")
    if len(spec.layers) > MAX_LAYERS:
        return f"{len(spec.layers)} layers; at most {MAX_LAYERS} keep training responsive on 2 cores"
    for name, layer in zip(spec.layer_names(), spec.layers):
        problem = _window_problem(name, layer)
        if problem:
            return problem
    params = macs = values = 0
    producer = rows[0]
    for row in rows:
        producer = row if row.kind in ("conv", "fc") else producer  # whose maps or units these are
        params, macs, values = params + row.params, macs + row.macs, values + _count(row.shape)
        over = [(params, MAX_PARAMS, "parameters"), (macs, MAX_MACS, "multiply-adds per drawing"),
                (values, MAX_VALUES, "values per drawing")]
        for total, limit, what in over:
            if total > limit:
                return (f"{producer.name}: brings the network to {total:,} {what}, over the limit of {limit:,} "
                        f"that keeps it responsive on 2 cores; {_smaller(producer)}")
    return None


def _window_problem(name: str, layer) -> str | None:
    """Windows that run but make no sense: padding no window needs, strides that skip pixels."""
    window = layer.kernel if isinstance(layer, Conv) else getattr(layer, "window", None)
    if window is None:
        return None
    what = "kernel" if isinstance(layer, Conv) else "window"
    if layer.stride > window:
        return (f"{name}: stride {layer.stride} skips pixels no {window}x{window} {what} covers; "
                f"use a stride of at most {window}")
    padding = getattr(layer, "padding", 0)
    if padding >= window:
        return (f"{name}: padding {padding} adds borders only zeros can reach; "
                f"a {window}x{window} {what} needs at most {window - 1}")
    return None


def _smaller(row: LayerRow) -> str:
    if row.kind == "conv":
        return "use fewer filters, a stride, or pool before it"
    if row.kind == "fc":
        return "use fewer units, or pool more before flatten"
    return "use fewer filters, or pool earlier"
