"""How sure the network is: the "not sure" threshold, the verdict, borderline answers and the headline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


# Below this top probability the headline says "Not sure". The maximum softmax probability is the
# one confidence score whose scale means the same for every model (it is a probability), so a single
# slider works for a bundled model and for one trained a minute ago; energy or logit-norm scores
# separate unfamiliar drawings a little better but need thresholds calibrated per model.
DEFAULT_SURE_THRESHOLD = 0.6


# A drawing is borderline when the runner-up has at least this probability and the top class leads it by
# at most BORDERLINE_GAP: the headline then names both ("1 or 7?"). Chosen on the bundled digits model
# (2026-12-03, /tmp-free re-run: benchmarks/quick_fix.py prints the same table with --borderline): of
# 1,000 generated mouse digits it marks 1.2% (4 of its 24 misreads among them), of 200 '1's with a
# flag 18.5% (19 misreads whose true class is the runner-up), of MNIST's 10,000 test digits 0.4%. When
# the network is wrong the truth is almost always the runner-up (25 of 26 on MNIST), so naming it is
# what helps; the stricter 0.25 / 0.35 caught 13 of those 54 '1's, looser rules mostly flag right answers.
BORDERLINE_SECOND = 0.2
BORDERLINE_GAP = 0.5


@dataclass(frozen=True)
class Verdict:
    top: int  # index of the most probable class
    probability: float  # its probability
    sure: bool  # probability >= threshold


def verdict(probabilities: np.ndarray, threshold: float = DEFAULT_SURE_THRESHOLD) -> Verdict:
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    top = int(np.argmax(p))
    return Verdict(top, float(p[top]), bool(p[top] >= threshold))


def top_two(probabilities: np.ndarray) -> tuple[int, int] | None:
    """The two most probable classes' indices, most probable first, when the answer is borderline (the
    runner-up at least ``BORDERLINE_SECOND``, the top at most ``BORDERLINE_GAP`` ahead); else None."""
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if len(p) < 2:
        return None
    second, first = (int(i) for i in np.argsort(p, kind="stable")[-2:])
    if p[second] == p[first]:  # a tie: the lower index first, as argmax names it
        first, second = min(first, second), max(first, second)
    if p[second] >= BORDERLINE_SECOND and p[first] - p[second] <= BORDERLINE_GAP:
        return first, second
    return None


def headline(classes: tuple[str, ...] | list[str], probabilities: np.ndarray,
             threshold: float = DEFAULT_SURE_THRESHOLD) -> str:
    """"Guess: 7  (92%)"; "1 or 7?  (55% / 40%)" when the top two are close (``top_two``); else "Not
    sure — maybe 7 (45%)" when the top probability is below ``threshold``."""
    pair = top_two(probabilities)
    if pair is not None:
        p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
        first, second = pair
        return f"{classes[first]} or {classes[second]}?  ({p[first]:.0%} / {p[second]:.0%})"
    v = verdict(probabilities, threshold)
    if v.sure:
        return f"Guess: {classes[v.top]}  ({v.probability:.0%})"
    return f"Not sure — maybe {classes[v.top]} ({v.probability:.0%})"
