"""The walkthrough's numpy arithmetic agrees with torch, number for number."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnn_desktop.core.inspection.walkthrough import (
    classifier_steps, conv_step, convolve, dense, first_ink_position, max_pool, relu, softmax, top_contributions,
    walk_filter)

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("channels, size, k, stride, padding", [(1, 28, 5, 1, 2), (16, 14, 5, 1, 0), (3, 9, 3, 2, 1)])
def test_convolve_matches_torch_conv2d(channels, size, k, stride, padding):
    x = RNG.normal(size=(channels, size, size)).astype(np.float32)
    w = RNG.normal(size=(4, channels, k, k)).astype(np.float32)
    b = RNG.normal(size=4).astype(np.float32)
    expected = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), torch.from_numpy(b), stride, padding)[0].numpy()
    for f in range(4):
        ours = convolve(x, w[f], b[f], stride, padding)
        np.testing.assert_allclose(ours, expected[f], rtol=1e-4, atol=1e-4)


def test_each_step_shows_the_window_products_and_sum_behind_one_pixel():
    image = RNG.random((28, 28))
    kernel = RNG.normal(size=(5, 5))
    conv = convolve(image, kernel, 0.25, padding=2)
    corner = conv_step(image, kernel, 0.25, 0, 0, padding=2)
    assert corner.window.shape == (1, 5, 5)
    assert (corner.window[0, :2] == 0).all() and (corner.window[0, :, :2] == 0).all()  # the zero padding
    np.testing.assert_allclose(corner.window[0, 2:, 2:], image[:3, :3])
    np.testing.assert_allclose(corner.products, corner.window * kernel)
    assert corner.value == pytest.approx(corner.total + 0.25) == pytest.approx(conv[0, 0])
    middle = conv_step(image, kernel, 0.25, 13, 20, padding=2)
    assert middle.value == pytest.approx(conv[13, 20])
    with pytest.raises(ValueError):
        conv_step(image, kernel, 0.0, 28, 0, padding=2)


def test_max_pool_matches_torch_and_says_where_each_maximum_came_from():
    values = RNG.normal(size=(28, 28))
    pooled, where = max_pool(values)
    expected, indices = F.max_pool2d(torch.from_numpy(values)[None, None], 2, 2, return_indices=True)
    np.testing.assert_allclose(pooled, expected[0, 0].numpy())
    assert pooled.shape == (14, 14) and where.shape == (14, 14, 2)
    np.testing.assert_array_equal(where[..., 0] * 28 + where[..., 1], indices[0, 0].numpy())
    np.testing.assert_allclose(values[where[..., 0], where[..., 1]], pooled)
    odd, _ = max_pool(RNG.normal(size=(5, 5)))  # floor, like torch
    assert odd.shape == (2, 2)


def test_dense_relu_softmax_and_contributions():
    x, w, b = RNG.normal(size=800), RNG.normal(size=(64, 800)), RNG.normal(size=64)
    np.testing.assert_allclose(dense(x, w, b), F.linear(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)).numpy())
    np.testing.assert_array_equal(relu(np.array([-1.5, 0.0, 2.0])), [0.0, 0.0, 2.0])
    z = np.array([1000.0, 999.0, -5.0])  # large logits must not overflow
    np.testing.assert_allclose(softmax(z), torch.softmax(torch.from_numpy(z), 0).numpy())
    top = top_contributions(x, w[3], 5)
    products = np.abs(x * w[3])
    assert [i for i, _, _ in top] == list(np.argsort(-products)[:5])
    assert sum(v * wt for _, v, wt in top_contributions(x, w[3], 800)) == pytest.approx(x @ w[3])


def test_a_whole_filter_walk_matches_the_networks_own_layers():
    from cnn_desktop.core.network.model import build_model
    from cnn_desktop.core.network.spec import lenet_spec

    model = build_model(lenet_spec(), seed=3).eval()
    image = np.zeros((28, 28), np.float32)
    image[6:22, 12:16] = 1.0
    with torch.no_grad():
        _, acts = model.forward_with_activations(torch.from_numpy(image))
    conv1 = model.layers.conv1
    walk = walk_filter("conv1", 5, image, conv1.weight.detach().numpy(), conv1.bias.detach().numpy(), padding=2)
    np.testing.assert_allclose(walk.conv, acts["conv1"][0, 5].numpy(), atol=1e-5)
    np.testing.assert_allclose(walk.relu, acts["relu1"][0, 5].numpy(), atol=1e-5)
    np.testing.assert_allclose(walk.pooled, acts["pool1"][0, 5].numpy(), atol=1e-5)
    conv2 = model.layers.conv2
    walk2 = walk_filter("conv2", 9, acts["pool1"][0].numpy(), conv2.weight.detach().numpy(), conv2.bias.detach().numpy())
    np.testing.assert_allclose(walk2.pooled, acts["pool2"][0, 9].numpy(), atol=1e-5)
    assert walk2.step(3, 4).value == pytest.approx(acts["conv2"][0, 9, 3, 4].item(), abs=1e-5)
    fc1, out = model.layers.fc1, model.layers.out
    hidden = relu(dense(acts["flatten"][0].numpy(), fc1.weight.detach().numpy(), fc1.bias.detach().numpy()))
    logits = dense(hidden, out.weight.detach().numpy(), out.bias.detach().numpy())
    np.testing.assert_allclose(logits, acts["out"][0].numpy(), atol=1e-4)


def _lenet_and_drawing():
    from cnn_desktop.core.network.model import build_model
    from cnn_desktop.core.network.spec import lenet_spec

    spec = lenet_spec()
    model = build_model(spec, seed=3).eval()
    image = np.zeros((28, 28), np.float32)
    image[6:22, 12:16] = 1.0
    with torch.no_grad():
        logits, acts = model.forward_with_activations(torch.from_numpy(image))
    dense_layers = {name: (getattr(model.layers, name).weight.detach().numpy(),
                           getattr(model.layers, name).bias.detach().numpy()) for name in ("fc1", "out")}
    return spec, image, {k: v[0].numpy() for k, v in acts.items()}, logits[0].numpy(), dense_layers


def test_the_classifier_steps_run_flatten_to_softmax_like_the_network():
    spec, _, acts, logits, dense_layers = _lenet_and_drawing()
    steps = classifier_steps(spec, acts["flatten"], dense_layers)
    assert [s.name for s in steps] == ["flatten", "fc1", "relu3", "out", "softmax"]  # dropout skipped
    np.testing.assert_allclose(steps[0].values, acts["flatten"].reshape(-1))
    np.testing.assert_allclose(steps[1].values, acts["fc1"], atol=1e-4)
    np.testing.assert_allclose(steps[2].values, acts["relu3"], atol=1e-4)
    np.testing.assert_allclose(steps[3].values, logits, atol=1e-4)
    np.testing.assert_allclose(steps[4].values, torch.softmax(torch.from_numpy(logits), 0).numpy(), atol=1e-5)
    assert steps[1].title == f"fc1: {acts['fc1'].size} units" and steps[-1].values.sum() == pytest.approx(1.0)
    # Without the output layer's weights there are no scores to show.
    assert [s.name for s in classifier_steps(spec, acts["flatten"], {"fc1": dense_layers["fc1"]})] == [
        "flatten", "fc1", "relu3"]


@pytest.mark.parametrize("stride, padding", [(1, 2), (1, 0), (2, 1)])
def test_the_first_ink_position_is_the_first_window_touching_a_non_zero_input(stride, padding):
    image = np.zeros((28, 28))
    image[9, 17] = 0.5
    walk = walk_filter("conv1", 0, image, RNG.normal(size=(2, 1, 5, 5)), np.zeros(2), stride, padding)
    rows, cols = walk.conv.shape
    touching = [p for p in range(rows * cols)
                if walk.step(*divmod(p, cols)).window.any()]  # by brute force, window by window
    assert first_ink_position(walk) == touching[0]
    blank = walk_filter("conv1", 0, np.zeros((28, 28)), RNG.normal(size=(2, 1, 5, 5)), np.zeros(2), stride, padding)
    assert first_ink_position(blank) == 0
