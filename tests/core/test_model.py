"""Known answers from the explanations the product teaches, and the geometry of the default network."""

import numpy as np
import pytest
import torch

from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.geometry import layer_geometry, receptive_field
from cnn_desktop.core.network.model import CNN, build_model, predict_proba
from cnn_desktop.core.network.spec import Conv, Dense, Flatten, MaxPool, ModelSpec, ReLU, lenet_spec

IMAGE_5X5 = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
KERNEL_3X3 = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


def _single_conv(bias: float) -> CNN:
    spec = ModelSpec(classes=("a", "b"), layers=(Conv(filters=1, kernel=3), ReLU(), Flatten()), input_size=5)
    model = CNN(spec)
    with torch.no_grad():
        model.layers.conv1.weight.copy_(torch.tensor(KERNEL_3X3, dtype=torch.float32)[None, None])
        model.layers.conv1.bias.fill_(bias)
    return model


def test_convolution_known_answer():
    _, acts = _single_conv(0.0).forward_with_activations(torch.tensor(IMAGE_5X5, dtype=torch.float32))
    assert acts["conv1"][0, 0].tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


def test_relu_zeroes_the_negatives_and_keeps_the_rest():
    _, acts = _single_conv(-3.0).forward_with_activations(torch.tensor(IMAGE_5X5, dtype=torch.float32))
    assert acts["conv1"][0, 0].tolist() == [[1, 0, 1], [-1, 1, 0], [-1, 0, 1]]
    assert acts["relu1"][0, 0].tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]


def test_max_pool_keeps_each_windows_maximum():
    spec = ModelSpec(classes=("a", "b"), layers=(MaxPool(2, 2), Flatten()), input_size=4)
    image = torch.tensor([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=torch.float32)
    _, acts = CNN(spec).forward_with_activations(image)
    assert acts["pool1"][0, 0].tolist() == [[6, 8], [3, 4]]


def test_softmax_probabilities_sum_to_one():
    model = build_model(lenet_spec(), seed=0)
    probs = predict_proba(model, np.random.default_rng(0).random((5, 28, 28), dtype=np.float32))
    assert probs.shape == (5, 10)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs >= 0).all()


def test_default_spec_output_shapes():
    model = build_model(lenet_spec(), seed=0)
    _, acts = model.forward_with_activations(torch.zeros(2, 28, 28))
    shapes = {name: tuple(a.shape[1:]) for name, a in acts.items()}
    assert shapes == {
        "input": (1, 28, 28),
        "conv1": (16, 28, 28), "relu1": (16, 28, 28), "pool1": (16, 14, 14),
        "conv2": (32, 10, 10), "relu2": (32, 10, 10), "pool2": (32, 5, 5),
        "flatten": (800,), "fc1": (64,), "relu3": (64,), "dropout1": (64,), "out": (10,),
    }
    geometry = {g.name: (g.channels, g.size) for g in layer_geometry(lenet_spec())}
    for name, shape in shapes.items():  # geometry computed from the spec alone agrees with the network
        channels, size = geometry[name]
        assert shape == ((channels, size, size) if len(shape) == 3 else (channels,))


def test_receptive_field_of_second_conv_layer_by_hand():
    spec = lenet_spec()
    # conv1 (5x5, pad 2) -> pool 2x2 -> conv2 (5x5): a conv2 unit sees 14x14 input pixels, 2 apart.
    assert receptive_field(spec, "conv2", 3, 4) == (4, 6, 17, 19)
    assert receptive_field(spec, "conv2", 0, 0) == (0, 0, 11, 11)  # clipped at the padded border
    assert receptive_field(spec, "conv1", 10, 10) == (8, 8, 12, 12)
    assert receptive_field(spec, "fc1", 0, 0) == (0, 0, 27, 27)
    with pytest.raises(CnnDesktopError):
        receptive_field(spec, "conv2", 10, 0)


def _gradient_support(model: CNN, layer: str, row: int, col: int, trials: int = 40) -> np.ndarray:
    """Input pixels that influenced the unit on any of several random inputs (found by autograd)."""
    rng = torch.Generator().manual_seed(0)
    support = torch.zeros(28, 28, dtype=torch.bool)
    for _ in range(trials):
        x = torch.rand(1, 1, 28, 28, generator=rng, requires_grad=True)
        _, acts = model.forward_with_activations(x)
        acts[layer][0, :, row, col].sum().backward()
        support |= x.grad[0, 0] != 0
    return support.numpy()


@pytest.mark.parametrize("layer,row,col", [("conv2", 3, 4), ("conv2", 0, 0), ("pool2", 2, 1), ("conv1", 27, 0)])
def test_receptive_field_matches_what_autograd_says_the_unit_depends_on(layer, row, col):
    model = build_model(lenet_spec(), seed=1)
    support = _gradient_support(model, layer, row, col)
    top, left, bottom, right = receptive_field(lenet_spec(), layer, row, col)
    expected = np.zeros((28, 28), bool)
    expected[top : bottom + 1, left : right + 1] = True
    assert (support == expected).all()


def test_impossible_specs_are_refused_with_a_reason():
    with pytest.raises(CnnDesktopError, match="does not fit"):
        CNN(ModelSpec(classes=("a", "b"), layers=(Conv(4, kernel=9), MaxPool(), Conv(4, kernel=9), Flatten()),
                      input_size=20))
    with pytest.raises(CnnDesktopError, match="flatten"):
        CNN(ModelSpec(classes=("a", "b"), layers=(Conv(4), Dense(10))))
    with pytest.raises(CnnDesktopError, match="two classes"):
        ModelSpec(classes=("a",), layers=(Flatten(),))


def test_spec_round_trips_through_json_and_rejects_garbage():
    spec = lenet_spec(("tick", "cross"))
    assert ModelSpec.from_json(spec.to_json()) == spec
    for bad in ["[]", "{}", '{"classes": ["a", "b"], "layers": [{"kind": "warp"}]}',
                '{"classes": ["a", "b"], "layers": [{"kind": "conv", "filters": 2, "colour": 1}]}', "not json"]:
        with pytest.raises(CnnDesktopError):
            ModelSpec.from_json(bad)


def test_seeded_models_are_reproducible():
    a, b, c = (build_model(lenet_spec(), seed=s) for s in (3, 3, 4))
    assert torch.equal(a.layers.conv1.weight, b.layers.conv1.weight)
    assert not torch.equal(a.layers.conv1.weight, c.layers.conv1.weight)
