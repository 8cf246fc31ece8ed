"""The engine's "see inside" answers: heat maps, the collection's confusion matrix, the training
timeline. Driven synchronously through run_once(), like tests/core/test_engine.py."""

import numpy as np
import pytest
import torch

from cnn_desktop.core.app.engine import Engine
from cnn_desktop.core.app.messages import (
    CollectionEvaluation, EngineError, EvaluateCollection, Filters, Predict, Prediction, ShowSnapshot, StartTraining,
    Timeline, UseModel)
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.inspection.saliency import saliency_map
from cnn_desktop.core.data.classes import TICK_CROSS_CLASSES
from cnn_desktop.core.network.spec import TrainConfig, lenet_spec
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.inspection.timeline import SnapshotKeeper
from cnn_desktop.core.app.messages import SnapshotInfo
from test_engine import Recorder, _run_until_training_ends

SPEC = lenet_spec(TICK_CROSS_CLASSES)
TICK = Strokes.from_points([[(100, 300), (160, 380), (330, 120)]])


@pytest.fixture
def engine():
    recorder = Recorder()
    engine = Engine(recorder, step_report_seconds=0)
    engine.recorder = recorder
    engine.submit(UseModel(None, SPEC, "fresh"))
    engine.run_once()
    return engine


def test_a_heat_map_only_when_asked_for_the_top_class_or_a_chosen_one(engine):
    engine.submit(Predict(1, TICK))
    engine.run_once()
    plain = engine.recorder.of(Prediction)[-1]
    assert plain.saliency is None and plain.saliency_class is None
    engine.submit(Predict(2, TICK, saliency_class="top"))
    engine.run_once()
    top = engine.recorder.of(Prediction)[-1]
    assert top.saliency.shape == (28, 28) and top.saliency_class == int(np.argmax(top.probabilities))
    # Scaled to [0, 1]; all zero when nothing speaks for the class (common in an untrained network).
    assert top.saliency_method == "gradcam" and top.saliency.min() >= 0 and top.saliency.max() in (0, pytest.approx(1))
    engine.submit(Predict(3, TICK, saliency_class=1, saliency_method="gradient-x-input"))
    engine.run_once()
    signed = engine.recorder.of(Prediction)[-1]
    assert signed.saliency_class == 1 and np.abs(signed.saliency).max() == pytest.approx(1)
    assert (signed.saliency[signed.image == 0] == 0).all()  # gradient x input: nothing on the paper
    engine.submit(Predict(4, TICK, saliency_class=7))  # no such class: a plain answer, not an error
    engine.run_once()
    assert engine.recorder.of(Prediction)[-1].saliency is None and not engine.recorder.of(EngineError)


def test_grad_cam_is_the_gradient_weighted_last_conv_maps_and_leaves_parameter_gradients_alone():
    from cnn_desktop.core.inspection.saliency import heatmap_upsample_matrix
    from cnn_desktop.core.network.geometry import layer_geometry

    model = build_model(SPEC, seed=1)  # in training mode: saliency must switch dropout off itself
    image = np.zeros((28, 28), np.float32)
    image[5:23, 13:15] = 1
    for cls in range(2):
        cam = saliency_map(model, image, cls, "gradcam")
        assert all(p.grad is None for p in model.parameters()) and model.training
        model.eval()
        x = torch.from_numpy(image)[None, None]
        maps = None
        for name, module in model.layers.named_children():
            x = module(x)
            if name == "relu2":
                maps = x
        grad = torch.autograd.grad(x[0, cls], maps)[0][0]
        by_hand = torch.relu((grad.mean(dim=(1, 2))[:, None, None] * maps[0]).sum(0)).detach().numpy()
        up = heatmap_upsample_matrix({g.name: g for g in layer_geometry(SPEC)}["relu2"], 28)
        expected = up @ by_hand @ up.T
        expected = expected / expected.max() if expected.max() > 0 else expected
        np.testing.assert_allclose(cam, expected, atol=1e-5)
        model.train()


def test_the_collection_evaluation_gives_the_confusion_matrix_and_the_drawings_in_each_cell(engine, bars_collection):
    store = DrawingStore(bars_collection, TICK_CROSS_CLASSES)  # 60 + 60
    engine.submit(EvaluateCollection(store.root, request_id=9))
    engine.run_once()
    (result,) = engine.recorder.of(CollectionEvaluation)
    # An untrained network never saw the collection: every drawing is checked.
    assert result.request_id == 9 and result.split == "all" and "never trained on these" in result.note
    assert result.confusion.sum() == 120 and result.confusion.sum(axis=1).tolist() == [60, 60]
    for true in range(2):
        for guess in range(2):
            ids = result.example_ids[true][guess]
            assert len(ids) == result.confusion[true, guess]
    everyone = {e.id: e.label for e in store.examples()}
    assert all(everyone[i] == TICK_CROSS_CLASSES[t] for t in range(2) for g in range(2) for i in result.example_ids[t][g])

    engine.submit(StartTraining(store.root, TrainConfig(epochs=1, validation_fraction=0.2, seed=4, augment=False)))
    _run_until_training_ends(engine)
    engine.submit(EvaluateCollection(store.root))
    engine.run_once()
    after = engine.recorder.of(CollectionEvaluation)[-1]
    assert after.split == "validation" and (after.fraction, after.seed) == (0.2, 4) and after.note == ""
    assert after.confusion.sum() == 24  # the same held-out 12 + 12 the trainer validated on


def test_snapshots_are_kept_during_training_and_shown_without_disturbing_it(engine, bars_collection):
    engine.submit(Predict(1, TICK))
    engine.run_once()
    engine.submit(StartTraining(bars_collection, TrainConfig(epochs=2, batch_size=32)))
    for _ in range(3):
        engine.run_once()
    timeline = engine.recorder.of(Timeline)[-1]
    assert timeline.snapshots[0].step == 0 and timeline.snapshots[0].loss is None and len(timeline.snapshots) >= 2
    live_weights = {k: v.clone() for k, v in engine.model.state_dict().items()}
    engine.recorder.clear()

    engine.submit(ShowSnapshot(0))
    engine.run_once()  # also runs one more training step on the live model
    assert engine.recorder.of(Timeline)[-1].showing == 0
    (filters,) = [f for f in engine.recorder.of(Filters) if f.snapshot == 0]
    assert [name for name, _, _ in filters.dense] == ["fc1", "out"]
    shown = [p for p in engine.recorder.of(Prediction) if p.snapshot == 0]
    assert shown and shown[-1].request_id == 1
    assert not np.allclose(filters.layers[0][1], engine.model.layers.conv1.weight.detach().numpy())
    assert any(not torch.equal(live_weights[k], v) for k, v in engine.model.state_dict().items())  # training went on
    steps = len(engine.recorder.steps())
    for _ in range(3):
        engine.run_once()
    assert len(engine.recorder.steps()) == steps + 3
    assert all(p.snapshot == 0 for p in engine.recorder.of(Prediction))  # live refreshes held back meanwhile
    engine.submit(Predict(2, TICK))  # a new drawing is answered by the snapshot too
    engine.run_once()
    assert engine.recorder.of(Prediction)[-1].snapshot == 0

    engine.recorder.clear()
    engine.submit(ShowSnapshot(None))
    engine.run_once()
    assert engine.recorder.of(Timeline)[-1].showing is None
    assert engine.recorder.of(Filters)[-1].snapshot is None and engine.recorder.of(Prediction)[-1].snapshot is None
    _run_until_training_ends(engine)
    final = engine.recorder.of(Timeline)[-1].snapshots
    assert final[-1].step == engine.info["steps"] and len(final) <= 50
    engine.submit(ShowSnapshot(len(final)))  # out of range: a message, nothing else
    engine.run_once()
    assert "no training snapshot" in engine.recorder.of(EngineError)[-1].message
    engine.submit(UseModel(None, SPEC, "fresh again"))  # a new model forgets the old run's timeline
    engine.run_once()
    assert engine.recorder.of(Timeline)[-1].snapshots == ()


def test_the_keeper_stays_bounded_and_keeps_the_first_and_newest():
    keeper = SnapshotKeeper(limit=10)
    keeper.start(total_steps=400)
    assert keeper.interval == 10
    steps = [s for s in range(0, 401) if keeper.wants(s, finished=s == 400) and not keeper.add(SnapshotInfo(s, s / 10, None), {})]
    kept = [info.step for info in keeper.infos()]
    assert len(kept) <= 10 and kept[0] == 0 and kept[-1] == 400 and kept == sorted(kept)
    assert len(steps) < 41  # the interval grew as it thinned out
