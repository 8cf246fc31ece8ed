"""Training throughput for every preset network: the Trainer against a plain PyTorch loop of the same
network, side by side.

``training_throughput`` measures the default network in detail; this asks the same question for each
network the editor offers as a preset (core/network/presets.py: default, lenet5, tiny, deeper), since
the Trainer's speed-ups (channels-last convolutions, ReLU after the pool, fused Adam) were made on the
default network and a person may train any of them. Same data, batch 64, Adam at a constant rate, no
augmentation or validation; the two sides of a preset run interleaved for ``reps`` rounds after a
warm-up, and the median round counts, so that a change of load hits both alike.
"""

from __future__ import annotations

from benchmarks.common import Row, digits_data, median, ratio
from benchmarks.training_throughput import _PlainSide, _rate, _TrainerSide

NAME = "preset_throughput"
TARGET_RATIO = 1.3
BATCH = 64


def measure(quick: bool) -> dict[str, dict[str, list[float]]]:
    from cnn_desktop.core.network.model import configure_torch
    from cnn_desktop.core.network.presets import PRESETS, preset_spec

    configure_torch()
    images, labels, _ = digits_data()
    classes = tuple(str(digit) for digit in range(10))
    reps, steps = (2, 8) if quick else (5, 60)
    budget = 0.4 if quick else float("inf")
    rates: dict[str, dict[str, list[float]]] = {}
    for name in PRESETS:
        spec = preset_spec(name, classes)
        sides = {"trainer": _TrainerSide(images, labels, BATCH, augment=False, spec=spec),
                 "plain": _PlainSide(images, labels, BATCH, spec=spec)}
        for side in sides.values():  # warm-up: first-call allocations, oneDNN primitive creation
            _rate(side, 3 if quick else 10, budget)
        rates[name] = {key: [] for key in sides}
        for _ in range(reps):
            for key, side in sides.items():
                rates[name][key].append(_rate(side, steps, budget))
    return rates


def run(quick: bool = False) -> list[Row]:
    import torch

    rates = measure(quick)
    note = f"batch {BATCH}, no augmentation, median of interleaved rounds, torch threads {torch.get_num_threads()}"
    rows = []
    for index, (name, sides) in enumerate(rates.items()):
        value, ref = median(sides["trainer"]), median(sides["plain"])
        rows.append(Row(NAME, f"Trainer, preset {name}", value, "samples/s", "plain loop, same network", ref,
                        ratio(value, ref), f">= {TARGET_RATIO}x", ratio(value, ref) >= TARGET_RATIO,
                        note=note if index == 0 else "", extra={"rounds": sides["trainer"], "ref_rounds": sides["plain"]}))
    return rows
