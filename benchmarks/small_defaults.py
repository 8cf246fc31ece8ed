"""``python -m benchmarks.small_defaults``: the defaults a small collection gets (core/training/run_plan.py)
on people's own shapes, and what the k-fold estimate after training costs. Results: SMALL_DEFAULTS.md.

A person (``core/data/shapes.personal_style``, report styles 100-107 of ``benchmarks/small_data.py``)
gives n drawings of each of 4 shapes; the run uses exactly what the app's Train and ``train --project``
use when nobody changed the settings: ``default_config`` from the app's settings, then ``plan_run``
(every drawing trained on, no held-out split). Tested on 50 new drawings a class by the same person and
by other people. Starts: the digits model's learned layers (a new project's first version, fine-tuned)
and random weights (from scratch). Then the time of a run and of its 5-fold estimate at 10 a class.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.small_data import CLASSES, REPORT_STYLES, Person, accuracy, first_per_class, starting_model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.small_defaults", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: the machine is shared)")
    args = parser.parse_args(argv)
    from cnn_desktop.core.data.classes import DIGIT_CLASSES
    from cnn_desktop.core.network.checkpoint import load_model
    from cnn_desktop.core.network.model import configure_torch
    from cnn_desktop.core.tasks import get_task
    from cnn_desktop.core.training.run_plan import class_counts, default_config, plan_run
    from cnn_desktop.core.training.small_data import KFoldRun
    from cnn_desktop.core.training.trainer import Trainer

    configure_torch(args.threads)
    torch.set_num_threads(args.threads)
    began = time.perf_counter()
    sources = {"digits": load_model(get_task("digits").bundled_model_path(), expected_classes=DIGIT_CLASSES).model}
    people = [Person(seed) for seed in REPORT_STYLES]
    app = get_task("digits").app_train_config
    print(f"data: {time.perf_counter() - began:.0f} s for {len(people)} people\n")
    print("| drawings a class | start | settings | steps | same person: mean | min | other people: mean | s per run |")
    print("|---|---|---|---|---|---|---|---|")
    for per_class in (10, 5):
        for start in ("digits", "scratch"):
            same, other, seconds = [], [], []
            for person in people:
                x, y = first_per_class(person.pool_x, person.pool_y, per_class)
                counts = class_counts(y, CLASSES)
                config, _ = default_config(app.with_(seed=person.seed), counts, from_scratch=start == "scratch")
                plan = plan_run(counts, config)
                model = starting_model(start, person.seed, sources)
                started = time.perf_counter()
                trainer = Trainer(model, x, y, plan.config)
                trainer.fit()
                seconds.append(time.perf_counter() - started)
                same.append(accuracy(model, person.test_x, person.test_y))
                other.append(accuracy(model, person.other_x, person.other_y))
            c = plan.config
            print(f"| {per_class} | {start} | {c.epochs} ep, b{c.batch_size}, lr {c.learning_rate:g}, shear {c.max_shear:g} "
                  f"| {trainer.total_steps} | {np.mean(same):.1%} | {np.min(same):.1%} | {np.mean(other):.1%} "
                  f"| {np.mean(seconds):.2f} |", flush=True)

    print("\n| start | run (s) | 5-fold estimate after it (s) | estimate |")
    print("|---|---|---|---|")
    person = people[0]
    x, y = first_per_class(person.pool_x, person.pool_y, 10)
    counts = class_counts(y, CLASSES)
    for start in ("digits", "scratch"):
        config, _ = default_config(app, counts, from_scratch=start == "scratch")
        plan = plan_run(counts, config)
        model = starting_model(start, person.seed, sources)
        started = time.perf_counter()
        Trainer(model, x, y, plan.config).fit()
        run_seconds = time.perf_counter() - started
        started = time.perf_counter()
        estimate = KFoldRun(lambda: starting_model(start, person.seed, sources), x, y, plan.config,
                            plan.validation.folds).run()
        print(f"| {start} | {run_seconds:.2f} | {time.perf_counter() - started:.2f} | "
              f"{estimate.correct} of {estimate.total} |", flush=True)
    print(f"\ntotal {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
