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
# at most BORDERLINE_GAP: the headline then names both ("1 or 7?"). When the network is wrong the truth is
# almost always its runner-up (25 of 26 misreads of MNIST's test digits), so naming it is what helps.
# Measured on the bundled digits model (`python -m benchmarks.quick_fix --borderline`, 2026-12-03): the
# rule marks 1.2% of 1,000 generated mouse digits (4 of them misread), 14% of 200 '1's with a flag (13
# misread, each with the truth as runner-up) and 0.4% of MNIST's 10,000 test digits. On a first look at
# the same model a stricter 0.25 / 0.35 marked two thirds as many misread flagged 1s, and looser rules
# (0.1 / 0.7) mostly marked right answers.
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
