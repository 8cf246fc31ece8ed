"""A trivially learnable two-class set, shared by the tests (not a conftest: two conftest modules
exist, and `from conftest import ...` picked one or the other depending on what was collected)."""

import numpy as np


def make_bars(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A trivially learnable two-class set: horizontal bars (0) and vertical bars (1), 28x28 in [0, 1],
    at random positions and lengths."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), np.float32)
    labels = np.arange(n, dtype=np.int64) % 2
    for image, label in zip(images, labels):
        pos, start = rng.integers(6, 22), rng.integers(3, 8)
        length = rng.integers(12, 20)
        if label:
            image[start : start + length, pos - 1 : pos + 1] = 1
        else:
            image[pos - 1 : pos + 1, start : start + length] = 1
    return images, labels
