"""`cnn-desktop evaluate --generated`: accuracy on freshly generated drawings instead of a data folder."""

import json
import re

import pytest

from cnn_desktop.cli import main
from cnn_desktop.core.network.checkpoint import save_model
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.data.classes import DIGIT_CLASSES, TICK_CROSS_CLASSES
from cnn_desktop.core.network.spec import lenet_spec


@pytest.fixture
def untrained(tmp_path):
    def make(classes, info=None):
        path = tmp_path / f"{len(classes)}.safetensors"
        save_model(path, build_model(lenet_spec(classes), seed=0), [], info or {})
        return str(path)

    return make


def test_ticks_crosses_end_with_the_usual_accuracy_line(untrained, capsys):
    assert main(["evaluate", "--model", untrained(TICK_CROSS_CLASSES), "--generated", "--samples", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("generated ticks and crosses, seed 1, 5 per class")
    assert re.search(r"\naccuracy \d\.\d{4} n=10\n$", out)


def test_digits_report_accuracy_by_render_canvas_and_style(untrained, capsys):
    model = untrained(DIGIT_CLASSES)
    assert main(["evaluate", "--model", model, "--generated", "--samples", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 40  # 2 drawings of each digit, each as strokes and as a raster
    groups = report["groups"]
    assert groups["render: strokes"]["n"] == 20
    assert groups["render: thin pen"]["n"] + groups["render: thick pen"]["n"] == 20
    assert any(name.startswith("style: 1 ") for name in groups)
    assert main(["evaluate", "--model", model, "--generated", "--samples", "1"]) == 0
    out = capsys.readouterr().out
    assert "accuracy by group:" in out and re.search(r"\naccuracy \d\.\d{4} n=20\n$", out)


def test_the_seed_a_model_was_trained_on_is_refused(untrained, capsys):
    model = untrained(TICK_CROSS_CLASSES, {"data": "generated ticks and crosses (300 per class)", "config": {"seed": 4}})
    assert main(["evaluate", "--model", model, "--generated", "--seed", "4", "--samples", "2"]) == 2
    assert "trained on the drawings of seed 4" in capsys.readouterr().err
    assert main(["evaluate", "--model", model, "--generated", "--seed", "5", "--samples", "2"]) == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--generated", "somewhere"], "either DATA or --generated"),
        ([], "either DATA or --generated"),
        (["--generated", "--split", "validation"], "--split applies to DATA"),
        (["--generated", "--samples", "0"], "--samples: must be at least 1"),
    ],
)
def test_wrong_combinations_are_one_line_errors(untrained, capsys, args, message):
    assert main(["evaluate", "--model", untrained(TICK_CROSS_CLASSES), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_model_of_other_classes_has_no_generated_drawings(untrained, capsys):
    assert main(["evaluate", "--model", untrained(("a", "b", "c")), "--generated", "--samples", "1"]) == 2
    assert "no generated drawings" in capsys.readouterr().err


def test_the_seed_of_the_drawn_digits_a_model_trained_on_is_refused(untrained, capsys):
    model = untrained(DIGIT_CLASSES, {"data": "t10k (+ 8000 drawn digits (seed 0))", "config": {"seed": 3}})
    assert main(["evaluate", "--model", model, "--generated", "--seed", "0", "--samples", "1"]) == 2
    assert "trained on drawn digits of seed 0" in capsys.readouterr().err


def test_digits_are_tested_on_the_held_out_styles_only(untrained, capsys):
    from cnn_desktop.core.data.digit_styles import HELD_OUT_STYLES

    assert main(["evaluate", "--model", untrained(DIGIT_CLASSES), "--generated", "--samples", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    styles = {name[len("style: "):] for name in report["groups"] if name.startswith("style: ")}
    assert styles and styles <= {f"{d} {s}" for d, names in HELD_OUT_STYLES.items() for s in names}
    assert "held-out styles" in report["data"]
