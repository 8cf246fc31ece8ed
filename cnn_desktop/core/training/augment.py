"""Batch augmentation of preprocessed 28x28 images, done in one pass on the whole batch.

Drawings vary in slant, size, proportions, position and pen width; showing the network slightly
rotated, scaled, slanted, stretched, shifted, thinned and thickened copies of each example teaches it
that these do not change the class.
Working on the batch tensor (one affine grid, one grid_sample, a 3x3 maximum and minimum) costs a
fraction of a training step, unlike per-sample image transforms in a DataLoader. Elastic distortion,
when enabled, bends that same grid by a smooth random field, so the image is still resampled once.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from cnn_desktop.core.network.spec import TrainConfig


def augment_batch(images: torch.Tensor, config: TrainConfig, generator: torch.Generator) -> torch.Tensor:
    """Randomly transformed copies of ``images`` (N, 1, H, W); the input is left unchanged."""
    out = _random_affine(images, config, generator)
    if config.thickness_change > 0:
        out = _random_thickness(out, config.thickness_change, generator)
    return out


def _uniform(n: int, limit: float, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand(n, generator=generator) * 2 - 1) * limit


def _random_affine(images: torch.Tensor, config: TrainConfig, generator: torch.Generator) -> torch.Tensor:
    n, _, h, w = images.shape
    angle = _uniform(n, math.radians(config.max_rotation_degrees), generator)
    # The grid maps output to input coordinates, so dividing by the scale enlarges the drawing by it.
    scale = 1 + _uniform(n, config.max_scale_change, generator)
    shift_x = _uniform(n, config.max_shift_pixels, generator) * 2 / w  # grid units span 2 per image
    shift_y = _uniform(n, config.max_shift_pixels, generator) * 2 / h
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    # output -> input: rotation and scale, then (when enabled) slant and aspect, each drawn per image.
    # Drawn only when enabled, so that runs without them keep their random numbers.
    a, b, c, d = cos, -sin, sin, cos
    if config.max_shear > 0:
        shear = _uniform(n, config.max_shear, generator)  # x moves by shear * y: a slant either way
        b = b + a * shear
        d = d + c * shear
    if config.max_aspect_change > 0:
        # Width and height change in opposite directions by exp(+-max) overall, keeping the area.
        stretch = torch.exp(_uniform(n, config.max_aspect_change, generator) / 2)
        a, c = a * stretch, c * stretch
        b, d = b / stretch, d / stretch
    theta = torch.stack([torch.stack([a, b, shift_x], dim=1), torch.stack([c, d, shift_y], dim=1)], dim=1)
    theta = theta.to(images.device)  # drawn on the CPU's seeded generator, used where the images are
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    if config.elastic_alpha > 0:  # drawn last and only when enabled: runs without it keep their numbers
        grid = grid + _elastic_field(n, h, w, config.elastic_alpha, config.elastic_sigma, generator).to(images.device)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _elastic_field(n: int, h: int, w: int, alpha: float, sigma: float, generator: torch.Generator) -> torch.Tensor:
    """Random displacements (N, H, W, 2) in grid units, as in Simard et al. 2003: uniform noise in
    [-1, 1] per pixel and axis, smoothed by a Gaussian of ``sigma`` pixels, times ``alpha`` pixels.

    Smooth noise bends strokes the way hands wobble (a local stretch or curl) without tearing them.
    The Gaussian is separable: a row and a column convolution instead of one (2r+1)^2 kernel."""
    noise = torch.rand(n * 2, 1, h, w, generator=generator) * 2 - 1  # x and y fields of each image
    radius = max(1, math.ceil(3 * sigma))
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=torch.float32) / sigma) ** 2)
    taps = taps / taps.sum()
    smooth = F.conv2d(noise, taps.view(1, 1, 1, -1), padding=(0, radius))
    smooth = F.conv2d(smooth, taps.view(1, 1, -1, 1), padding=(radius, 0))
    pixels = alpha * smooth.view(n, 2, h, w).permute(0, 2, 3, 1)  # grid order: (x, y) last
    return pixels * torch.tensor([2 / w, 2 / h])  # grid units span 2 per image


def _random_thickness(images: torch.Tensor, amount: float, generator: torch.Generator) -> torch.Tensor:
    """Blend each image toward its 3x3 dilation (thicker) or erosion (thinner) by a random share."""
    n = images.shape[0]
    share = _uniform(n, amount, generator).view(n, 1, 1, 1).to(images.device)
    thicker = _extreme_3x3(images, torch.maximum, -math.inf)
    thinner = _extreme_3x3(images, torch.minimum, math.inf)
    target = torch.where(share > 0, thicker, thinner)
    return images + share.abs() * (target - images)


def _extreme_3x3(images: torch.Tensor, pick, outside: float) -> torch.Tensor:
    """The maximum (or minimum) of each pixel's 3x3 neighbourhood, borders left out: exactly
    ``F.max_pool2d(images, 3, stride=1, padding=1)`` (or ``-F.max_pool2d(-images, ...)``), as rows of 3
    then columns of 3. torch's pooling of one-channel images took 1.3 ms per batch of 64 (one thread),
    more than a third of a training step; this takes 0.07 ms."""
    padded = F.pad(images, (1, 1, 1, 1), value=outside)
    rows = pick(pick(padded[..., :-2, :], padded[..., 1:-1, :]), padded[..., 2:, :])
    return pick(pick(rows[..., :-2], rows[..., 1:-1]), rows[..., 2:])
