"""How sure the network is: the "not sure" threshold, the verdict and the headline it gives."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


# Below this top probability the headline says "Not sure". The maximum softmax probability is the
# one confidence score whose scale means the same for every model (it is a probability), so a single
# slider works for a bundled model and for one trained a minute ago; energy or logit-norm scores
# separate unfamiliar drawings a little better but need thresholds calibrated per model.
DEFAULT_SURE_THRESHOLD = 0.6


@dataclass(frozen=True)
class Verdict:
    top: int  # index of the most probable class
    probability: float  # its probability
    sure: bool  # probability >= threshold


def verdict(probabilities: np.ndarray, threshold: float = DEFAULT_SURE_THRESHOLD) -> Verdict:
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    top = int(np.argmax(p))
    return Verdict(top, float(p[top]), bool(p[top] >= threshold))


def headline(classes: tuple[str, ...] | list[str], probabilities: np.ndarray,
             threshold: float = DEFAULT_SURE_THRESHOLD) -> str:
    """"Guess: 7  (92%)", or "Not sure — maybe 7 (45%)" when the top probability is below ``threshold``."""
    v = verdict(probabilities, threshold)
    if v.sure:
        return f"Guess: {classes[v.top]}  ({v.probability:.0%})"
    return f"Not sure — maybe {classes[v.top]} ({v.probability:.0%})"
