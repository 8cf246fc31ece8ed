"""The bundled models: what they recognise out of the box, and how quickly they learn a person's style.

The figures asserted here are a little below the ones measured for the model cards
(cnn_desktop/resources/models/*.md), so that they catch a worse model, not noise.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
import torch
from PIL import Image

from cnn_desktop.cli import main
from cnn_desktop.core.data import digit_styles, pen_paths, synth
from cnn_desktop.core.data.ticks_crosses import draw_cross, draw_tick, on_canvas
from cnn_desktop.core.network.checkpoint import load_model
from cnn_desktop.core.data.datasets import preprocess_images
from cnn_desktop.core.data.mnist_splits import split_of
from cnn_desktop.core.data.ticks_crosses import draw_narrow_cross
from cnn_desktop.core.inspection.evaluation import evaluate_model
from cnn_desktop.core.network.model import configure_torch, predict_proba
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.tasks import get_task
from cnn_desktop.core.data.readers import read_mnist_folder
from cnn_desktop.core.data.classes import DIGIT_CLASSES, TICK_CROSS_CLASSES
from cnn_desktop.core.network.spec import TrainConfig
from cnn_desktop.core.data.strokes import Strokes, rasterise
from cnn_desktop.core.training.trainer import Trainer

TICK, CROSS = TICK_CROSS_CLASSES.index("tick"), TICK_CROSS_CLASSES.index("cross")
# What the app trains a person's collection with unless told otherwise (gui/main_window.py's
# APP_TRAIN_CONFIG; the GUI cannot be imported from the core tests).
APP_TRAIN_CONFIG = TrainConfig(epochs=15, batch_size=32, learning_rate=0.002)


@pytest.fixture(scope="module")
def digits():
    return load_model(get_task("digits").bundled_model_path(), expected_classes=DIGIT_CLASSES)


@pytest.fixture
def ticks_crosses():
    """A fresh copy each time: fine-tuning changes the weights in place."""
    return load_model(get_task("ticks-crosses").bundled_model_path(), expected_classes=TICK_CROSS_CLASSES)


@pytest.mark.parametrize("preset", ["digits", "ticks-crosses"])
def test_bundled_models_are_small_lenets_with_their_provenance(preset):
    saved = load_model(get_task(preset).bundled_model_path())
    kinds = [type(layer).__name__ for layer in saved.spec.layers]
    assert kinds[:6] == ["Conv", "ReLU", "MaxPool", "Conv", "ReLU", "MaxPool"]
    assert saved.model.parameter_count() < 100_000
    assert saved.info["command"].startswith(f"cnn-desktop train --preset {preset} ")
    assert saved.history
    if preset == "ticks-crosses":  # the digits model trains on all it may (MNIST's select part chose the recipe)
        assert saved.history[-1]["val_accuracy"] >= 0.99


def test_digits_model_reads_the_report_part_of_mnist_it_never_saw(digits, mnist_dir):
    """The card's MNIST figure: the fixed report part, never trained on nor used to choose."""
    assert "without their report part" in digits.info["data"]
    raw, labels = read_mnist_folder(mnist_dir)
    report_part = split_of(labels, "report")
    report = evaluate_model(digits.model, preprocess_images(raw[report_part]), labels[report_part])
    assert report.n == 2000
    assert report.accuracy >= 0.985, report.per_class()  # the card's figure is a little above


def test_digits_model_reads_held_out_styles_drawn_with_a_mouse(digits):
    """Drawn digits of the styles training never drew, as strokes and as thin- and thick-pen rasters."""
    drawn = synth.drawn_digits_dataset(20, seed=1, styles=digit_styles.HELD_OUT_STYLES)
    assert set(drawn.styles) == {f"{d} {s}" for d, styles in digit_styles.HELD_OUT_STYLES.items() for s in styles}
    report = evaluate_model(digits.model, drawn.images, drawn.labels)
    assert report.n == 400
    assert report.accuracy >= 0.95, report.per_class()
    right = report.predictions == drawn.labels
    for render in ("strokes", "thin pen", "thick pen"):
        assert right[np.array(drawn.renders) == render].mean() >= 0.93, render


def _digit_png(path, digit: int, seed: int, size=(1000, 800), pen=2.0, box=(620, 180, 300)) -> None:
    """A digit drawn with the mouse in its most common style (a '1' without flag or base: the model's
    weak spot, see digits.md), redrawn at ``box`` (left, top, height) on a white canvas of ``size``."""
    style = digit_styles.DIGIT_STYLES[digit][0]
    strokes = digit_styles.draw_digit_detailed(digit, np.random.default_rng([seed, digit]), style).strokes
    x0, y0, x1, y1 = strokes.bounds()
    left, top, height = box
    scale = height / max(y1 - y0, x1 - x0)
    placed = strokes.transformed(np.array([[scale, 0, left - x0 * scale], [0, scale, top - y0 * scale]]))
    ink = rasterise(placed, size, pen)
    grey = np.round(255 * (1 - ink)).astype(np.uint8)
    Image.fromarray(np.dstack([grey] * 3)).save(path)


def _predicted(output: str) -> list[str]:
    return re.findall(r": (\S+) \(\d+\.\d%\)", output)


def test_predict_names_a_thin_digit_on_a_large_white_canvas(tmp_path, capsys):
    """The app's canvas exported as it is: a 2-px line, the digit small and off-centre on 1000x800."""
    paths = []
    for digit in range(10):
        paths.append(tmp_path / f"{digit}.png")
        _digit_png(paths[-1], digit, seed=7)
    assert main(["predict", *map(str, paths)]) == 0  # no --model: the bundled digits model
    predicted = _predicted(capsys.readouterr().out)
    assert predicted == [str(d) for d in range(10)]


def test_predict_names_mnist_style_digits(tmp_path, capsys, mnist_dir):
    """28x28, white on black, the digit in a 20-px box: a real held-out MNIST digit and a drawn one."""
    raw, labels = read_mnist_folder(mnist_dir)
    val = split_of(labels, "report")
    real = tmp_path / "mnist.png"
    Image.fromarray(raw[val[0]]).save(real)
    strokes = digit_styles.draw_digit_detailed(4, np.random.default_rng(3), "closed").strokes
    x0, y0, x1, y1 = strokes.bounds()
    scale = 18 / max(y1 - y0, x1 - x0)
    placed = strokes.transformed(np.array([[scale, 0, 5 - x0 * scale], [0, scale, 5 - y0 * scale]]))
    drawn = tmp_path / "drawn.png"
    Image.fromarray(np.round(255 * rasterise(placed, (28, 28), 2.2)).astype(np.uint8)).save(drawn)
    assert main(["predict", str(real), str(drawn)]) == 0
    assert _predicted(capsys.readouterr().out) == [str(labels[val[0]]), "4"]


def test_narrow_tilted_crosses_are_read_as_crosses(ticks_crosses):
    """Issue #17: the first model read 2 of 20 narrow, tilted crosses drawn by hand as ticks. Seed 5 is
    not the training seed (0); the model was trained on the widened generator (measured 99.6% on 500
    of seeds 3 and 9, and 84.4% for the model before it)."""
    crosses = [draw_narrow_cross(np.random.default_rng([5, 77, i])) for i in range(150)]
    images = np.stack([preprocess(c) for c in crosses])
    report = evaluate_model(ticks_crosses.model, images, np.full(len(images), CROSS))
    assert report.accuracy >= 0.97


def test_predict_with_the_ticks_crosses_preset(tmp_path, capsys):
    paths = []
    for label, draw in ((TICK, draw_tick), (CROSS, draw_cross)):
        strokes = draw(np.random.default_rng(label))
        paths.append(tmp_path / f"{TICK_CROSS_CLASSES[label]}.png")
        ink = rasterise(strokes, (1000, 800), 3.0)
        Image.fromarray(np.round(255 * (1 - ink)).astype(np.uint8)).save(paths[-1])
    assert main(["predict", "--preset", "ticks-crosses", *map(str, paths)]) == 0
    assert _predicted(capsys.readouterr().out) == ["tick", "cross"]


# --- a person with a style of their own -----------------------------------------------------------
#
# Ticks with a long left arm and a short right one (the generator's ticks mostly have it the other
# way round), and crosses drawn as an upright Latin cross, '†': the bar first, high up, then a long
# upright (the generator's crosses are 'x' shapes, a few turned into a '+' with arms of equal length).


def _persons_tick(rng: np.random.Generator) -> Strokes:
    down, up = np.radians(rng.uniform(50, 65)), np.radians(rng.uniform(60, 78))
    start = -np.array([np.cos(down), np.sin(down)])  # the long left arm, down to the vertex at (0, 0)
    end = rng.uniform(0.3, 0.45) * np.array([np.cos(up), -np.sin(up)])
    path = pen_paths.join(pen_paths.bent(start, np.zeros(2), rng.normal(0, 0.03)),
                           pen_paths.bent(np.zeros(2), end, rng.normal(0, 0.05)))
    return on_canvas([path], rng, max_rotation=6.0)


def _persons_cross(rng: np.random.Generator) -> Strokes:
    tilt, high, half = rng.uniform(-8, 8), rng.uniform(0.3, 0.4), rng.uniform(0.3, 0.4)
    bar = pen_paths.bent(np.array([-half, high]), np.array([half, high]), rng.normal(0, 0.02))
    upright = pen_paths.bent(np.array([0.0, 0.0]), np.array([0.0, 1.0]), rng.normal(0, 0.02))
    return on_canvas([pen_paths.rotated(bar, tilt), pen_paths.rotated(upright, tilt)], rng, max_rotation=4.0)


def _persons_drawings(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for index in range(n_per_class):
        for label, draw in ((TICK, _persons_tick), (CROSS, _persons_cross)):
            images.append(preprocess(draw(np.random.default_rng([seed, label, index]))))
            labels.append(label)
    return np.stack(images), np.array(labels, np.int64)


def _accuracy(model, images, labels) -> float:
    return float((predict_proba(model, images).argmax(axis=1) == labels).mean())


def test_fine_tuning_on_ten_drawings_a_class_learns_a_persons_style(ticks_crosses):
    model = ticks_crosses.model
    new_x, new_y = _persons_drawings(60, seed=2)  # 120 drawings the person makes later
    before = _accuracy(model, new_x, new_y)
    assert before < 0.85, f"the style should be new to the bundled model, but it gets {before:.1%} already"

    own_x, own_y = _persons_drawings(10, seed=1)  # the ten of each class the person labels
    # One torch thread while timing: on this 2-core machine, shared with other jobs, these 15 small
    # steps took 6.6-9.1 s with torch's two threads and 0.12-0.15 s with one (runs alternating under
    # the same load; about 0.07 s either way on a quiet machine). See ticks-crosses.md.
    configure_torch()  # the process-wide settings the Trainer would make on first use, made now
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        started = time.perf_counter()
        trainer = Trainer(model, own_x, own_y, APP_TRAIN_CONFIG.with_(seed=0))  # warm start: bundled weights
        trainer.fit()
        seconds = time.perf_counter() - started
    finally:
        torch.set_num_threads(threads)
    after = _accuracy(model, new_x, new_y)
    print(f"person's style: {before:.1%} before, {after:.1%} after {seconds:.2f} s of fine-tuning")
    assert seconds <= 5.0
    assert after >= 0.95
