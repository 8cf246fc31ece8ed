"""File > Export model (ONNX) and File > Export your drawings, as the window runs them: in a thread,
with one line for the person when they are done."""

import json
import zipfile

import numpy as np
import pytest

from cnn_desktop.core.data.synth import generate_ticks_crosses
from cnn_desktop.core.tasks import bundled_file


def _finished(qtbot, window):
    results = []
    window.exports.finished.connect(lambda ok, text: results.append((ok, text)))
    return results


def test_without_a_model_file_export_says_so_and_writes_nothing(qtbot, open_window, tmp_path):
    window = open_window("ticks-crosses")  # no bundled models here (conftest): an untrained network
    results = _finished(qtbot, window)
    window.exports.start_model_export(tmp_path / "m.onnx")
    assert results == [(False, "No model file to export yet: train the network, or open a model.")]
    assert not (tmp_path / "m.onnx").exists()
    assert "No model file to export yet" in window.statusBar().currentMessage()


def test_the_kept_model_exports_to_onnx_in_a_thread(qtbot, open_window, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    window = open_window("ticks-crosses")
    bundled = bundled_file("models", "ticks-crosses.safetensors")
    monkeypatch.delenv("CNN_DESKTOP_RESOURCES")
    monkeypatch.setattr(window.session, "model_file", lambda: bundled_file("models", "ticks-crosses.safetensors"))
    assert not bundled.exists()  # the conftest's empty resources; the package's own file is used now
    results = _finished(qtbot, window)
    thread = window.exports.start_model_export(tmp_path / "ticks.onnx")
    assert thread is not None and thread.daemon  # the window's thread only waits for the message
    qtbot.waitUntil(lambda: bool(results), timeout=120000)
    assert results[0][0], results
    import onnx

    metadata = {p.key: p.value for p in onnx.load(str(tmp_path / "ticks.onnx")).metadata_props}
    assert json.loads(metadata["cnn_desktop.classes"]) == ["tick", "cross"]


def test_the_modes_drawings_export_as_an_image_zip(qtbot, open_window, tmp_path):
    window = open_window("ticks-crosses")
    drawings, labels = generate_ticks_crosses(2, seed=4)
    for strokes, label in zip(drawings, labels):
        window.canvas.set_strokes(strokes)
        assert window.session.add_drawing(("tick", "cross")[label])
    results = _finished(qtbot, window)
    window.exports.start_drawings_export(tmp_path / "d.zip", "images")
    qtbot.waitUntil(lambda: bool(results), timeout=30000)
    assert results == [(True, f"Exported 4 drawings to {tmp_path / 'd.zip'} (images).")]
    with zipfile.ZipFile(tmp_path / "d.zip") as archive:
        pngs = sorted(n for n in archive.namelist() if n.endswith(".png"))
    assert len(pngs) == 4 and {n.split("/")[0] for n in pngs} == {"tick", "cross"}
    assert np.bincount(labels).tolist() == [2, 2]
