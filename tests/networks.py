"""Networks to test every part against: the presets, and random valid designs drawn from a seed.

The random ones mix every layer kind, strides, padding, several convs before a pool, 28 and 32 inputs,
so that nothing that only holds for conv -> ReLU -> pool goes unnoticed. Each is checked to be a
usable design (summary.summarise) before it is returned; the seed makes a failure reproducible.
"""

from __future__ import annotations

import random

from cnn_desktop.core.network.presets import PRESETS, preset_spec
from cnn_desktop.core.network.spec import ModelSpec
from cnn_desktop.core.network.summary import summarise

CLASSES = ("tick", "cross", "circle")
# Drawn to cover 28 and 32 inputs, avgpool with strides, convs with no activation before a pool or a
# conv, sigmoid and tanh in both halves, dropout between fully connected layers.
RANDOM_SEEDS = (4, 5, 6, 10, 17, 20)


def random_spec(seed: int, classes=CLASSES) -> ModelSpec:
    """A random usable network: 1-3 blocks of 1-2 convs (each with or without an activation) and an
    optional pool, then flatten, 0-2 fully connected layers with activations and maybe dropout."""
    rng = random.Random(seed)
    for _ in range(1000):
        layers = []
        for _block in range(rng.randint(1, 3)):
            for _conv in range(rng.randint(1, 2)):
                kernel = rng.choice([1, 2, 3, 5])
                layers.append({"kind": "conv", "filters": rng.randint(1, 6), "kernel": kernel,
                               "stride": rng.choice([1, 1, min(2, kernel)]), "padding": rng.randint(0, kernel - 1)})
                activation = rng.choice(["relu", "tanh", "sigmoid", None])
                if activation:
                    layers.append({"kind": activation})
            pool = rng.choice(["pool", "avgpool", None])
            if pool:
                window = rng.choice([2, 2, 3])
                layers.append({"kind": pool, "window": window, "stride": rng.randint(1, window)})
        layers.append({"kind": "flatten"})
        for _fc in range(rng.randint(0, 2)):
            layers.append({"kind": "fc", "units": rng.randint(2, 12)})
            layers.append({"kind": rng.choice(["relu", "tanh", "sigmoid"])})
            if rng.random() < 0.3:
                layers.append({"kind": "dropout", "p": 0.2})
        description = {"classes": list(classes), "input_size": rng.choice([28, 32]), "layers": layers}
        summary = summarise(description)
        if summary.ok:
            return summary.spec
    raise AssertionError(f"no usable random network for seed {seed}")


def every_network(classes=CLASSES) -> dict[str, ModelSpec]:
    """The presets by name, then the random ones as 'random-SEED'."""
    networks = {name: preset_spec(name, classes) for name in PRESETS}
    networks.update({f"random-{seed}": random_spec(seed, classes) for seed in RANDOM_SEEDS})
    return networks
