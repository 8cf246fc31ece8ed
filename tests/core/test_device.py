"""Where training and inference compute: --device auto|cpu|cuda|mps, in the CLI and the engine.

``test_device`` is the CPU, or the device CNN_DESKTOP_TEST_DEVICE names (README, Testing): on a machine
with a GPU the same tests then train there and check that weights come back to the CPU and predictions
as numpy. A missing device is simulated by hiding every accelerator (``available``)."""

import numpy as np
import pytest
import torch

from bars import make_bars
from cnn_desktop.cli import main
from cnn_desktop.core.app.engine import Engine
from cnn_desktop.core.app.messages import ModelReady, Predict, Prediction, StartTraining, TrainingStarted, TrainingState, UseModel
from cnn_desktop.core.data.classes import TICK_CROSS_CLASSES
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.inspection.saliency import saliency_map
from cnn_desktop.core.network.checkpoint import load_model, model_to_bytes, model_from_bytes
from cnn_desktop.core.network.model import build_model, predict_proba
from cnn_desktop.core.network.presets import preset_spec
from cnn_desktop.core.network.spec import TrainConfig
from cnn_desktop.core.network.summary import summarise
from cnn_desktop.core.training import device as device_module
from cnn_desktop.core.training.device import (
    AUTO_ACCELERATOR_MACS, DeviceError, choose_device, model_device, step_macs)
from cnn_desktop.core.training.trainer import Trainer
from test_engine import Recorder, _run_until_training_ends

CONFIG = TrainConfig(epochs=1, batch_size=32, validation_fraction=0.2, seed=3, augment=True)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(device_module, "available", lambda: ())


@pytest.fixture
def a_gpu(monkeypatch):
    """A machine that reports a CUDA GPU (only the choice is tested with it: nothing runs there)."""
    monkeypatch.setattr(device_module, "available", lambda: ("cuda",))


# --- the choice ---


def test_cpu_is_always_there_and_unknown_devices_are_refused_in_one_line():
    assert choose_device("cpu").device == torch.device("cpu")
    with pytest.raises(DeviceError) as refused:
        choose_device("tpu")
    assert "\n" not in str(refused.value) and "auto, cpu, cuda, mps" in str(refused.value)


@pytest.mark.parametrize("asked", ["cuda", "mps", "cuda:0"])
def test_a_missing_accelerator_is_one_line_naming_it(no_gpu, asked):
    with pytest.raises(DeviceError) as refused:
        choose_device(asked)
    line = str(refused.value)
    assert "\n" not in line and asked.split(":")[0] in line and "not available" in line


def test_auto_without_a_gpu_is_the_cpu_whatever_the_work(no_gpu):
    assert choose_device("auto", 10 * AUTO_ACCELERATOR_MACS).device.type == "cpu"


def test_auto_uses_a_gpu_only_from_the_threshold(a_gpu):
    assert choose_device("auto", AUTO_ACCELERATOR_MACS - 1).device.type == "cpu"
    assert choose_device("auto", AUTO_ACCELERATOR_MACS).device.type == "cuda"
    assert "multiply-adds" in choose_device("auto", 1).reason


def test_auto_by_preset_keeps_predictions_and_the_tiny_net_on_the_cpu(a_gpu):
    """The rule written from benchmarks/device_choice.py: training batches of 64 of the bigger presets go
    to a GPU; a single drawing (live prediction, predict) never does."""
    classes = [str(i) for i in range(10)]
    picked = {}
    for name in ("default", "lenet5", "tiny", "deeper"):
        macs = summarise(preset_spec(name, classes)).totals.macs
        picked[name] = choose_device("auto", step_macs(macs, 64, training=True)).device.type
        assert choose_device("auto", step_macs(macs, 1, training=False)).device.type == "cpu"
    assert picked == {"default": "cuda", "lenet5": "cuda", "tiny": "cpu", "deeper": "cuda"}


# --- training and looking on the test device ---


def _bars():
    images, labels = make_bars(160, seed=2)
    return images, labels


def test_the_trainer_trains_on_the_device_and_saves_cpu_weights(test_device):
    images, labels = _bars()
    model = build_model(preset_spec("lenet5", TICK_CROSS_CLASSES[:2]), seed=1)
    trainer = Trainer(model, images, labels, CONFIG, device=test_device)
    history = trainer.fit()
    assert model_device(model).type == torch.device(test_device).type
    assert len(history) == 1 and np.isfinite(history[0].train_loss) and history[0].val_accuracy is not None
    probs = predict_proba(model, images[:5])  # on the device, back as numpy
    assert isinstance(probs, np.ndarray) and probs.shape == (5, 2) and np.allclose(probs.sum(1), 1, atol=1e-5)
    heat = saliency_map(model, images[0], 1)
    assert isinstance(heat, np.ndarray) and heat.shape == (28, 28) and np.isfinite(heat).all()
    saved = model_from_bytes(model_to_bytes(model, [h.to_dict() for h in history]))
    assert all(t.device.type == "cpu" for t in saved.model.state_dict().values())
    np.testing.assert_allclose(predict_proba(saved.model, images[:5]), probs, atol=1e-4)


def test_the_same_seed_trains_the_same_on_the_device_as_on_the_cpu(test_device):
    """Batches, augmentation and the split are drawn on the CPU's seeded generators whatever the device,
    so a run on a GPU follows the CPU's (to float rounding)."""
    images, labels = _bars()
    spec = preset_spec("tiny", TICK_CROSS_CLASSES[:2])
    runs = []
    for where in ("cpu", test_device):
        model = build_model(spec, seed=4)
        runs.append((Trainer(model, images, labels, CONFIG, device=where).fit()[-1], model.to("cpu")))
    (first, a), (second, b) = runs
    assert first.train_loss == pytest.approx(second.train_loss, rel=1e-3, abs=1e-4)
    # Adam moves a weight whose gradient is rounding noise by up to its rate each step, either way: 4 steps
    # at 1e-3 bound how far a GPU's rounding can take the weights from the CPU's.
    for x, y in zip(a.state_dict().values(), b.state_dict().values()):
        torch.testing.assert_close(x, y, atol=1e-2, rtol=0)


def _engine():
    recorder = Recorder()
    engine = Engine(recorder, step_report_seconds=0)
    engine.recorder = recorder
    engine.submit(UseModel(None, preset_spec("tiny", TICK_CROSS_CLASSES), "fresh"))
    engine.run_once()
    return engine


def test_the_engine_trains_on_the_asked_device_and_brings_the_model_back(test_device, bars_collection):
    engine = _engine()
    engine.submit(StartTraining(bars_collection, CONFIG, from_scratch=True, device=test_device))
    engine.run_once()
    (started,) = engine.recorder.of(TrainingStarted)
    assert started.device == torch.device(test_device).type and started.device_line.startswith("device: ")
    engine.submit(Predict(1, Strokes.from_points([[(100, 100), (300, 300)]]), saliency_class="top"))
    _run_until_training_ends(engine)
    assert engine.recorder.of(TrainingState)[-1].state == "finished"
    assert model_device(engine.model).type == "cpu"
    prediction = engine.recorder.of(Prediction)[-1]
    assert isinstance(prediction.probabilities, np.ndarray) and prediction.saliency.shape == (28, 28)


def test_the_engine_refuses_a_missing_device_in_one_line_and_keeps_its_model(no_gpu, bars_collection):
    engine = _engine()
    before = engine.model
    engine.submit(StartTraining(bars_collection, CONFIG, device="cuda"))
    engine.run_once()
    (state,) = engine.recorder.of(TrainingState)
    assert state.state == "failed" and "device cuda is not available" in state.message and "\n" not in state.message
    assert engine.trainer is None and engine.model is before and not engine.recorder.of(TrainingStarted)
    assert len(engine.recorder.of(ModelReady)) == 1


# --- the command line ---


@pytest.mark.parametrize("command", [
    ["train", "--preset", "ticks-crosses", "--samples", "20", "--epochs", "1", "--out", "m.safetensors"],
    ["evaluate", "--preset", "ticks-crosses", "--generated", "--samples", "5"],
    ["predict", "--preset", "ticks-crosses", "x.png"],
])
def test_the_cli_refuses_a_missing_device_in_one_line_before_any_work(no_gpu, capsys, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    assert main(command + ["--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cnn-desktop: error: device cuda is not available here: ")
    assert not (tmp_path / "m.safetensors").exists()


def test_the_cli_refuses_an_unknown_device_as_a_usage_error(capsys):
    assert main(["predict", "--device", "tpu", "x.png"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--device" in err[0] and "Traceback" not in err[0]


def test_train_on_the_test_device_saves_a_model_that_loads_on_the_cpu(test_device, tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    assert main(["train", "--preset", "ticks-crosses", "--arch", "tiny", "--samples", "40", "--epochs", "1",
                 "--device", test_device, "--out", str(out)]) == 0
    assert f"device: {torch.device(test_device).type} (asked for)" in capsys.readouterr().err
    saved = load_model(out)
    assert all(t.device.type == "cpu" for t in saved.model.state_dict().values())
    assert main(["evaluate", "--model", str(out), "--generated", "--samples", "5", "--device", test_device]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("accuracy ")
