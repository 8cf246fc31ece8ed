"""Looking inside works for every network a person can describe, not only conv -> ReLU -> max-pool:
receptive fields, the step-through's numbers (checked against torch for tanh, sigmoid and average
pooling), Grad-CAM, unit descriptions, panel titles and the training timeline, over the presets and
seeded random designs (tests/networks.py)."""

import numpy as np
import pytest
import torch

from networks import every_network
from cnn_desktop.core.inspection.presentation import describe_layers, signed_layers
from cnn_desktop.core.inspection.receptive_fields import describe_unit
from cnn_desktop.core.inspection.saliency import saliency_map
from cnn_desktop.core.inspection.timeline import SnapshotInfo, SnapshotKeeper
from cnn_desktop.core.inspection.walkthrough import avg_pool, classifier_steps, sigmoid, walk_filter
from cnn_desktop.core.inspection.walkthrough_state import CLASSIFIER, CONV, POOL, RELU, WalkthroughState
from cnn_desktop.core.network.geometry import layer_geometry, receptive_field
from cnn_desktop.core.network.model import CNN, build_model
from cnn_desktop.core.network.spec import ACTIVATION_KINDS, POOL_KINDS

NETWORKS = every_network()
NAMES = list(NETWORKS)


def _drawing() -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[6:22, 12:16] = 1.0
    image[8:11, 4:24] = 0.7
    return image


def _looked_at(name: str):
    """The network (seeded), a drawing, and what the engine hands the views: activations without the
    batch axis, conv kernels and fully connected weights by layer name."""
    model = build_model(NETWORKS[name], seed=5).eval()
    image = _drawing()
    with torch.no_grad():
        logits, acts = model.forward_with_activations(torch.from_numpy(image))
    activations = {k: v[0].numpy().astype(np.float64) for k, v in acts.items()}
    kernels = {n: (m.weight.detach().numpy(), m.bias.detach().numpy()) for n, m in model.conv_layers()}
    dense = {n: (m.weight.detach().numpy(), m.bias.detach().numpy())
             for n, m in model.layers.named_children() if isinstance(m, torch.nn.Linear)}
    return model, image, activations, logits[0].numpy(), kernels, dense


# --- the step-through -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_conv_layers_walk_matches_the_network_layer_by_layer(name):
    model, image, acts, logits, kernels, dense = _looked_at(name)
    spec = model.spec
    state = WalkthroughState()
    state.set_data(spec, image, acts, spec.classes, kernels, dense)
    geometry = layer_geometry(spec)
    names = [g.name for g in geometry]
    assert [n for n, _ in state.conv_layers] == [g.name for g in geometry if g.kind == "conv"]
    for conv, _ in state.conv_layers:
        state.choose_layer(conv)
        for f in {0, kernels[conv][0].shape[0] - 1}:
            state.choose_filter(f)
            walk = state.walk
            assert walk is not None and walk.layer == conv and walk.filter == f
            np.testing.assert_allclose(walk.conv, acts[conv][f], atol=1e-4)
            # what follows the conv directly (dropout passed over): its activation, then its pool
            after = [g for g in geometry[names.index(conv) + 1:] if g.kind != "dropout"]
            shown = walk.conv
            if after and after[0].kind in ACTIVATION_KINDS:
                assert walk.activation == after[0].kind
                np.testing.assert_allclose(walk.relu, acts[after[0].name][f], atol=1e-4)
                shown, after = walk.relu, after[1:]
            else:
                assert walk.activation == "" and np.array_equal(walk.relu, walk.conv)
            if after and after[0].kind in POOL_KINDS:
                assert walk.pool_kind == after[0].kind
                np.testing.assert_allclose(walk.pooled, acts[after[0].name][f], atol=1e-4)
            else:
                assert walk.pool_kind == "" and np.array_equal(walk.pooled, shown)
            titles = state.stage_titles()
            assert titles[RELU].endswith({"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid",
                                          "": "(no activation)"}[walk.activation])
            assert titles[POOL].endswith({"pool": "Max-pooling", "avgpool": "Average pooling",
                                          "": "(no pooling)"}[walk.pool_kind])
            for stage in (CONV, RELU, POOL, CLASSIFIER):  # every stage can be stepped through to its end
                state.set_stage(stage, 10**6)
                assert state.position == state.stage_length(stage) - 1
    steps = state.classifier
    assert steps[0].name == "flatten" and steps[-1].name == "softmax"
    np.testing.assert_allclose(steps[-2].values, logits, atol=1e-4)
    np.testing.assert_allclose(steps[-1].values, torch.softmax(torch.from_numpy(logits), 0).numpy(), atol=1e-5)


def test_a_32x32_networks_first_walk_reads_the_padded_drawing():
    model, image, acts, _, kernels, dense = _looked_at("lenet5")
    state = WalkthroughState()
    state.set_data(model.spec, image, acts, model.spec.classes, kernels, dense)
    assert state.walk.inputs.shape == (1, 32, 32)
    np.testing.assert_array_equal(state.walk.inputs[0, 2:30, 2:30], image)
    assert state.walk.conv.shape == (28, 28)


def test_tanh_sigmoid_and_average_pooling_steps_match_torch():
    rng = np.random.default_rng(3)
    x = rng.normal(scale=4, size=(3, 11, 11))
    w, b = rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2)
    conv = torch.nn.functional.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), torch.from_numpy(b))[0]
    for activation, function in (("tanh", torch.tanh), ("sigmoid", torch.sigmoid)):
        for window, stride in ((2, 2), (3, 1), (3, 2)):
            walk = walk_filter("conv1", 1, x, w, b, pool_window=window, pool_stride=stride,
                               activation=activation, pool_kind="avgpool")
            expected = torch.nn.functional.avg_pool2d(function(conv[1])[None], window, stride)[0]
            np.testing.assert_allclose(walk.relu, function(conv[1]).numpy(), atol=1e-10)
            np.testing.assert_allclose(walk.pooled, expected.numpy(), atol=1e-10)
            r0, c0 = walk.pool_window_at(1, 1)  # the window the view marks for one pooled unit
            assert walk.pooled[1, 1] == pytest.approx(walk.relu[r0:r0 + window, c0:c0 + window].mean())
    big = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])  # no overflow at either end
    np.testing.assert_allclose(sigmoid(big), torch.sigmoid(torch.from_numpy(big)).numpy())
    np.testing.assert_allclose(avg_pool(np.arange(25.0).reshape(5, 5)), [[3.0, 5.0], [13.0, 15.0]])


def test_the_classifier_steps_apply_tanh_and_sigmoid():
    model, _, acts, logits, _, dense = _looked_at("lenet5")
    steps = classifier_steps(model.spec, acts["flatten"], dense)
    assert [s.name for s in steps] == ["flatten", "fc1", "tanh3", "fc2", "tanh4", "out", "softmax"]
    for step in steps[1:5]:
        np.testing.assert_allclose(step.values, acts[step.name], atol=1e-4)
    assert steps[2].title == "tanh3: tanh"


# --- receptive fields, units, Grad-CAM, panels, timeline ---------------------------------------------


def _gradient_support(model: CNN, layer: str, row: int, col: int, trials: int = 40) -> np.ndarray:
    """Drawing pixels that influenced the unit on any of several random drawings (found by autograd)."""
    rng = torch.Generator().manual_seed(0)
    support = torch.zeros(28, 28, dtype=torch.bool)
    for _ in range(trials):
        x = torch.rand(1, 1, 28, 28, generator=rng, requires_grad=True)
        _, acts = model.forward_with_activations(x)
        acts[layer][0, :, row, col].sum().backward()
        support |= x.grad[0, 0] != 0
    return support.numpy()


@pytest.mark.parametrize("name", NAMES)
def test_receptive_fields_are_what_autograd_says_each_unit_depends_on(name):
    model = build_model(NETWORKS[name], seed=1)
    geometry = layer_geometry(model.spec)
    spatial = geometry[1:[g.kind for g in geometry].index("flatten")]
    for geo in (spatial[0], spatial[-1]):
        for row, col in {(0, 0), (geo.size - 1, geo.size // 2)}:
            top, left, bottom, right = receptive_field(model.spec, geo.name, row, col)
            expected = np.zeros((28, 28), bool)
            expected[top:bottom + 1, left:right + 1] = True
            np.testing.assert_array_equal(_gradient_support(model, geo.name, row, col), expected,
                                          err_msg=f"{geo.name} ({row}, {col})")


@pytest.mark.parametrize("name", NAMES)
def test_grad_cam_gradients_unit_descriptions_and_panel_titles_for_every_network(name):
    model, image, acts, _, _, _ = _looked_at(name)
    for method in ("gradcam", "gradient-x-input"):
        heat = saliency_map(model, image, 1, method)
        assert heat.shape == (28, 28) and np.isfinite(heat).all() and np.abs(heat).max() <= 1.0 + 1e-6
    assert all(p.grad is None for p in model.parameters())  # nothing reaches the optimiser's gradients
    spec = model.spec
    for geo in layer_geometry(spec)[1:]:
        unit = describe_unit(spec, geo.name, acts[geo.name], 0, 0, 0)
        assert unit is not None and unit.layer == geo.name and "\n" not in unit.text
        if geo.kind in POOL_KINDS:
            assert ("max of" if geo.kind == "pool" else "average of") in unit.text
        if geo.kind in ("flatten", "fc"):
            whole = geo.last_seen == 27
            assert ("whole 28×28 input" in unit.text) == whole, unit.text
            assert unit.box == (0, 0, geo.last_seen, geo.last_seen)
    described = dict(describe_layers(spec))
    assert set(described) == {g.name for g in layer_geometry(spec)[1:] if g.kind not in ("flatten", "dropout")}
    signed = signed_layers(spec)
    for layer, values in acts.items():
        if layer != "input" and layer not in signed:
            assert values.min() >= 0, layer  # shown with a colour map from 0: nothing may be negative


def test_signed_layers_follow_the_sign_through_pools():
    signed = signed_layers(NETWORKS["lenet5"])
    assert {"conv1", "tanh1", "avgpool1", "flatten", "fc1", "tanh3", "out"} <= signed
    assert signed_layers(NETWORKS["default"]) == {"conv1", "conv2", "fc1", "out"}


@pytest.mark.parametrize("name", ["lenet5", "random-17"])
def test_the_timeline_keeps_copies_of_any_networks_weights(name):
    model = build_model(NETWORKS[name], seed=0)
    keeper = SnapshotKeeper(limit=3)
    keeper.start(total_steps=4)
    for step in range(5):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)
        keeper.add(SnapshotInfo(step, step / 4, None), {k: v.clone() for k, v in model.state_dict().items()})
    restored = build_model(NETWORKS[name])
    restored.load_state_dict(keeper[len(keeper) - 1].weights)
    assert all(torch.equal(a, b) for a, b in zip(restored.state_dict().values(), model.state_dict().values()))
