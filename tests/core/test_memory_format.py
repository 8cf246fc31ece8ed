"""The Trainer trains in channels-last layout (NHWC conv weights, for speed): everything that reads the
weights afterwards must see the same network as in the default layout."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load as load_tensors

from cnn_desktop.core.network.checkpoint import load_model, model_to_bytes, save_model
from cnn_desktop.core.network.model import build_model, predict_proba
from cnn_desktop.core.network.spec import Conv, Dense, Flatten, MaxPool, ModelSpec, ReLU, TrainConfig, lenet_spec
from cnn_desktop.core.training.trainer import Trainer, _copy_weights

BARS = ("horizontal", "vertical")
CHANNELS_LAST = torch.channels_last


def _trained(bars, epochs=1, **config):
    images, labels = bars
    model = build_model(lenet_spec(BARS), seed=0)
    Trainer(model, images, labels, TrainConfig(epochs=epochs, batch_size=32, **config)).fit()
    return model


def _default_layout_copy(model):
    copy = build_model(model.spec)
    copy.load_state_dict(model.state_dict())
    return copy.eval()


def test_the_trainer_leaves_the_model_in_channels_last_layout(bars):
    model = _trained(bars)
    weight = model.layers.conv2.weight  # 16 input channels: the two layouts differ (conv1's 1 channel does not)
    assert weight.is_contiguous(memory_format=CHANNELS_LAST) and not weight.is_contiguous()


def test_a_trained_model_is_saved_from_contiguous_tensors_and_loads_back_with_the_same_predictions(bars, tmp_path):
    model = _trained(bars)
    images, _ = bars
    stored = load_tensors(model_to_bytes(model))
    assert set(stored) == set(model.state_dict())
    for name, tensor in model.state_dict().items():
        assert stored[name].is_contiguous(), name
        assert torch.equal(stored[name], tensor), name
    path = tmp_path / "trained.safetensors"
    save_model(path, model)
    loaded = load_model(path, expected_classes=BARS).model
    before, after = predict_proba(model, images), predict_proba(loaded, images)
    assert (before.argmax(1) == after.argmax(1)).all()
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6)
    single_before, single_after = predict_proba(model, images[7]), predict_proba(loaded, images[7])
    np.testing.assert_allclose(single_after, single_before, rtol=0, atol=1e-6)


def test_weight_copies_load_into_either_layout(bars):
    trained = _trained(bars)
    images, _ = bars
    expected = predict_proba(_default_layout_copy(trained), images)
    fresh_default = build_model(lenet_spec(BARS), seed=3)
    fresh_default.load_state_dict(_copy_weights(trained))  # channels-last clones into a default-layout model
    fresh_channels_last = build_model(lenet_spec(BARS), seed=3).to(memory_format=CHANNELS_LAST)
    fresh_channels_last.load_state_dict(_copy_weights(fresh_default))  # and back
    assert fresh_channels_last.layers.conv2.weight.is_contiguous(memory_format=CHANNELS_LAST)
    for model in (fresh_default, fresh_channels_last):
        np.testing.assert_allclose(predict_proba(model, images), expected, rtol=0, atol=1e-6)


def test_feature_maps_of_a_channels_last_model_are_row_major_and_the_same(bars):
    trained = _trained(bars)
    trained.eval()
    images, _ = bars
    x = torch.from_numpy(images[3])
    with torch.no_grad():
        logits, maps = trained.forward_with_activations(x)
        reference_logits, reference_maps = _default_layout_copy(trained).forward_with_activations(x)
    torch.testing.assert_close(logits, reference_logits, rtol=0, atol=1e-5)
    assert list(maps) == list(reference_maps)
    for name, tensor in maps.items():
        assert tensor.is_contiguous(), name
        assert tensor[0].numpy().flags["C_CONTIGUOUS"], name
        torch.testing.assert_close(tensor, reference_maps[name], rtol=0, atol=1e-5)


def test_filters_read_as_numpy_copies_are_row_major(bars):
    # What the engine sends to the filter panels: weight.detach().numpy().copy()
    trained = _trained(bars)
    for _, conv in trained.conv_layers():
        array = conv.weight.detach().numpy().copy()
        assert array.flags["C_CONTIGUOUS"]
        np.testing.assert_array_equal(array, conv.weight.detach().contiguous().numpy())


# A network without dropout, so that the plain loop below needs none of the trainer's random numbers;
# one batch holding the whole set, so that the order of the examples does not matter either.
NO_DROPOUT = ModelSpec(
    classes=BARS,
    layers=(Conv(8, 5, padding=2), ReLU(), MaxPool(), Conv(16, 5), ReLU(), MaxPool(), Flatten(), Dense(32), ReLU()),
)


@pytest.mark.parametrize("optimizer,learning_rate", [("adam", 1e-3), ("sgd", 0.05)])
def test_trainer_steps_match_a_plain_loop_in_the_default_layout(bars, optimizer, learning_rate):
    images, labels = bars
    images, labels = images[:128], labels[:128]
    steps = 5
    config = TrainConfig(epochs=steps, batch_size=len(labels), optimizer=optimizer, learning_rate=learning_rate,
                         validation_fraction=0.0, augment=False, lr_schedule="constant")
    trained = build_model(NO_DROPOUT, seed=4)
    losses = []
    trainer = Trainer(trained, images, labels, config, on_step_end=lambda info: losses.append(info.loss))
    trainer.fit()
    assert trained.layers.conv2.weight.is_contiguous(memory_format=CHANNELS_LAST)

    plain = build_model(NO_DROPOUT, seed=4)
    assert plain.layers.conv2.weight.is_contiguous()
    if optimizer == "adam":
        optimiser = torch.optim.Adam(plain.parameters(), lr=learning_rate)
    else:
        optimiser = torch.optim.SGD(plain.parameters(), lr=learning_rate, momentum=0.9)
    x, y = torch.from_numpy(images)[:, None], torch.from_numpy(labels)
    plain_losses = []
    for _ in range(steps):
        loss = F.cross_entropy(plain(x), y)
        plain_losses.append(float(loss.detach()))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    np.testing.assert_allclose(losses, plain_losses, rtol=1e-5)  # measured: 1e-7; 1% off the rate: 1e-4
    assert losses[-1] < losses[0]
    for name, tensor in plain.state_dict().items():
        torch.testing.assert_close(trained.state_dict()[name], tensor, rtol=1e-4, atol=2e-6, msg=name)  # measured: 2e-7
