"""What the network looks at: heat maps over the 28x28 input for one class (engine side: needs torch).

Two ways, both one forward and one backward pass (a couple of milliseconds for this network):

* Grad-CAM (Selvaraju et al., 2017): the last conv layer's rectified maps, each weighted by how much
  the class score rises when that map rises (its gradient, averaged over the map), summed and
  rectified. It answers "which regions speak for this class" at the resolution of that layer (2 input
  pixels for the default network), interpolated from the units' field centres to the input pixels.
  Scaled to [0, 1].
* gradient x input: for each input pixel, how much the class score would change if that pixel's ink
  went away (to first order). Signed: positive pixels speak for the class, negative against.
  Zero on the paper, so it marks strokes, not regions. Scaled to [-1, 1].

Gradients are taken with ``torch.autograd.grad`` on the input and the activations only, never
accumulated into the parameters' ``.grad``, so this can run between two training steps without
touching what the optimiser sees. The drawing goes to the model's device (a model training on a GPU
is looked at there) and the heat map comes back as numpy.
"""

from __future__ import annotations

import numpy as np
import torch

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.geometry import LayerGeometry, fed_size, layer_geometry
from cnn_desktop.core.network.model import CNN
from cnn_desktop.core.network.spec import ACTIVATION_KINDS
from cnn_desktop.core.training.device import model_device

METHODS = ("gradcam", "gradient-x-input")


def saliency_map(model: CNN, image: np.ndarray, class_index: int, method: str = "gradcam") -> np.ndarray:
    """(28, 28) float32 heat map of ``image`` for ``class_index``; see the module docstring."""
    if method not in METHODS:
        raise CnnDesktopError(f"unknown saliency method {method!r}; choose one of {list(METHODS)}")
    if not 0 <= class_index < len(model.classes):
        raise CnnDesktopError(f"no class {class_index}; the model has {len(model.classes)}")
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            return grad_cam(model, image, class_index) if method == "gradcam" else gradient_x_input(model, image, class_index)
    finally:
        model.train(was_training)


def gradient_x_input(model: CNN, image: np.ndarray, class_index: int) -> np.ndarray:
    x = torch.tensor(np.asarray(image, np.float32)[None, None], device=model_device(model), requires_grad=True)
    score = model(x)[0, class_index]
    (gradient,) = torch.autograd.grad(score, x)
    heat = (gradient * x)[0, 0].detach().cpu().numpy().astype(np.float32)
    extent = float(np.abs(heat).max())
    return heat / extent if extent > 0 else heat


def grad_cam(model: CNN, image: np.ndarray, class_index: int) -> np.ndarray:
    geometry = {g.name: g for g in layer_geometry(model.spec)}
    names = [name for name, _ in model.layers.named_children() if name in geometry]  # not a 32x32 net's "pad"
    target = _last_rectified_conv(names, geometry)
    x = torch.from_numpy(np.asarray(image, np.float32)[None, None]).to(model_device(model))
    maps = None
    for name, module in model.layers.named_children():
        x = module(x)
        if name == target:
            maps = x
    (gradient,) = torch.autograd.grad(x[0, class_index], maps)
    weights = gradient[0].mean(dim=(1, 2))  # one weight per map: its average gradient
    cam = torch.relu((weights[:, None, None] * maps[0]).sum(0)).detach().cpu().numpy().astype(np.float64)
    up = heatmap_upsample_matrix(geometry[target], fed_size(model.spec))
    heat = np.maximum(up @ cam @ up.T, 0.0).astype(np.float32)
    top = float(heat.max())
    return heat / top if top > 0 else heat


def _last_rectified_conv(names: list[str], geometry: dict) -> str:
    """The output of the last conv layer, after its activation (ReLU, tanh, sigmoid) when one follows
    it directly: Grad-CAM weighs the maps the rest of the network reads."""
    convs = [i for i, name in enumerate(names) if geometry[name].kind == "conv"]
    if not convs:
        raise CnnDesktopError("Grad-CAM needs a conv layer")
    i = convs[-1]
    if i + 1 < len(names) and geometry[names[i + 1]].kind in ACTIVATION_KINDS:
        return names[i + 1]
    return names[i]


def heatmap_upsample_matrix(geo: LayerGeometry, input_size: int) -> np.ndarray:
    """(input_size, geo.size) linear interpolation from a layer's unit centres to input pixel centres
    (``input_size``: the drawing's side; ``geo`` is in drawing coordinates, see geometry.LayerGeometry).

    Unit i sees input pixels ``i * jump - pad`` .. ``+ field - 1``, so its centre sits at
    ``i * jump - pad + field / 2`` in continuous coordinates; pixels beyond the first or last centre
    take the nearest unit's value. ``M @ map @ M.T`` turns a (size, size) map into an input-sized one.
    """
    centres = np.arange(geo.size) * geo.jump - geo.pad + geo.field / 2
    pixels = np.arange(input_size) + 0.5
    matrix = np.zeros((input_size, geo.size))
    for j, p in enumerate(pixels):
        if geo.size == 1 or p <= centres[0]:
            matrix[j, 0] = 1.0
        elif p >= centres[-1]:
            matrix[j, -1] = 1.0
        else:
            i = int(np.searchsorted(centres, p) - 1)
            t = (p - centres[i]) / (centres[i + 1] - centres[i])
            matrix[j, i], matrix[j, i + 1] = 1 - t, t
    return matrix
