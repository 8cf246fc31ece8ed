"""The quick fix: a label key on a drawing the network misread, or was torn about, offers to teach the
network that drawing at once, and the fine-tune runs in the engine's thread in a few seconds.

Three parts, all without Qt:

* ``QuickFixes`` (held by the session) notices corrections: the drawing just labelled was borderline
  (``confidence.top_two``) or its top class was not the label. It keeps the few most recent of them
  and says what to offer ("Teach it your 1 now?").
* ``FixPlan`` is what the session sends the engine (inside the ``QuickFix`` command): the corrected
  drawings' 28x28 inputs and labels, where the replay drawings come from, and the settings.
* ``fix_data`` (run in the engine's thread: generating drawings takes a second) mixes the corrections
  with replay drawings, so that the other classes are not forgotten: generated drawings for the
  built-in modes (never MNIST, which a person may not have), the project's own drawings otherwise.

Why a mix and not the corrections alone: 40 steps on five drawings of one class teach the network that
every drawing is that class. A quarter of each batch is corrections (each seen many times, augmented
differently every time), the rest replay: only replay drawings the network already reads right (what
is to be kept; training on the ones it misreads is new learning that moves every weight, and would
credit the generator with the person's fix).

Why the result is blended with the weights it started from (``blend``, as WiSE-FT does: Wortsman et
al. 2022): on the bundled digits model, 40 steps at Adam 1e-3 keeping 0.6 of the change fixed the '1
with a flag' as well as 40 steps at 2e-4 kept whole (97.5% against 93.5-99%) and cost MNIST digits
less (-0.25 to -0.35 points against -0.45 to -0.5); keeping 0.5 cost -0.2 to -0.3 but fixed only
93-94%, 60 steps did no better (benchmarks/quick_fix.py --choose: seeds 100-102 and MNIST digits
apart from the reported ones; benchmarks/QUICK_FIX.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from cnn_desktop.core.inspection.confidence import top_two
from cnn_desktop.core.network.spec import TrainConfig

# How many corrected drawings a fix remembers (the newest): a person's style, not their whole history.
MAX_CORRECTIONS = 10
# The fine-tune: a few dozen Adam steps at a small learning rate, augmented as the small-data settings
# are (slant and width changes: a person's style drawn again is never quite the same). Chosen with
# benchmarks/quick_fix.py on the bundled digits model: see its results for the figures.
QUICK_FIX_STEPS = 40
QUICK_FIX_CONFIG = TrainConfig(epochs=1, batch_size=32, learning_rate=1e-3, optimizer="adam",
                               validation_fraction=0.0, max_shear=0.3, max_aspect_change=0.3)
BLEND = 0.6  # the share of the fine-tune's change that is kept (1: all of it)
CORRECTION_SHARE = 0.25  # of every batch's drawings, on average
REPLAY_PER_CLASS = 30  # generated drawings per class (300 digits: about 1 s to draw and preprocess)
MAX_REPLAY_DRAWINGS = 2000  # from a project's own collection, chosen at random beyond this


@dataclass(frozen=True)
class Correction:
    label: int  # class index (output order)
    image: np.ndarray  # the 28x28 input that was labelled
    misread: bool  # the top class was another one (else: borderline, and right)


@dataclass(frozen=True)
class Offer:
    """What the window offers after a correction: "Teach it your 1 now? (a few seconds)"."""

    names: tuple[str, ...]  # the corrected classes' display names, newest first
    drawings: int  # how many corrected drawings the fix would train on

    @property
    def text(self) -> str:
        named = " and ".join(self.names[:2]) + (" and others" if len(self.names) > 2 else "")
        count = f"{self.drawings} drawings, " if self.drawings > 1 else ""
        return f"Teach it your {named} now? ({count}a few seconds)"


@dataclass(frozen=True, eq=False)
class FixPlan:
    """The quick fix the engine runs: numpy copies only, as every command."""

    images: np.ndarray  # (K, 28, 28) float32: the corrected drawings
    labels: np.ndarray  # (K,) int64 class indices
    replay: str  # "digits" or "ticks-crosses" (generated drawings), or "collection"
    collection: Path | None = None  # for "collection": the project's drawings
    collection_labels: tuple[str, ...] | None = None  # their folder labels in output order (class ids)
    steps: int = QUICK_FIX_STEPS
    config: TrainConfig = field(default=QUICK_FIX_CONFIG)
    seed: int = 0
    blend: float = BLEND

    def train_config(self) -> TrainConfig:
        """One epoch of exactly ``steps`` batches: ``fix_data`` makes steps x batch drawings."""
        return self.config.with_(epochs=1, seed=self.seed, validation_fraction=0.0)

    def opening_line(self) -> str:
        return (f"Quick fix: {self.steps} steps on your {len(self.labels)} corrected drawing"
                f"{'s' if len(self.labels) != 1 else ''}, mixed with {self.replay_words()} so that the "
                "other classes are kept (no accuracy figure: too few drawings to judge by).")

    def replay_words(self) -> str:
        return "your other drawings" if self.replay == "collection" else f"generated {self.replay.replace('-', ' and ')}"


def needs_fix(probabilities: np.ndarray | None, label: int) -> bool | None:
    """Whether labelling a drawing as ``label`` corrects the network: True when its top class was
    another (a misread), False when it was right but borderline, None when there is nothing to fix."""
    if probabilities is None:
        return None
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if int(np.argmax(p)) != label:
        return True
    return False if top_two(p) is not None else None


class QuickFixes:
    """The corrections noticed in the current mode, newest last, and the offer they make."""

    def __init__(self) -> None:
        self._corrections: list[Correction] = []

    def clear(self) -> None:
        self._corrections.clear()

    @property
    def corrections(self) -> tuple[Correction, ...]:
        return tuple(self._corrections)

    def noticed(self, label: int, image: np.ndarray, probabilities: np.ndarray | None,
                names: Sequence[str]) -> Offer | None:
        """A drawing was labelled ``label`` (``image``: its 28x28 input; ``probabilities``: the network's
        answer to it). A correction is remembered and an offer made; else None, and nothing changes."""
        misread = needs_fix(probabilities, label)
        if misread is None:
            return None
        self._corrections.append(Correction(label, np.array(image, np.float32, copy=True), misread))
        del self._corrections[:-MAX_CORRECTIONS]
        return self.offer(names)

    def offer(self, names: Sequence[str]) -> Offer | None:
        if not self._corrections:
            return None
        newest_first = list(dict.fromkeys(names[c.label] for c in reversed(self._corrections)))
        return Offer(tuple(newest_first), len(self._corrections))

    def plan(self, replay: str, collection: Path | None = None, collection_labels: tuple[str, ...] | None = None,
             steps: int = QUICK_FIX_STEPS, seed: int = 0) -> FixPlan:
        """The fix of the corrections noticed so far (which are then forgotten: they are taught)."""
        if not self._corrections:
            raise ValueError("no corrections to teach")
        images = np.stack([c.image for c in self._corrections]).astype(np.float32)
        labels = np.array([c.label for c in self._corrections], np.int64)
        self._corrections.clear()
        return FixPlan(images, labels, replay, collection, collection_labels, steps, seed=seed)


def replay_source(task_name: str | None) -> str:
    """Where a mode's replay drawings come from: a built-in mode's generator, else its collection."""
    return task_name if task_name in ("digits", "ticks-crosses") else "collection"


def replay_drawings(plan: FixPlan, classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The drawings that keep the other classes in mind, as network inputs and class indices."""
    if plan.replay in ("digits", "ticks-crosses"):
        return _generated(plan.replay, 10_000 + plan.seed)
    if plan.replay == "collection" and plan.collection is not None:
        from cnn_desktop.core.data.datasets import load_dataset

        data = load_dataset(plan.collection, plan.collection_labels or tuple(classes))
        images, labels = data.images, data.labels
        if len(labels) > MAX_REPLAY_DRAWINGS:
            keep = np.random.default_rng(plan.seed).choice(len(labels), MAX_REPLAY_DRAWINGS, replace=False)
            images, labels = images[keep], labels[keep]
        return images.astype(np.float32), labels.astype(np.int64)
    raise ValueError(f"unknown replay source {plan.replay!r}")


@lru_cache(maxsize=2)
def _generated(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A built-in mode's generated replay drawings, made once per engine process: drawing and
    preprocessing 300 digits takes about a second, a second fix need not wait for it again. Never
    changed in place: ``fix_data`` and ``mix`` take copies (indexing)."""
    from cnn_desktop.core.data.preprocess import preprocess
    from cnn_desktop.core.data.synth import digit_drawings, ticks_crosses_dataset

    if kind == "digits":
        strokes, labels = digit_drawings(REPLAY_PER_CLASS, seed=seed)
        images = np.stack([preprocess(s) for s in strokes]).astype(np.float32)
    else:
        images, labels = ticks_crosses_dataset(REPLAY_PER_CLASS, seed=seed)
    return images, labels


def mix(corrections: np.ndarray, correction_labels: np.ndarray, replay: np.ndarray, replay_labels: np.ndarray,
        total: int, seed: int, share: float = CORRECTION_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """``total`` drawings, about ``share`` of them corrections (each repeated), the rest replay (drawn
    in turn, repeated only when there are fewer than needed), shuffled. With no replay drawings at all,
    the corrections alone; with no corrections, the replay alone (the benchmark's control run)."""
    k = len(correction_labels)
    if k == 0 and len(replay_labels) == 0:
        raise ValueError("nothing to train on")
    if k == 0:
        from_corrections = 0
    else:
        from_corrections = total if len(replay_labels) == 0 else max(1, min(total, round(total * share)))
    from_replay = total - from_corrections
    rng = np.random.default_rng(seed)
    picks = np.resize(rng.permutation(k), from_corrections) if k else np.zeros(0, np.int64)  # each as often
    order = np.resize(rng.permutation(len(replay_labels)), from_replay) if from_replay else np.zeros(0, np.int64)
    images = np.concatenate([corrections[picks], replay[order]]).astype(np.float32)
    labels = np.concatenate([correction_labels[picks], replay_labels[order]]).astype(np.int64)
    shuffle = rng.permutation(total)
    return images[shuffle], labels[shuffle]


def fix_data(plan: FixPlan, classes: Sequence[str], model=None) -> tuple[np.ndarray, np.ndarray]:
    """The fine-tune's drawings: ``steps`` batches' worth, corrections mixed with replay (with
    ``model``, only the replay drawings it reads right). Run in the engine's thread (the replay is
    drawn or read from disk, and classified, here)."""
    replay, replay_labels = replay_drawings(plan, classes)
    if model is not None and len(replay_labels):
        from cnn_desktop.core.network.model import predict_proba

        known = known_replay(predict_proba(model, replay).argmax(1), replay_labels)
        replay, replay_labels = replay[known], replay_labels[known]
    total = plan.steps * plan.config.batch_size
    return mix(plan.images, plan.labels, replay, replay_labels, total, plan.seed)


def known_replay(predicted: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Which replay drawings to keep: those the model reads right; all of a class it reads none of
    right (an untrained network), which would otherwise vanish from the mix and be forgotten."""
    known = np.asarray(predicted) == np.asarray(labels)
    for label in np.unique(labels):
        if not known[labels == label].any():
            known[labels == label] = True
    return known


def blend(start: dict, model, share: float) -> None:
    """Keep ``share`` of what the fine-tune changed: the model's weights become start + share x change.
    ``start``: the state dict (copies) from before the fine-tune."""
    if share == 1.0:
        return
    now = model.state_dict()
    model.load_state_dict({name: start[name] + share * (now[name] - start[name]) for name in now})
