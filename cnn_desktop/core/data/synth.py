"""Generated drawings in seeded sets: ticks and crosses to train on, digits to test transfer with.

Each drawing is made the way people draw with a mouse; how, is in the modules this one builds on:

* ``ticks_crosses``: one tick or cross (the bundled ticks/crosses model is trained on these alone);
* ``digit_styles``: one digit in one of the 23 styles people use (``DIGIT_STYLES``);
* ``digit_render``: a digit drawing as an image file would hold it;
* ``pen_paths`` and ``mouse``: the unit-frame pieces shapes are made of, and the hand that samples them.

Every drawing has its own generator seeded from (seed, class, index), so the first n drawings of a
seed are the same whatever n is asked for.

The digits model learns from MNIST together with drawn digits of the 13 ``TRAINING_STYLES``
(``training_digits``); the test of how well that transfers to mouse drawings on the app's canvas is
drawn in the 10 ``HELD_OUT_STYLES`` that training never sees (``drawn_digits_dataset``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_desktop.core.data.classes import TICK_CROSS_CLASSES
from cnn_desktop.core.data.digit_render import RASTER_PENS, render_digit
from cnn_desktop.core.data.digit_styles import DIGIT_STYLES, TRAINING_STYLES, DigitDrawing, draw_digit_detailed
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.data.ticks_crosses import CROSS, TICK, draw_cross, draw_tick

__all__ = [
    "TICK_CROSS_CLASSES",
    "generate_ticks_crosses",
    "ticks_crosses_dataset",
    "generate_digit_drawings",
    "digit_drawings",
    "DrawnDigits",
    "drawn_digits_dataset",
]


def generate_ticks_crosses(n_per_class: int, seed: int) -> tuple[list[Strokes], np.ndarray]:
    """``n_per_class`` ticks and as many crosses, shuffled; labels are int64 indices into TICK_CROSS_CLASSES."""
    drawings: list[Strokes] = []
    labels: list[int] = []
    for label, draw in ((TICK, draw_tick), (CROSS, draw_cross)):
        for index in range(n_per_class):
            drawings.append(draw(np.random.default_rng([seed, label, index])))
            labels.append(label)
    order = np.random.default_rng([seed, 2, n_per_class]).permutation(len(drawings))
    return [drawings[i] for i in order], np.asarray(labels, dtype=np.int64)[order]


def ticks_crosses_dataset(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The network's inputs for ``generate_ticks_crosses``: X float32 (N, 28, 28) and y int64 (N,)."""
    drawings, labels = generate_ticks_crosses(n_per_class, seed)
    images = np.stack([preprocess(d) for d in drawings]) if drawings else np.zeros((0, 28, 28), np.float32)
    return images.astype(np.float32), labels


def generate_digit_drawings(
    n_per_class: int, seed: int, styles: dict[int, tuple[str, ...]] | None = None
) -> list[DigitDrawing]:
    """``n_per_class`` drawings of each digit, styles drawn at random (among ``styles``, default all),
    shuffled; deterministic per seed (each drawing has its own generator, so the first n of a seed do
    not depend on how many are asked)."""
    drawings = [
        draw_digit_detailed(digit, np.random.default_rng([seed, 10 + digit, index]), styles=styles)
        for digit in range(10)
        for index in range(n_per_class)
    ]
    order = np.random.default_rng([seed, 20, n_per_class]).permutation(len(drawings))
    return [drawings[i] for i in order]


def digit_drawings(n_per_class: int, seed: int) -> tuple[list[Strokes], np.ndarray]:
    """``n_per_class`` drawn digits of each class, shuffled: strokes and int64 labels 0..9."""
    drawings = generate_digit_drawings(n_per_class, seed)
    return [d.strokes for d in drawings], np.array([d.label for d in drawings], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class DrawnDigits:
    """The network's inputs for drawn digits, each drawing seen as strokes and as a raster."""

    images: np.ndarray  # float32 (N, 28, 28), preprocessed
    labels: np.ndarray  # int64 (N,), the digits
    styles: tuple[str, ...]  # per image, e.g. "1 flag and base"
    renders: tuple[str, ...]  # per image: "strokes", "thin pen" or "thick pen"
    canvases: tuple[tuple[int, int], ...]  # per image: (width, height) of the canvas drawn on

    def groups(self) -> dict[str, np.ndarray]:
        """Named subsets (index arrays) worth reporting apart: by render, by canvas size, by style."""
        renders, styles = np.array(self.renders), np.array(self.styles)
        small = np.array([max(c) < 150 for c in self.canvases])
        named = {f"render: {r}": np.flatnonzero(renders == r) for r in ("strokes", "thin pen", "thick pen")}
        named["canvas: under 150 px"] = np.flatnonzero(small)
        named["canvas: 150 px or more"] = np.flatnonzero(~small)
        for digit in range(10):
            for style in DIGIT_STYLES[digit]:
                named[f"style: {digit} {style}"] = np.flatnonzero(styles == f"{digit} {style}")
        return {name: idx for name, idx in named.items() if len(idx)}


def drawn_digits_dataset(
    n_per_class: int, seed: int, styles: dict[int, tuple[str, ...]] | None = None
) -> DrawnDigits:
    """``generate_digit_drawings(n_per_class, seed, styles)``, each drawing preprocessed twice: from its strokes
    (as the app sees it live) and from a raster of it (as ``cnn-desktop predict`` sees an image file),
    drawn with a thin pen for every other drawing and a thick one for the rest."""
    images, labels, style_names, renders, canvases = [], [], [], [], []
    for index, drawing in enumerate(generate_digit_drawings(n_per_class, seed, styles)):
        raster, _ = render_digit(drawing, np.random.default_rng([seed, 30, index]), RASTER_PENS[index % 2])
        for image, render in ((drawing.strokes, "strokes"), (raster, f"{RASTER_PENS[index % 2]} pen")):
            images.append(preprocess(image))
            labels.append(drawing.label)
            style_names.append(f"{drawing.label} {drawing.style}")
            renders.append(render)
            canvases.append(drawing.canvas)
    stacked = np.stack(images).astype(np.float32) if images else np.zeros((0, 28, 28), np.float32)
    return DrawnDigits(stacked, np.array(labels, np.int64), tuple(style_names), tuple(renders), tuple(canvases))


# Seed of the drawn digits the digits preset trains on; tests and evaluation use other seeds.
TRAINING_DIGITS_SEED = 0


def training_digits(n_per_class: int, seed: int = TRAINING_DIGITS_SEED) -> DrawnDigits:
    """Drawn digits to train on: the ``TRAINING_STYLES`` only (whole styles are held out for testing),
    each drawing seen as strokes and as a thin- or thick-pen raster, as in the test set."""
    return drawn_digits_dataset(n_per_class, seed, TRAINING_STYLES)
