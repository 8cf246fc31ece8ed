"""Variants of the bundled digits model, trained and measured on the fixed MNIST parts (issue #17).

    CNN_DESKTOP_THREADS=1 python -m benchmarks.digits_variants VARIANT [--final] [--train-select] [--out FILE]

Each variant trains on the ``train`` part of MNIST's test digits (core/data/mnist_splits.py; or on
``train+select`` when it says so) plus, when it says so, drawn digits of the 13 training styles
(seed 0). It is judged on the ``select`` part and on 500 drawn digits of the *training* styles of seed
100 (as strokes and rasters: 1,000 images) — the only figures used to choose among variants. ``--final``
also measures the ``report`` part and the held-out styles (seed 1, 100 a class), once per final
candidate. ``--train-select`` trains on ``train+select`` instead of ``train`` (a distilled variant's
teachers too): the final's recipe once chosen, so select is not measured. One JSON line per run goes to
/tmp/digits-runs/variants.jsonl; the card
(cnn_desktop/resources/models/digits.md) lists them all.

Data are cached under /tmp/digits-runs (never in the repository); MNIST is read in place from
../shared/data/mnist.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from cnn_desktop.core.data.mnist_splits import split_of
from cnn_desktop.core.network.spec import Conv, Dense, Dropout, Flatten, MaxPool, ModelSpec, ReLU, lenet_spec
from cnn_desktop.core.tasks import get_task

RUNS = Path("/tmp/digits-runs")
MNIST = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist"


def _wide(classes) -> ModelSpec:
    """conv 20 -> 48 maps, fc 48, dropout 0.3: 82,706 parameters (variant 11 of the old card)."""
    return ModelSpec(classes=tuple(classes), layers=(
        Conv(filters=20, kernel=5, padding=2), ReLU(), MaxPool(window=2, stride=2),
        Conv(filters=48, kernel=5), ReLU(), MaxPool(window=2, stride=2),
        Flatten(), Dense(units=48), ReLU(), Dropout(p=0.3)))


# name -> (changes to the digits preset's TrainConfig, network, drawn digits per class, MNIST part).
# Every variant trains with validation_fraction 0 and the epochs it names.
VARIANTS = {
    "A-mnist-only": ({"epochs": 20}, "lenet", 0, "train"),
    "B-drawn-200": ({"epochs": 20}, "lenet", 200, "train"),
    "C-drawn-400": ({"epochs": 20}, "lenet", 400, "train"),
    "D-drawn-200-wide": ({"epochs": 20}, "wide", 200, "train"),
    "E-drawn-400-wide": ({"epochs": 20}, "wide", 400, "train"),
    "F-drawn-400-30ep": ({"epochs": 30}, "lenet", 400, "train"),
    # MNIST's train part twice over, so that drawn digits are a third of the data rather than half.
    "G-drawn-400-mnist-twice": ({"epochs": 20}, "lenet", 400, "train*2"),
    # G + elastic distortion (Simard et al. 2003's setting at 28x28: alpha 34 px, sigma 4 px).
    "H-elastic-34-4": ({"epochs": 20, "elastic_alpha": 34.0, "elastic_sigma": 4.0}, "lenet", 400, "train*2"),
    # The same, smoother and smaller (sigma 6: displacements about 0.9 px rather than 1.4; Ciresan et al.
    # 2010 used sigma 5-6 with affine distortions as here).
    "H2-elastic-34-6": ({"epochs": 20, "elastic_alpha": 34.0, "elastic_sigma": 6.0}, "lenet", 400, "train*2"),
}

# Distilled variants: name -> (the teachers' variant, their seeds, temperature, alpha). The student is
# the named variant of VARIANTS, trained on the teachers' averaged softened answers to each augmented
# batch (core/training/distill.py). Teachers train on the student's MNIST part; they are saved under
# RUNS as teacher-PART-SEED.safetensors and trained here first when missing.
DISTILLED = {
    "I-distil-G4": ("G-drawn-400-mnist-twice", (1, 2, 3, 4), 4.0, 0.7),
    # I at temperature 2: closer to the labels' own answer (I, at 4, read select at 98.3%).
    "I2-distil-G4-T2": ("G-drawn-400-mnist-twice", (1, 2, 3, 4), 2.0, 0.7),
    "J-distil-G4-elastic": ("G-drawn-400-mnist-twice", (1, 2, 3, 4), 4.0, 0.7),  # I's teachers, H's student
}
VARIANTS["I-distil-G4"] = VARIANTS["I2-distil-G4-T2"] = VARIANTS["G-drawn-400-mnist-twice"]
VARIANTS["J-distil-G4-elastic"] = VARIANTS["H-elastic-34-4"]


def _cached(name: str, make):
    path = RUNS / f"{name}.npz"
    if path.exists():
        data = np.load(path)
        return data["x"], data["y"]
    x, y = make()
    np.savez(path, x=x, y=y)
    return x, y


def _mnist():
    from cnn_desktop.core.data.datasets import load_dataset

    data = load_dataset(MNIST, mnist_files="test")
    return data.images, data.labels


def _drawn(n: int, seed: int, held_out: bool):
    from cnn_desktop.core.data.digit_styles import HELD_OUT_STYLES, TRAINING_STYLES
    from cnn_desktop.core.data.synth import drawn_digits_dataset

    drawn = drawn_digits_dataset(n, seed, HELD_OUT_STYLES if held_out else TRAINING_STYLES)
    return drawn.images, drawn.labels


def _figures(model, x, y) -> dict:
    from cnn_desktop.core.inspection.evaluation import evaluate_model

    report = evaluate_model(model, x, y)
    per_class = report.confusion.diagonal() / np.maximum(report.confusion.sum(axis=1), 1)
    return {"accuracy": round(float(report.accuracy), 4), "n": int(len(y)),
            "per_class": [round(float(a), 3) for a in per_class]}


def _training_data(variant: str, mnist_part: str):
    """The variant's training images and labels: its MNIST part (twice over when it says so), then its
    drawn digits."""
    _, _, drawn_n, part = VARIANTS[variant]
    mx, my = _cached("mnist-t10k", _mnist)
    chosen = split_of(my, mnist_part)
    if part.endswith("*2"):
        chosen = np.concatenate([chosen, chosen])
    x, y = mx[chosen], my[chosen]
    if drawn_n:
        dx, dy = _cached(f"drawn-train-{drawn_n}", lambda: _drawn(drawn_n, 0, held_out=False))
        x, y = np.concatenate([x, dx]), np.concatenate([y, dy])
    return x, y


def _train(variant: str, seed: int, mnist_part: str, loss=None):
    """(model, training seconds) of one run of the variant's recipe."""
    from cnn_desktop.core.network.model import build_model
    from cnn_desktop.core.training.trainer import Trainer

    changes, net, _, _ = VARIANTS[variant]
    task = get_task("digits")
    x, y = _training_data(variant, mnist_part)
    config = task.train_config.with_(validation_fraction=0.0, seed=seed, **changes)
    spec = _wide(task.classes) if net == "wide" else lenet_spec(task.classes)
    model = build_model(spec, seed=seed)
    started = time.perf_counter()
    Trainer(model, x, y, config, loss=loss).fit()
    model.eval()
    return model, time.perf_counter() - started


def _teachers(variant: str, mnist_part: str) -> tuple[list, dict]:
    """The distilled variant's teachers (loaded, or trained and saved first) and what to record of them."""
    from cnn_desktop.core.network.checkpoint import load_model, save_model

    teacher_variant, seeds, _, _ = DISTILLED[variant]
    teachers, trained_seconds = [], 0.0
    for seed in seeds:
        path = RUNS / f"teacher-{mnist_part}-{seed}.safetensors"
        if not path.exists():
            model, seconds = _train(teacher_variant, seed, mnist_part)
            trained_seconds += seconds
            save_model(path, model, [], {"variant": teacher_variant, "seed": seed, "mnist_part": mnist_part})
        teachers.append(load_model(path).model)
    return teachers, {"teachers": teacher_variant, "teacher_seeds": list(seeds),
                      "teacher_seconds_here": round(trained_seconds, 1)}


def _ensemble_figures(teachers, x, y) -> dict:
    """The teachers' accuracy as an ensemble: the class of the highest average probability."""
    from cnn_desktop.core.network.model import predict_proba

    average = np.mean([predict_proba(t, x) for t in teachers], axis=0)
    return {"accuracy": round(float((average.argmax(1) == y).mean()), 4), "n": int(len(y))}


def main() -> None:
    from cnn_desktop.core.network.checkpoint import save_model
    from cnn_desktop.core.training.distill import DistillationLoss

    parser = argparse.ArgumentParser()
    parser.add_argument("variant", choices=sorted(VARIANTS))
    parser.add_argument("--final", action="store_true")
    parser.add_argument("--train-select", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    RUNS.mkdir(exist_ok=True)
    changes, net, drawn_n, part = VARIANTS[options.variant]
    mnist_part = "train+select" if options.train_select else part.removesuffix("*2")
    mx, my = _cached("mnist-t10k", _mnist)
    select = mx[split_of(my, "select")], my[split_of(my, "select")]
    loss, extra = None, {}
    if options.variant in DISTILLED:
        teachers, extra = _teachers(options.variant, mnist_part)
        _, _, temperature, alpha = DISTILLED[options.variant]
        loss = DistillationLoss(teachers, temperature, alpha)
        extra.update(temperature=temperature, alpha=alpha)
        if mnist_part != "train+select":
            extra["teachers_select"] = _ensemble_figures(teachers, *select)
        extra["teachers_dev"] = _ensemble_figures(teachers, *_cached("drawn-dev", lambda: _drawn(50, 100, False)))
    model, seconds = _train(options.variant, options.seed, mnist_part, loss)
    result = {"variant": options.variant, "seed": options.seed, "params": model.parameter_count(),
              "examples": int(len(_training_data(options.variant, mnist_part)[1])), "seconds": round(seconds, 1),
              "config": changes, "net": net, "drawn_per_class": drawn_n,
              "mnist_part": mnist_part + ("*2" if part.endswith("*2") else ""), **extra}
    if mnist_part != "train+select":
        result["select"] = _figures(model, *select)
    result["dev_drawn_training_styles"] = _figures(model, *_cached("drawn-dev", lambda: _drawn(50, 100, False)))
    if options.final:
        result["report"] = _figures(model, mx[split_of(my, "report")], my[split_of(my, "report")])
        result["held_out_styles"] = _figures(model, *_cached("drawn-heldout", lambda: _drawn(100, 1, True)))
    line = json.dumps(result)
    print(line)
    with open(RUNS / "variants.jsonl", "a") as log:
        log.write(line + "\n")
    if options.out:
        save_model(options.out, model, [], {"variant": options.variant})


if __name__ == "__main__":
    main()
