"""Drawings exported as an image zip, MNIST IDX and JSON lines come back unchanged, from a collection and
from a project; exports write nothing to their source and never overwrite."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from cnn_desktop.cli import main
from cnn_desktop.core.data.datasets import IDX_INPUTS_MARKER, load_dataset
from cnn_desktop.core.data.export import IDX_CLASSES, IDX_IMAGES, IDX_LABELS
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.readers import read_mnist_folder
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.data.synth import digit_drawings, generate_ticks_crosses


@pytest.fixture
def collection(tmp_path):
    """30 digits with their strokes and 3 without (as images imported into a collection are kept)."""
    store = DrawingStore(tmp_path / "digits", [str(d) for d in range(10)])
    strokes, labels = digit_drawings(3, seed=5)
    store.add_many((str(label), preprocess(s), s) for s, label in zip(strokes, labels))
    store.add_many((str(label), preprocess(s), None) for s, label in zip(strokes[:3], labels[:3]))
    return store


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_image_zip_loads_back_pixel_for_pixel(collection, tmp_path):
    before = _snapshot(collection.root)
    assert main(["export", "--data", str(collection.root), "--format", "images", "--out", str(tmp_path / "d.zip")]) == 0
    assert _snapshot(collection.root) == before  # the source is only read
    with zipfile.ZipFile(tmp_path / "d.zip") as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "unzipped")
    assert sum(n.endswith(".png") for n in names) == 33
    assert all(n.count("/") == 1 for n in names if n.endswith(".png"))  # <label>/<id>.png
    original, again = load_dataset(collection.root), load_dataset(tmp_path / "unzipped")
    assert again.classes == original.classes
    assert np.array_equal(again.labels, original.labels) and np.array_equal(again.images, original.images)


def test_idx_holds_the_stored_pixels_and_labels_exactly(collection, tmp_path):
    out = tmp_path / "idx"
    assert main(["export", "--data", str(collection.root), "--format", "idx", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([IDX_CLASSES, IDX_IMAGES, IDX_LABELS, IDX_INPUTS_MARKER])
    original = load_dataset(collection.root)
    images, labels = read_mnist_folder(out)
    assert images.dtype == np.uint8 and images.shape == (33, 28, 28)
    assert np.array_equal(images, np.rint(original.images * 255).astype(np.uint8))
    assert np.array_equal(labels, original.labels)
    assert (out / IDX_CLASSES).read_text().splitlines() == list(original.classes)
    # Read back as a data set: the same labels and pixels (the marker says they already are network
    # inputs, so they are not preprocessed again as MNIST's scans are).
    loaded = load_dataset(out)
    assert loaded.classes == original.classes
    assert np.array_equal(loaded.labels, original.labels) and np.array_equal(loaded.images, original.images)


def test_idx_of_named_classes_reimports_with_its_names(tmp_path):
    store = DrawingStore(tmp_path / "ticks", ["tick", "cross"])
    drawings, labels = generate_ticks_crosses(4, seed=2)
    store.add_many((("tick", "cross")[label], preprocess(d), d) for d, label in zip(drawings, labels))
    out = tmp_path / "idx"
    assert main(["export", "--data", str(store.root), "--format", "idx", "--out", str(out)]) == 0
    original, loaded = load_dataset(store.root), load_dataset(out, ("tick", "cross"))
    assert loaded.classes == ("tick", "cross")
    assert np.array_equal(loaded.labels, original.labels) and np.array_equal(loaded.images, original.images)


def test_idx_in_a_zip(collection, tmp_path):
    assert main(["export", "--data", str(collection.root), "--format", "idx", "--out", str(tmp_path / "i.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "i.zip") as archive:
        assert sorted(archive.namelist()) == sorted([IDX_CLASSES, IDX_IMAGES, IDX_LABELS, IDX_INPUTS_MARKER])
        archive.extractall(tmp_path / "x")
    assert np.array_equal(read_mnist_folder(tmp_path / "x")[1], load_dataset(collection.root).labels)


def test_json_lines_parse_back_into_the_same_strokes(collection, tmp_path):
    out = tmp_path / "d.jsonl"
    assert main(["export", "--data", str(collection.root), "--format", "jsonl", "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    examples = {e.id: e for e in collection.examples()}
    assert len(lines) == len(examples) == 33
    without = 0
    for line in lines:
        assert set(line) == {"id", "label", "canvas", "strokes"} and line["label"] == examples[line["id"]].label
        stored = collection.strokes(line["id"])
        if line["strokes"] is None:
            assert stored is None
            without += 1
            continue
        back = Strokes.from_json(json.dumps(line["strokes"]))
        assert len(back) == len(stored) and all(np.array_equal(a, b) for a, b in zip(back, stored))
    assert without == 3


def test_a_project_exports_with_class_names(tmp_path):
    from cnn_desktop.core.projects.project import Project

    with Project.create(tmp_path / "marks", "marks", ["tick", "cross"]) as project:
        strokes, labels = generate_ticks_crosses(4, seed=2)
        ids = project.class_ids
        project.store.add_many((ids[int(label)], preprocess(s), s) for s, label in zip(strokes, labels))
    out = tmp_path / "marks.jsonl"
    assert main(["export", "--data", str(tmp_path / "marks"), "--format", "jsonl", "--out", str(out)]) == 0
    labels_out = [json.loads(line)["label"] for line in out.read_text().splitlines()]
    assert sorted(labels_out) == ["cross"] * 4 + ["tick"] * 4


@pytest.mark.parametrize("fmt, name", [("images", "d.zip"), ("idx", "idx"), ("jsonl", "d.jsonl")])
def test_an_existing_output_is_refused_in_one_line(collection, tmp_path, capsys, fmt, name):
    out = tmp_path / name
    out.mkdir() if fmt == "idx" else out.write_text("mine")
    assert main(["export", "--data", str(collection.root), "--format", fmt, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"cnn-desktop: error: {out}: already exists")
    assert (fmt == "idx" and not any(out.iterdir())) or (fmt != "idx" and out.read_text() == "mine")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary left behind


def test_a_folder_that_is_no_collection_is_one_line(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    assert main(["export", "--data", str(tmp_path / "plain"), "--format", "jsonl", "--out", str(tmp_path / "o")]) == 2
    assert "not a collection of drawings" in capsys.readouterr().err
    assert main(["export", "--data", str(tmp_path / "gone"), "--format", "idx", "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == f"cnn-desktop: error: {tmp_path / 'gone'}: no such folder"
