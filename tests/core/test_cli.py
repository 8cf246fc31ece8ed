"""The command line: train, evaluate, predict, info, and one-line errors with exit status 2."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from cnn_desktop.cli import main
from cnn_desktop.core.network.checkpoint import load_model, save_model
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import lenet_spec
from cnn_desktop.core.data.synth import generate_ticks_crosses
from cnn_desktop.core.data.strokes import rasterise


@pytest.fixture(scope="module")
def ticks_model(tmp_path_factory):
    """A ticks-and-crosses model trained by the CLI itself on generated drawings (small and quick)."""
    out = tmp_path_factory.mktemp("model") / "ticks.safetensors"
    assert main(["train", "--preset", "ticks-crosses", "--samples", "300", "--epochs", "3", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def drawings_folder(tmp_path_factory):
    """An image folder <root>/<label>/*.png of new ticks and crosses, drawn dark on light like a scan."""
    root = tmp_path_factory.mktemp("drawings")
    drawings, labels = generate_ticks_crosses(20, seed=77)
    for index, (strokes, label) in enumerate(zip(drawings, labels)):
        x0, y0, x1, y1 = strokes.bounds()
        size = (int(x1 + 40), int(y1 + 40))
        ink = rasterise(strokes, size, width=6.0)
        folder = root / ("tick", "cross")[label]
        folder.mkdir(exist_ok=True)
        Image.fromarray((255 - ink * 255).astype(np.uint8)).save(folder / f"{index}.png")
    return root


def test_train_saves_a_model_with_its_history_and_provenance(ticks_model):
    saved = load_model(ticks_model, expected_classes=("tick", "cross"))
    assert [h["epoch"] for h in saved.history] == [1, 2, 3]
    assert saved.info["config"]["seed"] == 0 and saved.info["examples"] == 600
    assert saved.info["command"].startswith("cnn-desktop train --preset ticks-crosses")
    assert saved.history[-1]["val_accuracy"] > 0.8


def test_evaluate_prints_per_class_confusion_and_ends_with_the_accuracy_line(ticks_model, drawings_folder, capsys):
    assert main(["evaluate", "--model", str(ticks_model), str(drawings_folder)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"accuracy (0|1)\.\d{4} n=40", lines[-1])
    assert float(lines[-1].split()[1]) >= 0.8
    assert any(line.strip().startswith("tick") for line in lines) and "confusion matrix" in "\n".join(lines)


def test_evaluate_json_is_one_object_consistent_with_itself(ticks_model, drawings_folder, capsys):
    assert main(["evaluate", "--model", str(ticks_model), str(drawings_folder), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    confusion = np.array(report["confusion"])
    assert report["n"] == confusion.sum() == 40
    assert report["accuracy"] == pytest.approx(np.trace(confusion) / 40, abs=1e-6)
    assert set(report["per_class"]) == {"tick", "cross"}


def test_evaluate_on_the_training_split_of_a_collection(ticks_model, bars_collection, capsys):
    assert main(["evaluate", "--model", str(ticks_model), str(bars_collection), "--split", "validation"]) == 0
    n = int(capsys.readouterr().out.strip().splitlines()[-1].split("n=")[1])
    assert n == 12  # 10% of each class of the 120 bars, held out exactly as training would


def test_predict_names_the_class_and_lists_probabilities(ticks_model, drawings_folder, capsys):
    tick = sorted((drawings_folder / "tick").glob("*.png"))[0]
    assert main(["predict", "--model", str(ticks_model), str(tick), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["image"] == str(tick) and set(answer["probabilities"]) == {"tick", "cross"}
    assert sum(answer["probabilities"].values()) == pytest.approx(1, abs=1e-4)
    assert main(["predict", "--model", str(ticks_model), str(tick)]) == 0
    assert capsys.readouterr().out.startswith(f"{tick}: ")


def test_info_describes_layers(ticks_model, capsys):
    assert main(["info", "--model", str(ticks_model)]) == 0
    out = capsys.readouterr().out
    assert "conv2" in out and "32x10x10" in out and "14x14" in out  # conv2's receptive field


def test_fine_tuning_starts_from_the_given_model(ticks_model, tmp_path):
    out = tmp_path / "tuned.safetensors"
    assert main(["train", "--preset", "ticks-crosses", "--samples", "50", "--epochs", "1",
                 "--init", str(ticks_model), "--out", str(out)]) == 0
    assert load_model(out).info["init"] == str(ticks_model)


@pytest.fixture
def paths(tmp_path):
    paths = {"missing": tmp_path / "missing.png", "model": tmp_path / "m.safetensors",
             "garbage": tmp_path / "garbage.bin", "image": tmp_path / "blank.png"}
    save_model(paths["model"], build_model(lenet_spec(), seed=0))
    paths["garbage"].write_bytes(b"this is not an image nor a model" * 10)
    Image.new("L", (40, 40), 255).save(paths["image"])
    return paths


@pytest.mark.parametrize("args, fragment", [
    (["predict", "--model", "{missing}", "{image}"], "no such model file"),
    (["predict", "--model", "{model}", "{missing}"], "{missing}"),
    (["predict", "--model", "{model}", "{image}"], "{image}"),  # blank: nothing to classify
    (["evaluate", "--model", "{model}", "{missing}"], "no such file or folder"),
    (["predict", "--model", "{garbage}", "{image}"], "not a cnn-desktop model"),
    (["predict", "--model", "{model}", "{garbage}"], "{garbage}"),
    (["train", "--preset", "digits", "--out", "{model}"], "cnn-desktop download mnist"),
])
def test_bad_input_exits_2_with_one_line(paths, capsys, args, fragment):
    assert main([a.format(**paths) for a in args]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnn-desktop: error: ")
    assert fragment.format(**paths) in lines[0]


def test_a_real_process_exits_2_without_a_traceback(paths):
    result = subprocess.run([sys.executable, "-m", "cnn_desktop", "predict", "--model", str(paths["garbage"]),
                             str(paths["image"])], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"cnn-desktop: error: {paths['garbage']}: "
                                                  "not a cnn-desktop model (its header claims "
                                                  f"{int.from_bytes(paths['garbage'].read_bytes()[:8], 'little')} bytes)"]
