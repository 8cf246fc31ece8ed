"""The fixed parts of MNIST's test digits (train / select / report) and `evaluate --split report`."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cnn_desktop.cli import main
from cnn_desktop.core.data.mnist_splits import is_mnist_test, mnist_parts, split_of
from cnn_desktop.core.data.readers import read_mnist_folder
from cnn_desktop.core.errors import DataError


@pytest.fixture(scope="module")
def labels():
    from tests.conftest import MNIST_DIR

    if not (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").exists():
        pytest.skip(f"MNIST test split not found at {MNIST_DIR}")
    return read_mnist_folder(MNIST_DIR, "test")[1]


def test_the_parts_are_disjoint_stratified_and_cover_everything(labels):
    parts = mnist_parts(labels)
    assert {name: len(idx) for name, idx in parts.items()} == {"train": 7000, "select": 1000, "report": 2000}
    everything = np.concatenate(list(parts.values()))
    assert len(np.unique(everything)) == 10_000
    for name, share in (("select", 0.1), ("report", 0.2)):
        counts = np.bincount(labels[parts[name]], minlength=10)
        assert np.all(np.abs(counts - share * np.bincount(labels)) <= 1)
    train_select = split_of(labels, "train+select")
    assert len(train_select) == 8000 and not np.intersect1d(train_select, parts["report"]).size


def test_the_parts_never_change(labels):
    """Every figure on the model card depends on them: a change must fail here, not go unnoticed."""
    report = split_of(labels, "report")
    assert report[:5].tolist() == [2, 5, 8, 13, 14]
    assert int(report.sum()) == 9_847_600


def test_other_labels_are_refused_in_one_line():
    shuffled = np.random.default_rng(0).integers(0, 10, 10_000)
    assert not is_mnist_test(shuffled) and not is_mnist_test(np.zeros(3, np.int64))
    with pytest.raises(DataError, match=r"^somewhere: the report part is defined on MNIST's 10,000 test digits"):
        split_of(shuffled, "report", "somewhere")


@pytest.mark.slow  # preprocesses all 10,000 digits: about 10 s alone
def test_evaluate_split_report_counts_the_report_part(labels, capsys):
    from tests.conftest import MNIST_DIR

    assert main(["evaluate", str(MNIST_DIR), "--split", "report"]) == 0
    assert re.search(r"\naccuracy \d\.\d{4} n=2000\n$", capsys.readouterr().out)


def test_evaluate_split_report_refuses_other_data(tmp_path, capsys):
    from PIL import Image

    for label in ("0", "1"):
        (tmp_path / label).mkdir()
        image = np.zeros((28, 28), np.uint8)
        image[5:20, 10:14] = 255
        Image.fromarray(image).save(tmp_path / label / "a.png")
    assert main(["evaluate", str(tmp_path), "--split", "report"]) == 2
    err = capsys.readouterr().err
    assert "report part is defined on MNIST's 10,000 test digits" in err and err.count("\n") == 1


def test_the_digits_recipe_leaves_the_report_part_out_and_adds_drawn_digits(labels, monkeypatch):
    from cnn_desktop.core import tasks
    from cnn_desktop.core.data.classes import DIGIT_CLASSES
    from cnn_desktop.core.data.datasets import Dataset

    monkeypatch.setattr(tasks, "DRAWN_DIGITS_PER_CLASS", 1)
    images = np.zeros((10_000, 28, 28), np.float32)
    images[:, 0, 0] = np.arange(10_000)  # each image says which digit of the file it is
    mnist = Dataset(images, labels.astype(np.int64), DIGIT_CLASSES, "t10k")
    recipe = tasks.get_task("digits").training_data
    tuned, note, changes = recipe(mnist, True)
    assert len(tuned) == 8000 and "without their report part" in note and not changes
    assert not np.isin(tuned.images[:, 0, 0].astype(int), split_of(labels, "report")).any()
    fresh, note, changes = recipe(mnist, False)
    # MNIST twice, then 1 drawing a class as strokes and as a raster; no split of duplicated digits
    assert len(fresh) == 2 * 8000 + 20 and "20 drawn digits" in note
    assert changes == {"validation_fraction": 0.0}
    other = Dataset(images[:50], labels[:50].astype(np.int64), DIGIT_CLASSES, "mine")
    for fine_tune in (True, False):  # other data are used as they are
        assert len(recipe(other, fine_tune)[0]) == 50 and recipe(other, fine_tune)[2] == {}
