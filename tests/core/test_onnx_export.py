"""ONNX export: the file answers as cnn-desktop does, for one drawing and for a batch, with every kind of
layer a network can describe, and carries what a caller needs to feed it."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from PIL import Image

from cnn_desktop.cli import main
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.strokes import rasterise
from cnn_desktop.core.data.synth import digit_drawings
from cnn_desktop.core.network.checkpoint import load_model
from cnn_desktop.core.network.model import build_model, predict_proba
from cnn_desktop.core.network.spec import Conv, Dense, Dropout, Flatten, MaxPool, ModelSpec, ReLU
from cnn_desktop.core.tasks import get_task

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")
from cnn_desktop.core.network.onnx_export import export_onnx, read_metadata  # noqa: E402

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def digits():
    return load_model(get_task("digits").bundled_model_path()).model


@pytest.fixture(scope="module")
def digits_onnx(digits, tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "digits.onnx"
    export_onnx(digits, path, source="bundled digits")
    return path


@pytest.fixture(scope="module")
def drawings():
    """100 varied drawings: ten styles of each digit, drawn with a mouse, preprocessed as the app does."""
    strokes, _ = digit_drawings(10, seed=7)
    return np.stack([preprocess(s) for s in strokes])


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_100_drawings_one_at_a_time_give_the_same_probabilities(digits, digits_onnx, drawings):
    session = _session(digits_onnx)
    expected = predict_proba(digits, drawings)
    got = np.concatenate([session.run(None, {"images": image[None, None]})[0] for image in drawings])
    assert got.shape == expected.shape == (100, 10)
    assert np.abs(got - expected).max() < TOLERANCE
    assert (got.argmax(1) == expected.argmax(1)).all()
    assert np.allclose(got.sum(1), 1, atol=1e-5)  # probabilities, not logits


@pytest.mark.parametrize("batch", [2, 7, 100])
def test_a_batch_of_drawings_at_once(digits, digits_onnx, drawings, batch):
    got = _session(digits_onnx).run(None, {"images": drawings[:batch, None]})[0]
    assert np.abs(got - predict_proba(digits, drawings[:batch])).max() < TOLERANCE


def test_the_file_carries_classes_input_contract_and_output_kind(digits_onnx):
    meta = read_metadata(digits_onnx)
    assert json.loads(meta["cnn_desktop.classes"]) == list("0123456789")
    contract = meta["cnn_desktop.input"]
    assert all(word in contract for word in ("(N, 1, 28, 28)", "float32", "0..1", "ink light (1.0)", "preprocess"))
    assert "probabilities" in meta["cnn_desktop.output"] and "not logits" in meta["cnn_desktop.output"]
    assert meta["cnn_desktop.source"] == "bundled digits"
    session = _session(digits_onnx)
    assert session.get_modelmeta().custom_metadata_map["cnn_desktop.classes"] == meta["cnn_desktop.classes"]
    assert [i.name for i in session.get_inputs()] == ["images"]
    assert session.get_inputs()[0].shape[1:] == [1, 28, 28]
    assert isinstance(session.get_inputs()[0].shape[0], str)  # the batch axis is dynamic


def test_every_kind_of_layer_exports(tmp_path, drawings):
    """Strided and padded convolutions, overlapping pooling, several fc layers, dropout (off in the file)."""
    spec = ModelSpec(classes=("tick", "cross", "other"), layers=(
        Conv(filters=6, kernel=3, stride=2, padding=1), ReLU(), MaxPool(window=3, stride=1),
        Conv(filters=8, kernel=3), ReLU(), MaxPool(window=2, stride=2), Flatten(),
        Dense(units=20), ReLU(), Dropout(p=0.5), Dense(units=12), ReLU(),
    ))
    network = build_model(spec, seed=3)
    export_onnx(network, tmp_path / "odd.onnx")
    got = _session(tmp_path / "odd.onnx").run(None, {"images": drawings[:9, None]})[0]
    assert np.abs(got - predict_proba(network, drawings[:9])).max() < TOLERANCE
    assert network.training  # exporting puts it in eval mode only for the export


def test_cli_export_agrees_with_predict_json(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    strokes, labels = digit_drawings(1, seed=11)
    x0, y0, x1, y1 = strokes[3].bounds()
    scale = 200 / max(x1 - x0, y1 - y0)  # the drawing's canvas size is unknown: fit it to 240x240
    ink = rasterise(strokes[3], (240, 240), 12.0, transform=np.array([[scale, 0, 20 - scale * x0],
                                                                       [0, scale, 20 - scale * y0]]))
    Image.fromarray(np.rint(255 - ink * 255).astype(np.uint8)).save("drawn.png")  # dark ink on white paper
    assert main(["export", "--format", "onnx", "--out", "digits.onnx"]) == 0
    assert "digits.onnx: ONNX, 10 classes" in capsys.readouterr().out
    assert main(["predict", "--json", "drawn.png"]) == 0
    predicted = json.loads(capsys.readouterr().out)
    from cnn_desktop import preprocess_image

    got = _session(tmp_path / "digits.onnx").run(None, {"images": preprocess_image("drawn.png")[None, None]})[0][0]
    expected = np.array([predicted["probabilities"][c] for c in "0123456789"])
    assert np.abs(got - expected).max() < TOLERANCE  # predict rounds to 6 decimals
    assert predicted["class"] == str(int(np.argmax(got))) == str(labels[3])


def test_a_projects_current_version_exports(tmp_path, capsys, drawings):
    from cnn_desktop.core.projects.project import Project

    with Project.create(tmp_path / "digits", "digits", list("0123456789")) as project:
        project.import_version(get_task("digits").bundled_model_path())
    out = tmp_path / "project.onnx"
    assert main(["export", "--project", str(tmp_path / "digits"), "--format", "onnx", "--out", str(out)]) == 0
    assert json.loads(read_metadata(out)["cnn_desktop.classes"]) == list("0123456789")
    reference = load_model(get_task("digits").bundled_model_path()).model
    got = _session(out).run(None, {"images": drawings[:5, None]})[0]
    assert np.abs(got - predict_proba(reference, drawings[:5])).max() < TOLERANCE


def test_an_existing_file_is_never_overwritten(tmp_path, capsys):
    out = tmp_path / "mine.onnx"
    out.write_bytes(b"someone's work")
    assert main(["export", "--format", "onnx", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"cnn-desktop: error: {out}: already exists; exports never overwrite "
                   "(choose another --out, or remove it first)"]
    assert out.read_bytes() == b"someone's work"


def test_without_the_extra_one_line_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import fails as if it were not installed
    assert main(["export", "--format", "onnx", "--out", str(tmp_path / "m.onnx")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        'cnn-desktop: error: ONNX export needs the export extra: pip install "cnn-desktop[export]"']
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("args, fragment", [
    (["--format", "jsonl", "--out", "x"], "give --data"),
    (["--data", "d", "--format", "onnx", "--out", "x"], "exports a model"),
    (["--data", "d", "--preset", "digits", "--format", "idx", "--out", "x"], "not both"),
])
def test_model_and_data_options_are_not_mixed(args, fragment, capsys):
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]
