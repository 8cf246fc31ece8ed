"""Where ``--device auto`` should train: the time of a training step of each preset network, on the CPU
and, where there is one, on a GPU, side by side; and what ``auto`` picks for each.

``python -m benchmarks.device_choice [--quick] [--device cuda|mps] [--batch N]``

Each preset trains with the project's Trainer (Adam, no augmentation, 10 classes, random 28x28 data: the
time of a step does not depend on what the pixels show), ``reps`` rounds of ``steps`` steps after a
warm-up, the devices interleaved round by round so that a load change on a shared machine hits both;
the median round counts. A GPU step is timed to its end (the loss is read back every step, as the
trainer does). The last columns fit the CPU's times to ``fixed + per_macs x step work``: the rule in
core/training/device.py is written from that fit.

Without a GPU only the CPU side is measured and the GPU columns say so: the threshold for ``auto`` then
rests on an assumed GPU step time, not a measured one (see core/training/device.py).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _trainer(spec, device, batch: int, examples: int = 1024):
    from cnn_desktop.core.network.model import build_model
    from cnn_desktop.core.network.spec import TrainConfig
    from cnn_desktop.core.training.trainer import Trainer

    rng = np.random.default_rng(0)
    images = rng.random((examples, 28, 28), dtype=np.float32)
    labels = np.arange(examples) % len(spec.classes)
    config = TrainConfig(epochs=1000, batch_size=batch, learning_rate=1e-3, optimizer="adam", augment=False,
                         validation_fraction=0.0, seed=0)
    return Trainer(build_model(spec, seed=0), images, labels, config, device=device)


def _round(trainer, steps: int, device) -> float:
    """Seconds per step over ``steps`` steps (the loss is read each step, which waits for a GPU)."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        trainer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - started) / steps


def measure(devices: list[str], batch: int, steps: int, reps: int) -> list[dict]:
    import torch

    from cnn_desktop.core.network.presets import PRESETS, preset_spec
    from cnn_desktop.core.network.summary import summarise
    from cnn_desktop.core.training.device import AUTO_ACCELERATOR_MACS, choose_device, step_macs

    classes = [str(i) for i in range(10)]
    rows = []
    for name in PRESETS:
        spec = preset_spec(name, classes)
        example_macs = summarise(spec).totals.macs
        work = step_macs(example_macs, batch, training=True)
        trainers = {d: _trainer(spec, torch.device(d), batch) for d in devices}
        for d, trainer in trainers.items():  # warm-up: first-call allocations, cuDNN's choices
            _round(trainer, max(3, steps // 4), torch.device(d))
        times: dict[str, list[float]] = {d: [] for d in devices}
        for _ in range(reps):
            for d, trainer in trainers.items():
                times[d].append(_round(trainer, steps, torch.device(d)))
        row = {"preset": name, "example_macs": example_macs, "step_macs": work,
               "auto": choose_device("auto", work).device.type,
               "auto_with_gpu": "gpu" if work >= AUTO_ACCELERATOR_MACS else "cpu"}
        for d in devices:
            row[f"{d}_ms"] = statistics.median(times[d]) * 1000
        rows.append(row)
    return rows


def fit_cpu(rows: list[dict]) -> tuple[float, float]:
    """(fixed ms, ms per 10 million multiply-adds of step work), least squares over the presets."""
    x = np.array([r["step_macs"] / 1e7 for r in rows])
    y = np.array([r["cpu_ms"] for r in rows])
    slope, fixed = np.polyfit(x, y, 1)
    return float(fixed), float(slope)


def main(argv=None) -> int:
    import torch

    from cnn_desktop.core.training.device import AUTO_ACCELERATOR_MACS, available

    parser = argparse.ArgumentParser(prog="python -m benchmarks.device_choice", description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cuda", "mps"], help="also time this accelerator (default: the "
                                                                 "first one found, if any)")
    parser.add_argument("--batch", type=int, default=64)
    # One CPU thread by default: on the shared 2-core machines two torch threads fighting other work
    # made steps 10-50x slower at random (tests/conftest.py), drowning the per-network differences.
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="a few steps only: a smoke test")
    options = parser.parse_args(argv)
    from cnn_desktop.core.network.model import configure_torch

    configure_torch(options.threads)
    accelerator = options.device or (available()[0] if available() else None)
    devices = ["cpu"] + ([accelerator] if accelerator else [])
    steps, reps = (4, 2) if options.quick else (20, 5)
    rows = measure(devices, options.batch, steps, reps)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s), batch {options.batch}, "
          f"{steps} steps x {reps} rounds, median round; auto's threshold {AUTO_ACCELERATOR_MACS / 1e6:.0f} "
          "million multiply-adds a step")
    header = f"{'preset':<9}{'MACs/drawing':>14}{'MACs/step':>14}{'cpu ms/step':>13}"
    header += f"{accelerator + ' ms/step':>15}{'cpu / ' + accelerator:>12}" if accelerator else f"{'GPU':>18}"
    print(header + f"{'auto here':>11}{'auto with a GPU':>17}")
    for r in rows:
        line = f"{r['preset']:<9}{r['example_macs']:>14,}{r['step_macs']:>14,}{r['cpu_ms']:>13.2f}"
        if accelerator:
            line += f"{r[accelerator + '_ms']:>15.2f}{r['cpu_ms'] / r[accelerator + '_ms']:>11.2f}x"
        else:
            line += f"{'not measured':>18}"
        print(line + f"{r['auto']:>11}{r['auto_with_gpu']:>17}")
    fixed, slope = fit_cpu(rows)
    print(f"CPU fit: {fixed:.2f} ms + {slope:.2f} ms per 10 million multiply-adds of step work")
    if not accelerator:
        print("No GPU here: the GPU side was not measured; auto's threshold rests on an assumed GPU overhead per step (core/training/device.py).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
