"""The network built from a ModelSpec, its activations by layer name, and the geometry of every layer.

The geometry (output size, cumulative stride, receptive field) is computed from the spec alone, so the
app can answer "which input pixels does this unit see?" without running the network.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.spec import Conv, Dense, Dropout, Flatten, MaxPool, ModelSpec, ReLU, layer_kind

_torch_configured = False
_torch_lock = threading.Lock()


def configure_torch(threads: int | None = None) -> None:
    """Set torch's thread counts once per process.

    torch only lets the inter-op pool be sized before its first parallel work, and changing the
    intra-op count later makes every op re-create its pool, so this is done once, early, and never
    again. ``CNN_DESKTOP_THREADS`` overrides the default (all cores).
    """
    global _torch_configured
    with _torch_lock:
        if _torch_configured:
            return
        _torch_configured = True
        wanted = threads or int(os.environ.get("CNN_DESKTOP_THREADS", "0")) or (os.cpu_count() or 1)
        torch.set_num_threads(wanted)
        try:
            torch.set_num_interop_threads(1)  # one model, one stream of ops: no use for a second pool
        except RuntimeError:
            pass  # torch already did parallel work in this process; its pool stays as it is


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


class CNN(nn.Module):
    """The classifier: the spec's layers in order, then the output layer "out" (logits)."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.spec = spec
        geometry = layer_geometry(spec)  # validates the spec and gives every layer's input size
        modules: "OrderedDict[str, nn.Module]" = OrderedDict()
        for name, layer, before in zip(spec.layer_names(), spec.layers, geometry):
            modules[name] = _module_for(layer, before)
        modules["out"] = nn.Linear(geometry[-2].channels, len(spec.classes))
        self.layers = nn.Sequential(modules)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.spec.classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(_as_batch(x))

    def forward_with_activations(self, x: torch.Tensor) -> tuple[torch.Tensor, "OrderedDict[str, torch.Tensor]"]:
        """Logits and every layer's output by layer name (the input too, as "input")."""
        x = _as_batch(x)
        activations: "OrderedDict[str, torch.Tensor]" = OrderedDict(input=x)
        for name, module in self.layers.named_children():
            x = module(x)
            activations[name] = x
        return x, activations

    def conv_layers(self) -> list[tuple[str, nn.Conv2d]]:
        return [(n, m) for n, m in self.layers.named_children() if isinstance(m, nn.Conv2d)]

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


def _module_for(layer, before: LayerGeometry) -> nn.Module:
    if isinstance(layer, Conv):
        return nn.Conv2d(before.channels, layer.filters, layer.kernel, layer.stride, layer.padding)
    if isinstance(layer, ReLU):
        return nn.ReLU()
    if isinstance(layer, MaxPool):
        return nn.MaxPool2d(layer.window, layer.stride)
    if isinstance(layer, Flatten):
        return nn.Flatten()
    if isinstance(layer, Dense):
        return nn.Linear(before.channels, layer.units)
    if isinstance(layer, Dropout):
        return nn.Dropout(layer.p)
    raise CnnDesktopError(f"unknown layer {layer!r}")


def _as_batch(x: torch.Tensor) -> torch.Tensor:
    """Accept (H, W), (N, H, W) or (N, C, H, W)."""
    if x.dim() == 2:
        return x[None, None]
    if x.dim() == 3:
        return x[:, None]
    return x


def build_model(spec: ModelSpec, seed: int | None = None) -> CNN:
    """A fresh network for the spec; with a seed, the initial weights are reproducible."""
    if seed is None:
        return CNN(spec)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return CNN(spec)


@torch.no_grad()
def predict_proba(model: CNN, images: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (softmax) for preprocessed images (N, 28, 28) or one image (28, 28)."""
    single = images.ndim == 2
    batch = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    if single:
        batch = batch[None]
    was_training = model.training
    model.eval()
    try:
        chunks = [torch.softmax(model(batch[i : i + batch_size]), dim=1) for i in range(0, len(batch), batch_size)]
    finally:
        model.train(was_training)
    probs = torch.cat(chunks).numpy() if chunks else np.zeros((0, len(model.classes)), np.float32)
    return probs[0] if single else probs
