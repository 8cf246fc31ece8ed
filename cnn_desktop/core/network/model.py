"""The network built from a ModelSpec, and its activations by layer name.

The geometry of every layer (sizes, receptive fields) lives in geometry.py: it needs only the spec.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.geometry import LayerGeometry, input_padding, layer_geometry
from cnn_desktop.core.network.spec import (
    AvgPool, Conv, Dense, Dropout, Flatten, MaxPool, ModelSpec, ReLU, Sigmoid, Tanh)

# The module that adds a 32x32 network's zero border to a 28x28 drawing. It is one of ``layers`` (so
# the trainer, which runs them one by one, pads too) but not a layer of the spec: it has no weights,
# and its output is recorded as the "input" activation, the image the first layer really reads.
PAD = "pad"

_torch_configured = False
_torch_lock = threading.Lock()


def configure_torch(threads: int | None = None) -> None:
    """Set torch's thread counts once per process.

    torch only lets the inter-op pool be sized before its first parallel work, and changing the
    intra-op count later makes every op re-create its pool, so this is done once, early, and never
    again. ``CNN_DESKTOP_THREADS`` overrides both ``threads`` and the default (all cores).
    """
    global _torch_configured
    with _torch_lock:
        if _torch_configured:
            return
        _torch_configured = True
        wanted = int(os.environ.get("CNN_DESKTOP_THREADS", "0")) or threads or (os.cpu_count() or 1)
        torch.set_num_threads(wanted)
        try:
            torch.set_num_interop_threads(1)  # one model, one stream of ops: no use for a second pool
        except RuntimeError:
            pass  # torch already did parallel work in this process; its pool stays as it is


class CNN(nn.Module):
    """The classifier: the spec's layers in order, then the output layer "out" (logits)."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.spec = spec
        geometry = layer_geometry(spec)  # validates the spec and gives every layer's input size
        modules: "OrderedDict[str, nn.Module]" = OrderedDict()
        if input_padding(spec):
            modules[PAD] = nn.ZeroPad2d(input_padding(spec))
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
        """Logits and every layer's output by layer name (the input too, as "input": for a 32x32
        network, the drawing with its zero border)."""
        x = _as_batch(x)
        activations: "OrderedDict[str, torch.Tensor]" = OrderedDict(input=x)
        for name, module in self.layers.named_children():
            # contiguous(): a model trained in channels-last layout (training.py) gives NHWC maps; the
            # panels get plain row-major ones (a no-op for a model in the default layout).
            x = module(x).contiguous()
            activations["input" if name == PAD else name] = x
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
    if isinstance(layer, Tanh):
        return nn.Tanh()
    if isinstance(layer, Sigmoid):
        return nn.Sigmoid()
    if isinstance(layer, MaxPool):
        return nn.MaxPool2d(layer.window, layer.stride)
    if isinstance(layer, AvgPool):
        return nn.AvgPool2d(layer.window, layer.stride)
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
    """Class probabilities (softmax) for preprocessed images (N, 28, 28) or one image (28, 28); a 32x32
    network pads them itself."""
    single = images.ndim == 2
    batch = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    if single:
        batch = batch[None]
    device = next(model.parameters()).device  # batches go where the weights are; the numbers come back
    was_training = model.training
    model.eval()
    try:
        chunks = [torch.softmax(model(batch[i : i + batch_size].to(device)), dim=1).cpu()
                  for i in range(0, len(batch), batch_size)]
    finally:
        model.train(was_training)
    probs = torch.cat(chunks).numpy() if chunks else np.zeros((0, len(model.classes)), np.float32)
    return probs[0] if single else probs
