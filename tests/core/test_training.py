import math
import threading

import numpy as np
import pytest
import torch

from cnn_desktop.core.errors import TrainingError
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import TrainConfig, lenet_spec
from cnn_desktop.core.training.trainer import Trainer, split_indices

BARS = ("horizontal", "vertical")


def _model(seed=0):
    return build_model(lenet_spec(BARS), seed=seed)


def test_training_on_a_small_generated_set_reaches_high_accuracy_fast(bars):
    images, labels = bars
    epochs = []
    trainer = Trainer(_model(), images, labels, TrainConfig(epochs=4, batch_size=32), on_epoch_end=epochs.append)
    before = trainer.evaluate()
    trainer.fit()
    assert [e.epoch for e in epochs] == [1, 2, 3, 4]
    assert before[1] < 0.8  # untrained: about chance
    assert epochs[-1].val_accuracy >= 0.95
    assert epochs[-1].train_loss < epochs[0].train_loss
    assert trainer.step_count == trainer.total_steps == 4 * trainer.steps_per_epoch


def test_step_callbacks_carry_progress(bars):
    images, labels = bars
    steps = []
    trainer = Trainer(_model(), images, labels, TrainConfig(epochs=1, batch_size=32), on_step_end=steps.append)
    while trainer.step() is not None:
        pass
    assert [s.step for s in steps] == list(range(1, trainer.steps_per_epoch + 1))
    assert all(np.isfinite(s.loss) and 0 <= s.accuracy <= 1 and s.samples_per_second > 0 for s in steps)
    assert trainer.step() is None


def test_same_seed_same_weights(bars):
    images, labels = bars
    weights = []
    for _ in range(2):
        model = _model()
        Trainer(model, images, labels, TrainConfig(epochs=1, seed=5)).fit()
        weights.append(model.layers.conv1.weight.detach().clone())
    assert torch.equal(weights[0], weights[1])


def test_dropout_draws_from_a_private_seed_and_leaves_the_global_generator_as_it_was(bars):
    images, labels = bars
    weights = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        before = torch.get_rng_state()
        model = _model()
        Trainer(model, images, labels, TrainConfig(epochs=1, seed=5)).fit()
        assert torch.equal(torch.get_rng_state(), before)
        weights.append(model.layers.fc1.weight.detach().clone())
    assert torch.equal(weights[0], weights[1])  # whatever state the global generator was in


def test_pause_blocks_fit_until_resumed_and_stop_ends_it(bars):
    images, labels = bars
    paused_at = threading.Event()
    trainer = None

    def on_step(info):
        if info.step == 3:
            trainer.pause()
            paused_at.set()
        if info.step == 5:
            trainer.stop()

    trainer = Trainer(_model(), images, labels, TrainConfig(epochs=5, batch_size=16), on_step_end=on_step)
    thread = threading.Thread(target=trainer.fit)
    thread.start()
    assert paused_at.wait(10)
    thread.join(0.3)
    assert thread.is_alive() and trainer.paused and trainer.step_count == 3  # still paused, no progress
    trainer.resume()
    thread.join(10)
    assert not thread.is_alive()
    assert trainer.step_count == 5 and trainer.finished


def test_stop_while_paused_wakes_fit(bars):
    images, labels = bars
    trainer = Trainer(_model(), images, labels, TrainConfig(epochs=2))
    trainer.pause()
    thread = threading.Thread(target=trainer.fit)
    thread.start()
    trainer.stop()
    thread.join(10)
    assert not thread.is_alive() and trainer.step_count == 0


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_diverging_loss_stops_training_and_keeps_the_last_good_weights(bars, optimizer):
    images, labels = bars
    model = _model()
    Trainer(model, images, labels, TrainConfig(epochs=1)).fit()  # some good training first
    good = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = Trainer(model, images, labels, TrainConfig(epochs=3, learning_rate=1000, optimizer=optimizer))
    with pytest.raises(TrainingError, match="diverged"):
        trainer.fit()
    assert trainer.finished
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, good[name]), name


def test_nan_loss_is_caught(bars):
    images, labels = bars
    model = _model()
    with torch.no_grad():
        model.layers.out.bias.fill_(float("nan"))
    trainer = Trainer(model, images, labels, TrainConfig(epochs=1))
    with pytest.raises(TrainingError, match="nan"):
        trainer.step()


def test_training_refuses_unusable_data(bars):
    images, labels = bars
    with pytest.raises(TrainingError, match="no examples"):
        Trainer(_model(), images[:0], labels[:0], TrainConfig())
    with pytest.raises(TrainingError, match="only 'vertical'"):
        Trainer(_model(), images[labels == 1], labels[labels == 1], TrainConfig())
    broken = images.copy()
    broken[0, 0, 0] = np.nan
    with pytest.raises(TrainingError, match="non-finite"):
        Trainer(_model(), broken, labels, TrainConfig())


def test_a_batch_larger_than_the_data_uses_all_of_it(bars):
    images, labels = bars
    trainer = Trainer(_model(), images[:20], labels[:20], TrainConfig(epochs=2, batch_size=1000))
    assert trainer.batch_size == trainer.train_size and trainer.steps_per_epoch == 1
    trainer.fit()
    assert trainer.step_count == 2


def test_split_is_seeded_stratified_and_covers_everything():
    labels = np.repeat(np.arange(3), [50, 10, 5])
    train, val = split_indices(labels, 0.2, seed=1)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(labels)))
    assert [int((labels[val] == c).sum()) for c in range(3)] == [10, 2, 1]
    again, _ = split_indices(labels, 0.2, seed=1)
    other, _ = split_indices(labels, 0.2, seed=2)
    assert np.array_equal(train, again) and not np.array_equal(train, other)


def test_slant_and_aspect_augmentation_tilt_and_stretch_a_bar():
    """max_shear slants (either way, up to the limit); max_aspect_change stretches one axis against the other."""
    import torch

    from cnn_desktop.core.training.augment import augment_batch

    bar = torch.zeros(1, 1, 28, 28)
    bar[0, 0, 4:24, 13:15] = 1.0  # a vertical bar, 20 px tall
    still = dict(max_rotation_degrees=0.0, max_scale_change=0.0, max_shift_pixels=0.0, thickness_change=0.0)
    out = augment_batch(bar.repeat(200, 1, 1, 1), TrainConfig(max_shear=0.3, **still), torch.Generator().manual_seed(0))
    rows = torch.arange(28.0)
    top = (out[:, 0, 6] * rows).sum(1) / out[:, 0, 6].sum(1)  # centre column of the bar near its top
    bottom = (out[:, 0, 21] * rows).sum(1) / out[:, 0, 21].sum(1)
    slant = (top - bottom) / 15  # columns moved per row
    assert slant.min() < -0.2 and slant.max() > 0.2 and slant.abs().max() < 0.32

    square = torch.zeros(1, 1, 28, 28)
    square[0, 0, 8:20, 8:20] = 1.0
    out = augment_batch(square.repeat(200, 1, 1, 1), TrainConfig(max_aspect_change=0.2, **still), torch.Generator().manual_seed(1))
    coords = torch.arange(28.0)

    def spread(profile):  # standard deviation of the ink along one axis, proportional to the side
        profile = profile / profile.sum(1, keepdim=True)
        mean = (profile * coords).sum(1, keepdim=True)
        return ((profile * (coords - mean) ** 2).sum(1)).sqrt()

    ratio = spread(out[:, 0].sum(1)) / spread(out[:, 0].sum(2))  # width / height
    assert ratio.min() < 0.95 and ratio.max() > 1.05
    assert ratio.max() < 1.25 and ratio.min() > 1 / 1.25  # exp(0.2) = 1.22 at most, and a little blur


def test_without_slant_and_aspect_augmentation_draws_the_same_random_numbers():
    """Adding the two options must not change what existing seeded configurations produce."""
    import torch

    from cnn_desktop.core.training.augment import augment_batch

    images = torch.rand(8, 1, 28, 28)
    a = augment_batch(images, TrainConfig(), torch.Generator().manual_seed(3))
    generator = torch.Generator().manual_seed(3)
    b = augment_batch(images, TrainConfig(max_shear=0.0, max_aspect_change=0.0), generator)
    assert torch.equal(a, b)
    # Both consumed the same amount of the generator: the next draw agrees with a fresh sequence.
    reference = torch.Generator().manual_seed(3)
    augment_batch(images, TrainConfig(), reference)
    assert torch.equal(torch.rand(3, generator=generator), torch.rand(3, generator=reference))


@pytest.mark.parametrize("training", [True, False])
def test_the_trainers_forward_pass_gives_exactly_the_models_values_and_gradients(bars, training):
    images, labels = bars
    trainer = Trainer(_model(), images, labels, TrainConfig(epochs=1))
    model = trainer.model
    model.train(training)
    x, y = torch.from_numpy(images[:48])[:, None], torch.from_numpy(labels[:48])
    results = []
    for forward in (model, trainer._forward):  # pool before ReLU against the spec's order
        model.zero_grad(set_to_none=True)
        torch.manual_seed(7)  # the same dropout mask both times
        logits = forward(x)
        torch.nn.functional.cross_entropy(logits, y).backward()
        results.append((logits.detach(), {name: p.grad.clone() for name, p in model.named_parameters()}))
    (reference, reference_grads), (logits, grads) = results
    assert torch.equal(logits, reference)
    for name, grad in grads.items():
        assert torch.equal(grad, reference_grads[name]), name


def test_thickness_augmentation_dilates_and_erodes_exactly_as_torch_pooling_would():
    from cnn_desktop.core.training.augment import _extreme_3x3

    images = torch.randn(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))  # negatives: borders matter
    images[0] = 0.0
    images[1, 0, 0, :] = 7.0  # a line along the border
    dilated = torch.nn.functional.max_pool2d(images, 3, stride=1, padding=1)
    eroded = -torch.nn.functional.max_pool2d(-images, 3, stride=1, padding=1)
    assert torch.equal(_extreme_3x3(images, torch.maximum, -math.inf), dilated)
    assert torch.equal(_extreme_3x3(images, torch.minimum, math.inf), eroded)


def _still(**changes) -> TrainConfig:
    """Every augmentation off but the ones named: what is left to see is theirs alone."""
    still = dict(max_rotation_degrees=0.0, max_scale_change=0.0, max_shift_pixels=0.0, thickness_change=0.0)
    return TrainConfig(**{**still, **changes})


def test_without_elastic_distortion_augmentation_is_bit_identical_and_draws_the_same_numbers():
    """Elastic distortion is opt-in: off (the default), every seeded configuration trains as before."""
    import torch

    from cnn_desktop.core.training.augment import augment_batch

    images = torch.rand(8, 1, 28, 28)
    config = TrainConfig(max_shear=0.3, max_aspect_change=0.2)
    a_gen, b_gen = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a = augment_batch(images, config, a_gen)
    b = augment_batch(images, config.with_(elastic_alpha=0.0, elastic_sigma=6.0), b_gen)
    assert torch.equal(a, b)
    assert torch.equal(torch.rand(3, generator=a_gen), torch.rand(3, generator=b_gen))


def test_elastic_distortion_displaces_strokes_smoothly_keeps_their_ink_and_follows_the_seed():
    import torch

    from cnn_desktop.core.training.augment import _elastic_field, augment_batch

    ring = torch.zeros(1, 1, 28, 28)
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    ring[0, 0] = (((yy - 13.5) ** 2 + (xx - 13.5) ** 2).sqrt() - 7).abs().lt(1.2).float()
    images = ring.repeat(64, 1, 1, 1)
    config = _still(elastic_alpha=34.0, elastic_sigma=4.0)
    out = augment_batch(images, config, torch.Generator().manual_seed(0))
    changed = (out - images).abs().sum((1, 2, 3))
    assert (changed > 3).all()  # every image bent, and each differently
    assert not torch.equal(out[0], out[1])
    mass = out.sum((1, 2, 3)) / images.sum((1, 2, 3))
    # Moved, not erased or smeared over the canvas: a local stretch thickens a stroke and a squeeze
    # thins it (up to about a quarter either way at this setting), but on average the ink stays.
    assert mass.min() > 0.6 and mass.max() < 1.4 and abs(float(mass.mean()) - 1) < 0.05
    again = augment_batch(images, config, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    assert not torch.equal(out, augment_batch(images, config, torch.Generator().manual_seed(1)))

    # The field itself: a few pixels (Simard's setting), smooth from one pixel to the next.
    field = _elastic_field(256, 28, 28, 34.0, 4.0, torch.Generator().manual_seed(2)) * 14  # grid units -> px
    size = field[:, 8:20, 8:20].abs()
    assert 0.5 < float(size.mean()) < 3 and float(size.max()) < 10
    step = (field[:, 1:] - field[:, :-1]).abs().mean()
    assert float(step) < 0.25 * float(field.abs().mean())
