"""Training throughput: the project's Trainer against a plain PyTorch DataLoader loop, and the hardware.

Both sides train the default digits network (``lenet_spec()``, same seed) with Adam at a constant rate
on the same in-memory data, no augmentation, no validation split (the same work per sample). The plain
side is what anyone would write first: ``TensorDataset`` + ``DataLoader(shuffle=True)`` and the usual
zero_grad / backward / step, with the model as ``build_model`` makes it (default memory layout) and
``torch.optim.Adam`` as it comes. The Trainer computes the same network and the same Adam update its own
way (cnn_desktop/core/training/trainer.py): channels-last conv weights, each ReLU before a max-pool run after the
pool (exactly equal), fused Adam, dropout seeded without ``torch.manual_seed``; tests/core checks that
its steps match such a plain loop. The variants run interleaved, ``reps`` rounds of ``steps`` steps each
after a warm-up, and the median round counts, so that a load change on the shared machine hits both sides
alike.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import Row, digits_data, median, peak_flops, ratio

NAME = "training_throughput"
TARGET_RATIO = 1.5


def model_flops(spec) -> tuple[float, float]:
    """(forward FLOPs, training FLOPs) per sample from the layer geometry: 2 per multiply-accumulate of
    every conv and fully connected layer (pooling, ReLU and the loss are ignored), training = 3x forward
    (forward, gradient w.r.t. inputs, gradient w.r.t. weights)."""
    from cnn_desktop.core.network.model import layer_geometry

    geometry = layer_geometry(spec)
    macs = 0
    before = geometry[0]
    for geo in geometry[1:]:
        if geo.kind == "conv":
            macs += geo.size * geo.size * geo.channels * before.channels * geo.kernel * geo.kernel
        elif geo.kind == "fc":
            # a fully connected layer reads the flattened previous layer
            inputs = before.channels * before.size * before.size
            macs += inputs * geo.channels
        if geo.kind != "dropout":
            before = geo
    forward = 2.0 * macs
    return forward, 3.0 * forward


class _TrainerSide:
    def __init__(self, images, labels, batch_size: int, augment: bool, spec=None):
        from cnn_desktop.core.network.model import build_model
        from cnn_desktop.core.network.spec import TrainConfig, lenet_spec
        from cnn_desktop.core.training.trainer import Trainer

        config = TrainConfig(epochs=100_000, batch_size=batch_size, learning_rate=1e-3, optimizer="adam",
                             validation_fraction=0.0, augment=augment, lr_schedule="constant")
        self.batch_size = batch_size
        self.trainer = Trainer(build_model(spec or lenet_spec(), seed=0), images, labels, config)

    def step(self) -> None:
        self.trainer.step()


class _PlainSide:
    def __init__(self, images, labels, batch_size: int, spec=None):
        import torch
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset

        from cnn_desktop.core.network.model import build_model
        from cnn_desktop.core.network.spec import lenet_spec

        self.F = F
        self.batch_size = batch_size
        self.model = build_model(spec or lenet_spec(), seed=0)
        self.model.train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        dataset = TensorDataset(torch.from_numpy(np.ascontiguousarray(images))[:, None], torch.from_numpy(labels))
        self.loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
        self._batches = iter(self.loader)

    def step(self) -> None:
        try:
            x, y = next(self._batches)
        except StopIteration:
            self._batches = iter(self.loader)
            x, y = next(self._batches)
        loss = self.F.cross_entropy(self.model(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()


def _rate(side, steps: int, max_seconds: float = float("inf")) -> float:
    """Samples per second over ``steps`` steps, or fewer if ``max_seconds`` runs out first."""
    started = time.perf_counter()
    done = 0
    while done < steps:
        side.step()
        done += 1
        if time.perf_counter() - started > max_seconds:
            break
    return done * side.batch_size / (time.perf_counter() - started)


def measure(quick: bool) -> dict:
    from cnn_desktop.core.network.model import configure_torch

    configure_torch()  # what the Trainer does first; the plain side runs in the same process, same threads
    images, labels, source = digits_data()
    sides = {
        "trainer64": _TrainerSide(images, labels, 64, augment=False),
        "plain64": _PlainSide(images, labels, 64),
        "trainer256": _TrainerSide(images, labels, 256, augment=False),
        "plain256": _PlainSide(images, labels, 256),
        "trainer64_aug": _TrainerSide(images, labels, 64, augment=True),
    }
    reps = 2 if quick else 5
    steps = {64: 12 if quick else 120, 256: 4 if quick else 36}
    budget = 0.4 if quick else float("inf")  # quick: bounded time per round, whatever the machine's load
    for side in sides.values():  # warm-up: first-call allocations, oneDNN primitive creation
        _rate(side, 3 if quick else 10, budget)
    rates: dict[str, list[float]] = {key: [] for key in sides}
    for _ in range(reps):
        for key, side in sides.items():
            rates[key].append(_rate(side, steps[side.batch_size], budget))
    return {"source": source, "reps": reps, "steps": steps, "rates": rates}


def run(quick: bool = False) -> list[Row]:
    import torch

    from cnn_desktop.core.network.spec import lenet_spec

    result = measure(quick)
    rate = {key: median(values) for key, values in result["rates"].items()}
    forward, train_flops = model_flops(lenet_spec())
    peak, assumption = peak_flops()
    note = f"{result['source']}, median of {result['reps']} interleaved rounds, torch threads {torch.get_num_threads()}"
    rows = []
    for bs in (64, 256):
        value, ref = rate[f"trainer{bs}"], rate[f"plain{bs}"]
        rows.append(Row(NAME, f"Trainer bs{bs}, no augmentation", value, "samples/s", f"DataLoader loop bs{bs}", ref,
                        ratio(value, ref), f">= {TARGET_RATIO}x", ratio(value, ref) >= TARGET_RATIO,
                        note=note if bs == 64 else "", extra={"rounds": result["rates"][f"trainer{bs}"],
                                                              "ref_rounds": result["rates"][f"plain{bs}"]}))
    value, ref = rate["trainer64_aug"], rate["plain64"]
    rows.append(Row(NAME, "Trainer bs64, augmentation on", value, "samples/s", "DataLoader loop bs64 (no aug)", ref,
                    ratio(value, ref), "", None, extra={"rounds": result["rates"]["trainer64_aug"]}))
    for bs in (64, 256):
        for key, who in ((f"trainer{bs}", "Trainer"), (f"plain{bs}", "DataLoader loop")):
            achieved = rate[key] * train_flops
            rows.append(Row(NAME, f"{who} bs{bs}: share of hardware peak", achieved / 1e9, "GFLOP/s",
                            "peak fp32 (assumed)", peak / 1e9, ratio(achieved, peak), "", None,
                            note=(f"{train_flops / 1e6:.2f} MFLOP/sample trained; {assumption}"
                                  if key == "trainer64" else "")))
    return rows
