"""Networks of any design in model files (safetensors, the torch-free header, ONNX) and on the command
line: `train --arch PRESET|FILE.json` with --preset or --project, and `info` listing the layers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from networks import CLASSES, every_network
from cnn_desktop.cli import main
from cnn_desktop.core.network.checkpoint import load_model, model_to_bytes, save_model
from cnn_desktop.core.network.model import build_model, predict_proba
from cnn_desktop.core.network.model_header import read_description, read_metadata
from cnn_desktop.core.network.presets import preset_json, preset_spec
from cnn_desktop.core.network.summary import summarise
from cnn_desktop.core.tasks import TASKS

NETWORKS = every_network()
TICKS = TASKS["ticks-crosses"].classes


@pytest.fixture(scope="module")
def drawings():
    rng = np.random.default_rng(0)
    return (rng.random((6, 28, 28)) > 0.8).astype(np.float32)


# --- model files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_network_round_trips_through_a_model_file(tmp_path, name, drawings):
    model = build_model(NETWORKS[name], seed=2)
    path = tmp_path / "m.safetensors"
    save_model(path, model, [{"epoch": 1}], {"note": name})
    loaded = load_model(path, expected_classes=CLASSES)
    assert loaded.spec == model.spec and loaded.info == {"note": name}
    np.testing.assert_array_equal(predict_proba(loaded.model, drawings), predict_proba(model, drawings))
    spec, history, _ = read_description(path.read_bytes(), str(path))  # without torch's weights
    assert spec == model.spec and history == [{"epoch": 1}]


def test_files_are_version_1_unless_they_need_the_new_layers_or_input():
    def version(spec):
        return read_metadata(model_to_bytes(build_model(spec)), "m")["format_version"]

    assert version(preset_spec("default", CLASSES)) == version(preset_spec("tiny", CLASSES)) == "1"
    assert version(preset_spec("deeper", CLASSES)) == "1"  # only the old kinds: older versions still open it
    assert version(preset_spec("lenet5", CLASSES)) == "2"
    relu32 = summarise({**json.loads(preset_json("tiny")), "input_size": 32, "classes": list(CLASSES)}).spec
    assert version(relu32) == "2"  # no new kind, but older versions cannot feed a 32x32 network


@pytest.mark.parametrize("task", sorted(TASKS))
def test_the_bundled_models_written_by_the_previous_code_still_load(task):
    saved = load_model(TASKS[task].bundled_model_path(), expected_classes=TASKS[task].classes)
    assert saved.spec == TASKS[task].spec() and saved.history
    assert summarise(saved.spec).ok


def test_a_description_file_with_a_layer_problem_names_the_layer(tmp_path):
    data = model_to_bytes(build_model(preset_spec("lenet5", CLASSES)))
    broken = data.replace(b'\\"kind\\": \\"avgpool\\"', b'\\"kind\\": \\"sumpool\\"')
    assert broken != data
    path = tmp_path / "m.safetensors"
    path.write_bytes(broken)
    with pytest.raises(Exception) as caught:
        load_model(path)
    assert str(caught.value) == (f"{path}: malformed model description (layer 3: unknown layer kind 'sumpool'; "
                                 "kinds are conv, relu, tanh, sigmoid, pool, avgpool, flatten, fc, dropout)")


@pytest.mark.parametrize("name", ["lenet5", "random-10", "random-17"])
def test_onnx_export_answers_as_the_app_does_for_the_new_layers(tmp_path, name, drawings):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from cnn_desktop.core.network.onnx_export import export_onnx

    network = build_model(NETWORKS[name], seed=4)
    export_onnx(network, tmp_path / "n.onnx")
    session = ort.InferenceSession(str(tmp_path / "n.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"images": drawings[:, None]})[0]
    assert np.abs(got - predict_proba(network, drawings)).max() < 1e-5


# --- the command line -------------------------------------------------------------------------------


def test_train_with_a_lenet5_file_then_info_lists_its_layers(tmp_path, capsys):
    # The done-when of issue #14: lenet5.json uses tanh and avgpool.
    arch = tmp_path / "lenet5.json"
    arch.write_text(preset_json("lenet5"))
    out = tmp_path / "m.safetensors"
    assert main(["train", "--preset", "ticks-crosses", "--arch", str(arch), "--epochs", "2", "--samples", "60",
                 "--out", str(out)]) == 0
    saved = load_model(out, expected_classes=TICKS)
    assert saved.spec == preset_spec("lenet5", TICKS) and len(saved.history) == 2
    capsys.readouterr()
    assert main(["info", "--model", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in lines if line and line.split()[0] in
            ("conv1", "tanh1", "avgpool1", "conv2", "fc1", "fc2", "out", "input")}
    assert rows["tanh1"][1:3] == ["tanh", "6x28x28"] and rows["avgpool1"][1:3] == ["avgpool", "6x14x14"]
    assert rows["conv1"][-2:] == ["156", "117,600"] and rows["fc2"][1:3] == ["fc", "84"]
    assert rows["input"][2] == "1x32x32" and "input: 32x32 (the 28x28 drawing with a zero border)" in lines


def test_train_takes_a_preset_name_too(tmp_path):
    out = tmp_path / "tiny.safetensors"
    assert main(["train", "--preset", "ticks-crosses", "--arch", "tiny", "--epochs", "1", "--samples", "30",
                 "--out", str(out)]) == 0
    assert load_model(out).spec == preset_spec("tiny", TICKS)


@pytest.mark.parametrize("content, words", [
    ("{oops", ["net.json: not JSON ("]),
    ('{"layers": [{"kind": "conv", "filters": 4, "kernel": 40}, {"kind": "flatten"}]}',
     ["net.json: conv1: its 40x40 kernel does not fit the 28x28 maps it reads"]),
    ('{"layers": [{"kind": "conv", "filters": 512, "kernel": 5, "padding": 2}, {"kind": "flatten"}]}',
     ["net.json: conv1: brings the network to", "over the limit of"]),
    (None, ["neither a network preset (default, lenet5, tiny, deeper) nor a file"]),
])
def test_a_bad_arch_is_one_line_and_exit_2_before_any_training(tmp_path, capsys, content, words):
    arch = tmp_path / "net.json"
    if content is not None:
        arch.write_text(content)
    out = tmp_path / "m.safetensors"
    given = str(arch) if content is not None else "lenet6"
    assert main(["train", "--preset", "ticks-crosses", "--arch", given, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cnn-desktop: error: "), err
    assert all(word in err for word in words), err
    assert not out.exists()


def test_arch_and_init_are_not_mixed(tmp_path, capsys):
    assert main(["train", "--preset", "ticks-crosses", "--arch", "tiny", "--init", "x.safetensors",
                 "--out", str(tmp_path / "m")]) == 2
    assert "give --arch or --init, not both" in capsys.readouterr().err


def test_train_a_project_with_another_network_keeps_it_as_the_projects(tmp_path, capsys):
    from PIL import Image

    from cnn_desktop.core.data.preprocess import preprocess
    from cnn_desktop.core.data.synth import generate_ticks_crosses
    from cnn_desktop.core.projects.project import Project

    images = tmp_path / "images"
    drawings, labels = generate_ticks_crosses(8, seed=5)
    for index, (strokes, label) in enumerate(zip(drawings, labels)):
        (images / ("tick", "cross")[label]).mkdir(parents=True, exist_ok=True)
        ink = (preprocess(strokes) * 255).astype(np.uint8)
        Image.fromarray(255 - ink).save(images / ("tick", "cross")[label] / f"{index:02d}.png")
    folder = tmp_path / "marks"
    assert main(["project", "new", str(folder), "--start", "scratch", "--classes", "tick,cross"]) == 0
    assert main(["import", "--project", str(folder), str(images)]) == 0
    assert main(["train", "--project", str(folder), "--epochs", "1"]) == 0  # v0001, the default network
    assert main(["train", "--project", str(folder), "--arch", "lenet5", "--epochs", "1"]) == 0
    with Project.open(folder, read_only=True) as project:
        assert project.spec == preset_spec("lenet5", project.class_names)
        assert project.load_version().spec == project.spec
    assert "from fresh weights" in capsys.readouterr().err
    # A bad --arch changes nothing: no version, the network as it was.
    assert main(["train", "--project", str(folder), "--arch", "lenet6", "--epochs", "1"]) == 2
    with Project.open(folder, read_only=True) as project:
        assert len(project.versions()) == 2 and project.spec == preset_spec("lenet5", project.class_names)
