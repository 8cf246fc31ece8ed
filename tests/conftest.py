"""Fixtures shared by the core and GUI tests."""

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"


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


@pytest.fixture
def bars():
    return make_bars(400)


@pytest.fixture
def mnist_dir() -> Path:
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST test split not found at {MNIST_DIR} (see shared/data/mnist/README.md)")
    return MNIST_DIR
