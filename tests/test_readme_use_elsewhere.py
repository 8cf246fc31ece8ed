"""The README's "Use it elsewhere" examples run as written: the Python API, then onnxruntime on an
exported model, with a drawn PNG and a drawing the app saved, in a folder of their own."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnn_desktop.cli import main
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import rasterise
from cnn_desktop.core.data.synth import digit_drawings

README = Path(__file__).resolve().parents[1] / "README.md"


def python_examples() -> list[str]:
    section = README.read_text().split("## Use it elsewhere", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


@pytest.fixture
def a_drawn_seven(tmp_path, monkeypatch):
    """seven.png: a 7 drawn with a mouse, dark ink on white, 240x240; drawing.png: the app's stored copy."""
    monkeypatch.chdir(tmp_path)
    strokes, labels = digit_drawings(1, seed=11)
    seven = strokes[list(labels).index(7)]
    x0, y0, x1, y1 = seven.bounds()
    scale = 200 / max(x1 - x0, y1 - y0)
    ink = rasterise(seven, (240, 240), 12.0, transform=np.array([[scale, 0, 20 - scale * x0],
                                                                 [0, scale, 20 - scale * y0]]))
    Image.fromarray(np.rint(255 - ink * 255).astype(np.uint8)).save("seven.png")
    example = DrawingStore(tmp_path / "collection", [str(d) for d in range(10)]).add("7", preprocess(seven), seven)
    shutil.copy(example.path, "drawing.png")
    return tmp_path


def test_the_api_example_runs_as_written(a_drawn_seven, capsys):
    api, *_ = python_examples()
    exec(compile(api, "README.md (Use it elsewhere, API)", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[0] == "7" and out[0].endswith("%")
    assert out[1] == str(tuple("0123456789"))


def test_the_onnx_examples_run_as_written_on_an_exported_model(a_drawn_seven, capsys):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    assert main(["export", "--format", "onnx", "--out", "digits.onnx"]) == 0
    capsys.readouterr()
    _, with_cnn_desktop, pillow_only = python_examples()
    namespace: dict = {}
    exec(compile(with_cnn_desktop, "README.md (Use it elsewhere, ONNX)", "exec"), namespace)
    exec(compile(pillow_only, "README.md (Use it elsewhere, Pillow only)", "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[0] == "7" and out[1] == "7"


def test_import_cnn_desktop_and_preprocess_image_load_no_torch():
    code = ("import sys\nimport cnn_desktop\nfrom cnn_desktop import preprocess_image, load_model\n"
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_prediction_is_frozen_and_agrees_with_the_model(a_drawn_seven):
    from cnn_desktop import load_model

    model = load_model("digits")
    result = model.predict("seven.png")
    assert result.label == "7" and list(result.probabilities) == list(model.classes)
    assert abs(sum(result.probabilities.values()) - 1) < 1e-5
    with pytest.raises((AttributeError, TypeError)):
        result.label = "1"
    with pytest.raises(TypeError):
        result.probabilities["7"] = 0.0
    assert model.predict(np.asarray(Image.open("seven.png"))).label == "7"  # an image array
    assert model.spec.classes == model.classes
