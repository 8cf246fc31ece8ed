"""Network descriptions a person writes: the new layer kinds, 32x32 input, presets, the per-layer summary
an editor shows, and one-line problems naming the layer."""

import json

import pytest
import torch

from networks import CLASSES, every_network
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.geometry import layer_geometry, receptive_field
from cnn_desktop.core.network.model import CNN, build_model, predict_proba
from cnn_desktop.core.network.presets import PRESETS, arch_spec, preset_json, preset_spec
from cnn_desktop.core.network.spec import AvgPool, Conv, Flatten, ModelSpec, Sigmoid, Tanh, lenet_spec
from cnn_desktop.core.network.summary import MAX_LAYERS, MAX_MACS, summarise

NETWORKS = every_network()


def described(*layers, input_size=28) -> dict:
    return {"classes": list(CLASSES), "input_size": input_size, "layers": list(layers)}


CONV5 = {"kind": "conv", "filters": 4, "kernel": 5}
POOL = {"kind": "pool"}
FLAT = {"kind": "flatten"}


# --- the new kinds, as data -------------------------------------------------------------------------


def test_new_kinds_round_trip_through_json_under_their_names():
    spec = preset_spec("lenet5", CLASSES)
    data = json.loads(spec.to_json())
    assert [layer["kind"] for layer in data["layers"]][:3] == ["conv", "tanh", "avgpool"]
    assert data["input_size"] == 32
    assert ModelSpec.from_json(spec.to_json()) == spec
    assert spec.layer_names()[:3] == ["conv1", "tanh1", "avgpool1"]
    sig = ModelSpec(CLASSES, (Conv(2, 3), Sigmoid(), AvgPool(3, 1), Flatten()))
    assert ModelSpec.from_json(sig.to_json()) == sig and "sigmoid" in sig.to_json()


def test_pool_stays_max_pooling_and_avgpool_averages():
    image = torch.tensor([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=torch.float32)
    for kind, expected in (({"kind": "pool"}), [[6, 8], [3, 4]]), (({"kind": "avgpool"}), [[3.25, 5.25], [2, 2]]):
        spec = ModelSpec.from_dict({"classes": ["a", "b"], "input_size": 4, "layers": [kind, FLAT]})
        _, acts = CNN(spec).forward_with_activations(image)
        assert acts[spec.layer_names()[0]][0, 0].tolist() == expected


def test_tanh_and_sigmoid_layers_apply_their_function():
    spec = ModelSpec(("a", "b"), (Tanh(), Sigmoid(), Flatten()), input_size=3)
    x = torch.linspace(-3, 3, 9).reshape(3, 3)
    _, acts = CNN(spec).forward_with_activations(x)
    torch.testing.assert_close(acts["tanh1"][0, 0], torch.tanh(x))
    torch.testing.assert_close(acts["sigmoid1"][0, 0], torch.sigmoid(torch.tanh(x)))


def test_a_32x32_network_pads_the_28x28_drawing_inside_the_model():
    model = build_model(preset_spec("lenet5", CLASSES), seed=0)
    drawing = torch.rand(28, 28)
    _, acts = model.forward_with_activations(drawing)
    padded = acts["input"][0, 0]
    assert padded.shape == (32, 32) and torch.equal(padded[2:30, 2:30], drawing)
    assert padded[:2].abs().sum() == padded[30:].abs().sum() == padded[:, :2].abs().sum() == 0  # zero border
    assert padded[:, 30:].abs().sum() == 0
    assert acts["conv1"].shape[1:] == (6, 28, 28)
    assert predict_proba(model, drawing.numpy()).shape == (3,)
    # receptive fields stay on the drawing: conv1's unit (0, 0) reads padded rows 0-4, drawing rows -2..2
    assert receptive_field(model.spec, "conv1", 0, 0) == (0, 0, 2, 2)
    assert receptive_field(model.spec, "conv1", 27, 27) == (25, 25, 27, 27)


# --- presets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_a_usable_design_whose_counts_match_torch(name):
    spec = preset_spec(name, CLASSES)
    summary = summarise(spec)
    assert summary.ok, summary.error
    model = build_model(spec, seed=0)
    assert summary.totals.params == model.parameter_count()
    _, acts = model.forward_with_activations(torch.zeros(1, 28, 28))
    for row in summary.rows:
        assert tuple(acts[row.name].shape[1:]) == row.shape, row.name
    assert json.loads(preset_json(name)) == PRESETS[name]


def test_the_presets_are_what_they_say():
    assert preset_spec("default", CLASSES) == lenet_spec(CLASSES)
    lenet5 = summarise(preset_spec("lenet5", tuple("0123456789")))
    assert [r.shape for r in lenet5.rows if r.kind == "conv"] == [(6, 28, 28), (16, 10, 10)]
    assert [r.shape for r in lenet5.rows if r.kind == "fc"] == [(120,), (84,), (10,)]
    assert lenet5.totals.params == 61_706  # LeNet-5's ~60,000 with full C3 connections
    tiny = preset_spec("tiny", CLASSES)
    assert all(2 <= layer.filters <= 4 for layer in tiny.layers if isinstance(layer, Conv))
    deeper = summarise(preset_spec("deeper", CLASSES))
    assert [r.shape for r in deeper.rows if r.kind == "conv"] == [(32, 26, 26), (64, 11, 11), (64, 3, 3)]
    assert [r.shape for r in deeper.rows if r.kind in ("flatten", "fc")][:2] == [(576,), (64,)]


# --- the summary an editor shows --------------------------------------------------------------------


def test_rows_give_shape_parameters_multiply_adds_and_receptive_field():
    summary = summarise(lenet_spec())
    conv1, conv2 = (r for r in summary.rows if r.kind == "conv")
    assert (conv1.shape, conv1.params, conv1.macs, conv1.field) == ((16, 28, 28), 16 * 25 + 16, 16 * 25 * 28 * 28, 5)
    assert (conv2.params, conv2.macs, conv2.field) == (32 * 16 * 25 + 32, 32 * 16 * 25 * 100, 14)
    assert summary.rows[-1].name == "out" and summary.rows[-1].shape == (10,)
    assert summary.totals.params == build_model(lenet_spec()).parameter_count()
    assert summary.totals.macs == sum(r.macs for r in summary.rows)


def test_a_broken_description_still_shows_the_rows_before_its_problem():
    summary = summarise(described(CONV5, POOL, CONV5, POOL, POOL, POOL, POOL, FLAT))
    assert summary.error == "pool5: its 1x1 maps cannot be pooled 2x2; remove it or pad conv2"
    assert [r.name for r in summary.rows] == ["input", "conv1", "pool1", "conv2", "pool2", "pool3", "pool4"]
    assert summary.rows[-1].shape == (4, 1, 1)


@pytest.mark.parametrize("layers, input_size, message", [
    ([CONV5, POOL, CONV5, POOL, POOL, POOL, POOL, FLAT], 28,
     "pool5: its 1x1 maps cannot be pooled 2x2; remove it or pad conv2"),
    ([POOL, POOL, POOL, POOL, POOL, FLAT], 28, "pool5: its 1x1 maps cannot be pooled 2x2; remove it or use a smaller window"),
    ([CONV5, POOL, {"kind": "conv", "filters": 2, "kernel": 13}, FLAT], 28,
     "conv2: its 13x13 kernel does not fit the 12x12 maps it reads; use a smaller kernel or more padding, or remove it"),
    ([FLAT, CONV5], 28, "conv1: a conv layer cannot follow flatten; move it before flatten"),
    ([CONV5, {"kind": "fc", "units": 3}, FLAT], 28, "fc1: a fully connected layer needs a flatten layer before it"),
    ([CONV5, FLAT, FLAT], 28, "flatten: the maps are flat already; remove the second flatten"),
    ([CONV5], 28, "the layers must include flatten"),
    ([{"kind": "conv", "filters": 0, "kernel": 3}, FLAT], 28, "conv1: needs at least one filter"),
    ([FLAT, {"kind": "dropout", "p": 1.0}], 28, "dropout1: dropout probability must be at least 0 and below 1"),
    ([{"kind": "conv", "filters": 2, "kernel": 2, "stride": 3}, FLAT], 28,
     "conv1: stride 3 skips pixels no 2x2 kernel covers; use a stride of at most 2"),
    ([{"kind": "conv", "filters": 2, "kernel": 3, "padding": 3}, FLAT], 28,
     "conv1: padding 3 adds borders only zeros can reach; a 3x3 kernel needs at most 2"),
    ([{"kind": "avgpool", "window": 2, "stride": 4}, FLAT], 28, "avgpool1: stride 4 skips pixels"),
    ([CONV5, FLAT], 30, "input: the network reads 28x28 drawings with 1 channel, or 32x32"),
    ([{"kind": "conv", "filters": 64, "kernel": 5, "padding": 2}, {"kind": "conv", "filters": 64, "kernel": 5,
                                                                   "padding": 2}, FLAT], 28,
     "conv2: brings the network to"),
    ([CONV5, FLAT, {"kind": "fc", "units": 500}], 28, "fc1: brings the network to 1,"),
    ([{"kind": "tanh"}] * (MAX_LAYERS) + [FLAT], 28, f"{MAX_LAYERS + 1} layers; at most {MAX_LAYERS}"),
    ([{"kind": "conv", "filters": "8", "kernel": 3}, FLAT], 28, "conv1: filters must be a whole number, got '8'"),
    ([{"kind": "conv", "kernel": 3}, FLAT], 28, "conv1: needs filters"),
    ([CONV5, {"kind": "warp"}, FLAT], 28, "layer 2: unknown layer kind 'warp'; kinds are conv, relu, tanh,"),
    ([CONV5, {"kind": "tanh", "slope": 2}], 28, "tanh1: unknown parameters ['slope']; a tanh layer takes none"),
    ([CONV5, ["kind", "relu"]], 28, 'layer 2: not an object with a "kind"'),
])
def test_a_description_that_cannot_be_used_gets_one_line_naming_the_layer(layers, input_size, message):
    summary = summarise(described(*layers, input_size=input_size))
    assert summary.error is not None and summary.error.startswith(message), summary.error
    assert "\n" not in summary.error and len(summary.error) < 250


def test_the_limits_name_the_layer_that_crosses_them():
    over = summarise(described({"kind": "conv", "filters": 32, "kernel": 3, "padding": 1},
                               {"kind": "conv", "filters": 96, "kernel": 3, "padding": 1}, FLAT))
    assert over.error.startswith("conv2: brings the network to") and "multiply-adds" in over.error
    assert over.totals.macs > MAX_MACS


@pytest.mark.parametrize("garbage", [None, [], 5, "not json", "[1]", "{}", {"layers": "conv"},
                                     {"classes": ["a", "b"], "layers": [{"kind": {"kind": "conv"}}]},
                                     {"classes": ["a", "b"], "layers": [{"kind": "conv", "filters": 10**100}]},
                                     {"classes": ["a", "b"], "layers": [{"kind": "flatten"}] * 100_000},
                                     "[" * 100_000])
def test_summarise_never_raises_and_says_what_is_wrong(garbage):
    summary = summarise(garbage)
    assert not summary.ok and summary.error and "\n" not in summary.error and len(summary.error) < 300


@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_network_in_the_matrix_builds_and_its_geometry_matches_torch(name):
    spec = NETWORKS[name]
    model = build_model(spec, seed=0)
    _, acts = model.forward_with_activations(torch.zeros(2, 28, 28))
    for geo in layer_geometry(spec)[1:]:
        shape = tuple(acts[geo.name].shape[1:])
        assert shape in ((geo.channels, geo.size, geo.size), (geo.channels,)), (geo.name, shape)
    assert summarise(spec).totals.params == model.parameter_count()


# --- --arch: a preset or a file ---------------------------------------------------------------------


def test_arch_takes_a_preset_or_a_file_and_replaces_the_files_classes(tmp_path):
    assert arch_spec("tiny", CLASSES) == (preset_spec("tiny", CLASSES), None)
    path = tmp_path / "net.json"
    path.write_text(preset_spec("lenet5", tuple("0123456789")).to_json())
    spec, note = arch_spec(str(path), CLASSES)
    assert spec == preset_spec("lenet5", CLASSES)
    assert note.startswith(f"{path}: its classes ['0', '1', '2', '3', '4', ... and 5 more] are replaced")
    path.write_text(preset_json("deeper"))  # no classes: nothing to say
    assert arch_spec(str(path), CLASSES) == (preset_spec("deeper", CLASSES), None)


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not JSON (Expecting property name"),
    ("[1, 2]", "a network description is a JSON object, not a list"),
    ('{"layers": [{"kind": "conv", "filters": 4, "kernel": 5}, {"kind": "pool"}, {"kind": "pool"}, '
     '{"kind": "pool"}, {"kind": "pool"}, {"kind": "pool"}, {"kind": "flatten"}]}',
     "pool5: its 1x1 maps cannot be pooled 2x2; remove it or pad conv1"),
    ("\xff\xfe", "not JSON"),
])
def test_a_bad_arch_file_is_one_line_naming_the_file(tmp_path, text, problem):
    path = tmp_path / "net.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(CnnDesktopError) as caught:
        arch_spec(str(path), CLASSES)
    assert str(caught.value).startswith(f"{path}: {problem}"), str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_arch_that_is_neither_a_preset_nor_a_file(tmp_path):
    with pytest.raises(CnnDesktopError, match="neither a network preset .default, lenet5, tiny, deeper. nor a file"):
        arch_spec("lenet6", CLASSES)
    with pytest.raises(CnnDesktopError, match="missing.json: no such file"):
        arch_spec(str(tmp_path / "missing.json"), CLASSES)
    with pytest.raises(CnnDesktopError, match="is a folder"):
        arch_spec(str(tmp_path), CLASSES)
