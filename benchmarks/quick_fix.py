"""``python -m benchmarks.quick_fix [--model PATH] [--seeds 0 1 2] [--choose] [--borderline]``: does the
app's quick fix teach the network a person's '1' without costing the other digits?

Not part of ``python -m benchmarks``: a study with accuracy figures, not a speed figure to watch.
Re-run it on any digits model (``--model``; the bundled one by default).

A person draws '1's with a flag (``digit_styles``: "1 flag", the style the bundled model's card says it
reads as 7 about half the time). Per seed:

1. the person's drawings, in turn, until 5 of them are ones the app would call corrections (misread,
   or borderline: ``quick_fix.needs_fix``, exactly the session's rule) -- those 5 are labelled;
2. the app's quick fine-tune runs, exactly as in the app: a Qt-free ``Engine`` gets ``UseModel`` and
   the ``QuickFix`` command the session sends (``QuickFixes.plan``), and is driven to its end;
3. measured before and after: (a) 200 fresh drawings of the same style (other seeds than the
   corrections), (b) held-out MNIST: ``core/data/mnist_splits.py``'s REPORT split when it exists, else
   the digits model's own validation split, re-created from what its file records (1,000 digits of
   the 10,000-digit test set with seed 0), and never trained on by the model.
   A control run with the same replay drawings but no corrections says how much of the fix comes from
   the person's 5 drawings rather than from the generated digits (which include flagged 1s).

``--choose`` compares fine-tune settings on OTHER seeds (100-102) and MNIST digits the model trained on
(its training split: forgetting shows there too), so that the reported figures do not choose the
settings. ``--borderline`` prints how the borderline rule (``confidence.top_two``) marks drawings.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

STYLE = (1, "flag")
CORRECTIONS = 5
STYLE_TEST = 200
MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


def _style_drawings(seed: int, count: int, start: int = 0) -> np.ndarray:
    from cnn_desktop.core.data.digit_styles import draw_digit_detailed
    from cnn_desktop.core.data.preprocess import preprocess

    digit, style = STYLE
    return np.stack([preprocess(draw_digit_detailed(digit, np.random.default_rng([seed, 77, i]), style).strokes)
                     for i in range(start, start + count)]).astype(np.float32)


def _mnist(model_info: dict, choose: bool, data: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """Held-out MNIST digits for the report; for --choose, digits the model trained on instead."""
    from cnn_desktop.core.data.datasets import load_dataset

    dataset = load_dataset(data, mnist_files="test")
    from cnn_desktop.core.data import mnist_splits

    if mnist_splits.is_mnist_test(dataset.labels) and not choose:
        part = mnist_splits.split_of(dataset.labels, "report", str(data))
        return dataset.images[part], dataset.labels[part], "MNIST's report part (core/data/mnist_splits.py, 2,000 digits)"
    from cnn_desktop.core.training.runs import split_like_training

    split = split_like_training(model_info, dataset.labels)
    if choose:
        pick = np.random.default_rng(5).choice(split.train, 2000, replace=False)
        return dataset.images[pick], dataset.labels[pick], "2,000 MNIST digits of the model's TRAINING split"
    return (dataset.images[split.validation], dataset.labels[split.validation],
            f"the model's MNIST validation split ({len(split.validation):,} digits, fraction "
            f"{split.fraction}, seed {split.seed}; never trained on, but it chose the bundled recipe)")


def run_fix(model_path: Path, plan):
    """The app's quick fix, through the engine the app uses; returns the fine-tuned model and seconds."""
    from cnn_desktop.core.app.engine import Engine
    from cnn_desktop.core.app.messages import EngineError, QuickFix, TrainingState, UseModel
    from cnn_desktop.core.tasks import TASKS

    messages: list = []
    engine = Engine(messages.append)
    engine.submit(UseModel(model_path, TASKS["digits"].spec(), "model", fallback_to_fresh=False))
    engine.run_once()
    started = time.perf_counter()
    engine.submit(QuickFix(plan))
    while engine.run_once():
        if any(isinstance(m, TrainingState) and m.state in ("finished", "failed") for m in messages):
            break
    seconds = time.perf_counter() - started
    problems = [m for m in messages if isinstance(m, EngineError)
                or (isinstance(m, TrainingState) and m.state == "failed")]
    if problems:
        raise SystemExit(f"the quick fix failed: {problems[0]}")
    return engine.model, seconds


def _corrections(model, seed: int):
    """The person's drawings, in turn, until CORRECTIONS of them are ones the app would offer to fix."""
    from cnn_desktop.core.app.quick_fix import QuickFixes
    from cnn_desktop.core.network.model import predict_proba

    fixes, looked = QuickFixes(), 0
    while len(fixes.corrections) < CORRECTIONS:
        image = _style_drawings(seed, 1, start=1000 + looked)[0]
        looked += 1
        fixes.noticed(STYLE[0], image, predict_proba(model, image[None])[0], tuple("0123456789"))
        if looked > 500:
            raise SystemExit("the model reads this style right: nothing to correct")
    return fixes, looked


def _accuracy(model, images, labels) -> float:
    from cnn_desktop.core.network.model import predict_proba

    return float((predict_proba(model, images).argmax(1) == labels).mean())


def measure(model_path: Path, seeds, choose: bool, data: Path, settings: dict | None = None, control: bool = True):
    from dataclasses import replace

    import torch

    from cnn_desktop.core.network.checkpoint import load_model

    torch.set_num_threads(1)  # the machine is shared; the figures do not depend on it, the seconds do
    saved = load_model(model_path)
    mnist_x, mnist_y, mnist_name = _mnist(dict(saved.info), choose, data)
    print(f"model {model_path}; MNIST: {mnist_name}; style: {STYLE[0]} {STYLE[1]!r}")
    before_mnist = _accuracy(saved.model, mnist_x, mnist_y)
    rows = []
    for seed in seeds:
        test = _style_drawings(seed, STYLE_TEST)
        before_style = _accuracy(saved.model, test, np.full(STYLE_TEST, STYLE[0]))
        fixes, looked = _corrections(saved.model, seed)
        plan = fixes.plan("digits", seed=seed)
        if settings:
            plan = replace(plan, **settings)
        runs = [("fix", plan)]
        if control:  # same replay and steps, the corrections replaced by replay drawings of every digit
            runs.append(("control", replace(plan, images=plan.images[:0], labels=plan.labels[:0])))
        for name, each in runs:
            model, seconds = run_fix(model_path, each)
            after_style = _accuracy(model, test, np.full(STYLE_TEST, STYLE[0]))
            after_mnist = _accuracy(model, mnist_x, mnist_y)
            rows.append((seed, name, looked, before_style, after_style, before_mnist, after_mnist, seconds))
            print(f"seed {seed} {name:7s}: corrections from the first {looked} drawings; style "
                  f"{before_style:.1%} -> {after_style:.1%}; MNIST {before_mnist:.2%} -> {after_mnist:.2%} "
                  f"({(after_mnist - before_mnist) * 100:+.2f} points); {seconds:.1f} s", flush=True)
    return rows


def borderline_table(model_path: Path, data: Path) -> None:
    from cnn_desktop.core.data.datasets import load_dataset
    from cnn_desktop.core.data.preprocess import preprocess
    from cnn_desktop.core.data.synth import digit_drawings
    from cnn_desktop.core.inspection.confidence import top_two
    from cnn_desktop.core.network.checkpoint import load_model
    from cnn_desktop.core.network.model import predict_proba

    model = load_model(model_path).model
    strokes, labels = digit_drawings(100, 11)
    mnist = load_dataset(data, mnist_files="test")
    sets = {
        "1,000 generated mouse digits (seed 11)": (np.stack([preprocess(s) for s in strokes]), labels),
        f"{STYLE_TEST} '1 flag' drawings (seed 5)": (_style_drawings(5, STYLE_TEST), np.ones(STYLE_TEST, int)),
        "MNIST's 10,000 test digits (mostly trained on)": (mnist.images, mnist.labels),
    }
    for name, (x, y) in sets.items():
        p = predict_proba(model, x.astype(np.float32))
        wrong = p.argmax(1) != y
        second = (np.argsort(-p, 1)[:, 1] == y) & wrong
        marked = np.array([top_two(row) is not None for row in p])
        print(f"{name}: marked borderline {marked.sum()} ({marked.mean():.1%}); misread {wrong.sum()}, "
              f"truth the runner-up in {second.sum()}; of the marked, {(marked & wrong).sum()} misread "
              f"({(marked & second).sum()} with the truth as runner-up)")


def main() -> int:
    from cnn_desktop.core.tasks import TASKS

    parser = argparse.ArgumentParser(prog="python -m benchmarks.quick_fix", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=TASKS["digits"].bundled_model_path())
    parser.add_argument("--data", type=Path, default=MNIST, help="the MNIST folder (the 10,000-digit test split)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--choose", action="store_true", help="compare settings on the choice seeds")
    parser.add_argument("--borderline", action="store_true", help="how the borderline rule marks drawings")
    options = parser.parse_args()
    if options.borderline:
        borderline_table(options.model, options.data)
        return 0
    if options.choose:
        from cnn_desktop.core.app.quick_fix import QUICK_FIX_CONFIG

        for steps, rate, share in [(40, 1e-3, 0.5), (40, 1e-3, 0.6), (40, 5e-4, 0.7), (40, 2e-4, 1.0), (60, 1e-3, 0.5)]:
            print(f"--- {steps} steps, Adam {rate}, blended {share}")
            measure(options.model, [100, 101, 102], True, options.data,
                    {"steps": steps, "config": QUICK_FIX_CONFIG.with_(learning_rate=rate), "blend": share},
                    control=False)
        return 0
    rows = measure(options.model, options.seeds, False, options.data)
    fixes = [r for r in rows if r[1] == "fix"]
    print(f"fix, mean over {len(fixes)} seeds: style {np.mean([r[3] for r in fixes]):.1%} -> "
          f"{np.mean([r[4] for r in fixes]):.1%} (worst {min(r[4] for r in fixes):.1%}); MNIST change "
          f"{np.mean([(r[6] - r[5]) * 100 for r in fixes]):+.2f} points (worst "
          f"{min((r[6] - r[5]) * 100 for r in fixes):+.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
