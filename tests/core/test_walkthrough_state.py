"""Where the walkthrough stands, without Qt: choosing a layer, filter and input map, stepping through
the stages, playing, and the events a view repaints on."""

import numpy as np
import pytest
import torch

from cnn_desktop.core.inspection.walkthrough import first_ink_position
from cnn_desktop.core.inspection.walkthrough_state import (
    CLASSIFIER, CONV, NO_DRAWING, NO_WEIGHTS, POOL, RELU, WalkthroughState)
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import lenet_spec


@pytest.fixture(scope="module")
def network():
    """(spec, drawing, activations without the batch axis, conv kernels, dense weights) of LeNet."""
    spec = lenet_spec()
    model = build_model(spec, seed=5).eval()
    image = np.zeros((28, 28), np.float32)
    image[8:20, 14:17] = 1.0
    with torch.no_grad():
        _, acts = model.forward_with_activations(torch.from_numpy(image))

    def weights(name):
        layer = getattr(model.layers, name)
        return layer.weight.detach().numpy(), layer.bias.detach().numpy()

    return (spec, image, {k: v[0].numpy() for k, v in acts.items()},
            {n: weights(n) for n in ("conv1", "conv2")}, {n: weights(n) for n in ("fc1", "out")})


class Recorder:
    def __init__(self, state: WalkthroughState) -> None:
        self.events = []
        state.walk_changed.connect(lambda: self.events.append("walk"))
        state.position_changed.connect(lambda stage, position: self.events.append(("position", stage, position)))
        state.channel_changed.connect(lambda channel: self.events.append(("channel", channel)))
        state.playing_changed.connect(lambda on: self.events.append(("playing", on)))

    def take(self):
        events, self.events = self.events, []
        return events


def loaded(network) -> WalkthroughState:
    spec, image, acts, kernels, dense_layers = network
    state = WalkthroughState()
    state.set_data(spec, image, acts, spec.classes, kernels, dense_layers)
    return state


def test_it_starts_on_the_first_conv_layer_at_the_first_window_touching_ink(network):
    state = WalkthroughState()
    assert state.walk is None and state.missing_reason == NO_DRAWING and state.stage_length() == 1
    record = Recorder(state)
    spec, image, acts, kernels, dense_layers = network
    state.set_data(spec, image, acts, spec.classes, kernels, dense_layers)
    assert state.conv_layers == (("conv1", 16), ("conv2", 32)) and state.layer == "conv1"
    assert state.first_conv == "conv1" and state.later_convs == "conv2"
    walk = state.walk
    assert walk.layer == "conv1" and walk.filter == 0 and (state.filter_count, state.channel_count) == (16, 1)
    np.testing.assert_allclose(walk.conv, acts["conv1"][0], atol=1e-4)
    assert state.stage == CONV and state.position == first_ink_position(walk) > 0
    assert record.take() == ["walk", ("position", CONV, state.position)]
    assert [s.name for s in state.classifier] == ["flatten", "fc1", "relu3", "out", "softmax"]
    frame = state.frame()
    assert (frame.walk, frame.stage, frame.position, frame.channel, frame.classes) == (
        walk, CONV, state.position, 0, spec.classes)
    assert frame.dense_layers.keys() == {"fc1", "out"} and frame.first_conv == "conv1"


def test_steps_run_on_into_the_next_stage_and_back(network):
    state = loaded(network)
    record = Recorder(state)
    state.set_stage(CONV, 5)
    state.forward()
    assert (state.stage, state.position) == (CONV, 6)
    state.back()
    state.back()
    assert (state.stage, state.position) == (CONV, 4)
    state.seek(10**6)  # clamped to the stage
    assert state.position == state.stage_length() - 1 == 28 * 28 - 1
    state.forward()
    assert (state.stage, state.position) == (RELU, 0)
    state.back()
    assert (state.stage, state.position) == (CONV, 28 * 28 - 1)
    state.set_stage(POOL, state.stage_length(POOL) - 1)
    assert state.position == 14 * 14 - 1
    state.step(1)
    assert (state.stage, state.position) == (CLASSIFIER, 0) and state.stage_length() == 5
    state.restart()
    assert (state.stage, state.position) == (CONV, 0)
    state.back()  # nothing before the start
    assert (state.stage, state.position) == (CONV, 0)
    events = record.take()
    assert "walk" not in events and events[-1] == ("position", CONV, 0)
    state.set_stage(CONV, 0)  # no move, no event
    assert record.take() == []


def test_playing_ticks_forward_and_stops_at_the_very_end(network):
    state = loaded(network)
    record = Recorder(state)
    state.tick()  # not playing: the clock does nothing
    assert record.take() == []
    state.set_stage(CLASSIFIER, 2)
    state.play(True)
    assert state.playing and record.take() == [("position", CLASSIFIER, 2), ("playing", True)]
    state.tick()
    state.tick()
    assert (state.stage, state.position, state.playing) == (CLASSIFIER, 4, True)
    state.tick()  # past the softmax: stops
    assert not state.playing and state.position == 4 and record.take()[-1] == ("playing", False)
    state.play(False)
    assert record.take() == []


def test_nothing_plays_without_a_walk_and_losing_the_drawing_stops_playing(network):
    state = WalkthroughState()
    state.play(True)
    assert not state.playing
    spec, image, acts, kernels, dense_layers = network
    state.set_data(spec, image, acts, spec.classes, kernels, dense_layers)
    state.play(True)
    assert state.playing
    state.set_data(spec, None, {}, spec.classes, kernels, dense_layers)  # the canvas was cleared
    assert state.walk is None and state.missing_reason == NO_DRAWING and not state.playing
    state.set_data(spec, image, acts, spec.classes, {}, {})  # the drawing is back, the weights not yet
    assert state.walk is None and state.missing_reason == NO_WEIGHTS


def test_a_new_drawing_keeps_the_place_a_new_filter_or_layer_starts_over(network):
    spec, image, acts, kernels, dense_layers = network
    state = loaded(network)
    state.set_stage(RELU, 100)
    state.set_data(spec, image, acts, spec.classes, kernels, dense_layers)  # refreshed weights, same network
    assert (state.stage, state.position) == (RELU, 100)
    state.choose_filter(3)
    assert state.walk.filter == 3 and (state.stage, state.position) == (CONV, first_ink_position(state.walk))
    np.testing.assert_allclose(state.walk.relu, acts["relu1"][3], atol=1e-4)

    record = Recorder(state)
    state.choose_layer("conv2")  # reads the 16 pooled maps of conv1
    assert state.walk.layer == "conv2" and state.walk.kernel.shape == (16, 5, 5) and state.channel_count == 16
    np.testing.assert_allclose(state.walk.pooled, acts["pool2"][3], atol=1e-4)
    assert record.take()[0] == "walk"
    state.choose_channel(7)
    assert state.channel == 7 and state.frame().channel == 7 and record.take() == [("channel", 7)]
    state.choose_channel(99)  # clamped to the maps there are
    assert state.channel == 15
    state.choose_filter(31)
    state.choose_layer("conv1")  # 16 filters, one input map: both clamped
    assert (state.filter, state.channel, state.walk.filter) == (15, 0, 15)
    state.choose_layer("no such layer")
    assert state.layer == "conv1"


def test_a_new_network_starts_over_at_its_first_layer(network):
    spec, image, acts, kernels, dense_layers = network
    state = loaded(network)
    state.choose_layer("conv2")
    state.set_stage(POOL, 3)
    other = lenet_spec(classes=tuple("abcdefghij"))
    state.set_data(other, image, acts, other.classes, kernels, dense_layers)
    assert state.layer == "conv1" and state.stage == CONV and state.classes == other.classes
