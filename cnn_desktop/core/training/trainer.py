"""Training a CNN on in-memory tensors, one step at a time or all at once.

The Trainer knows nothing of the GUI: it reports through callbacks (``on_step_end``, ``on_epoch_end``)
and can be driven two ways. The CLI calls ``fit()``, which loops until done and honours pause and stop
from another thread. The app's worker calls ``step()`` itself, one batch at a time, so that it can
answer inference requests between two steps without any lock around the weights.

Batches are cut from one tensor holding the whole data set (no per-sample DataLoader overhead) and
augmented as a batch.

On a device other than the CPU (``device``, from core/training/device.py) the model and the whole data
set move there once; batches are cut, augmented and trained on there. Weights read afterwards are the
caller's to move back (model files are always written from CPU copies: checkpoint.py).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnn_desktop.core.training.augment import augment_batch
from cnn_desktop.core.errors import TrainingError
from cnn_desktop.core.network.geometry import fed_size
from cnn_desktop.core.network.model import CNN, _as_batch, configure_torch
from cnn_desktop.core.training.optim import Adam, SGDMomentum
from cnn_desktop.core.training.progress import EpochInfo, StepInfo  # noqa: F401 (re-exported)
from cnn_desktop.core.network.spec import TrainConfig

_EVAL_BATCH = 1024
# A batch's mean cross-entropy above this means the right class gets a probability below e^-100 on
# average: the weights have diverged, even if the number is still finite (Adam or SGD at a learning rate
# of 1000 drive the loss to 1e5..1e30 without ever reaching NaN).
DIVERGED_LOSS = 100.0
# Where a Trainer given no device trains. The tests' conftest sets it from CNN_DESKTOP_TEST_DEVICE, so the
# same tests can run on a GPU; every caller in the app and the CLI passes its device explicitly.
DEFAULT_DEVICE = "cpu"


def split_indices(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded, stratified train/validation split: each class keeps ``fraction`` of its examples for
    validation (at least one when it has five or more), so small collections still validate every class.
    The same (labels, fraction, seed) always gives the same split, which lets ``evaluate`` re-create it."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    val_parts = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        rng.shuffle(members)
        count = int(round(fraction * len(members)))
        if fraction > 0 and count == 0 and len(members) >= 5:
            count = 1
        val_parts.append(members[:count])
    val = np.sort(np.concatenate(val_parts)) if val_parts else np.zeros(0, np.int64)
    train = np.setdiff1d(np.arange(len(labels)), val)
    return train.astype(np.int64), val.astype(np.int64)


class Trainer:
    """Trains ``model`` in place on ``images`` (N, H, W) float32 with ``labels`` (N,) class indices."""

    def __init__(
        self,
        model: CNN,
        images: np.ndarray,
        labels: np.ndarray,
        config: TrainConfig,
        *,
        on_step_end: Callable[[StepInfo], None] | None = None,
        on_epoch_end: Callable[[EpochInfo], None] | None = None,
        device: torch.device | str | None = None,
        loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    ):
        configure_torch()
        self.device = torch.device(DEFAULT_DEVICE if device is None else device)
        self.model = model
        self.config = config
        self.on_step_end = on_step_end
        self.on_epoch_end = on_epoch_end
        # The training loss of (logits, the augmented batch, labels); cross-entropy when None. A hook for
        # distillation (distill.py), whose teachers must see the very batch the model saw.
        self._loss = loss
        images, labels = _check_data(model, images, labels)
        # Conv weights in channels-last layout (NHWC): oneDNN then keeps every conv and pooling layer in
        # NHWC, and a training step of the digits network is 1.3-1.4x faster (batch 64-256, CPU; single
        # predictions get faster too). In place: the caller's model is the one trained, and stays so.
        # The 1-channel input batches already qualify. Readers of the weights cope: model files are
        # written from contiguous copies, state dicts load into either layout, feature maps come out
        # contiguous (model.py).
        model.to(self.device, memory_format=torch.channels_last)
        train_idx, val_idx = split_indices(labels, config.validation_fraction, config.seed)
        data = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))[:, None]
        targets = torch.from_numpy(labels.astype(np.int64))
        # The training images stay where they are, and each batch picks its rows through ``_train_rows``:
        # copying the training part out once cost a second copy of the data set, 170 MB and 0.2-0.3 s
        # of page faults before the first step of a 60,000-drawing project.
        self._train_x = self._on_device(data)
        self._train_rows = self._on_device(torch.from_numpy(np.asarray(train_idx, np.int64)))
        self._train_y = self._on_device(targets[train_idx])
        self._val_x, self._val_y = self._on_device(data[val_idx]), self._on_device(targets[val_idx])
        self.batch_size = min(config.batch_size, len(train_idx))
        self.steps_per_epoch = math.ceil(len(train_idx) / self.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self._generator = torch.Generator().manual_seed(config.seed)
        self._stages = _training_stages(model)
        self.optimizer = _make_optimizer(model, config)
        self.history: list[EpochInfo] = []
        self.step_count = 0
        self._order = torch.empty(0, dtype=torch.int64)
        self._epoch_loss = self._epoch_correct = 0.0
        self._epoch_seen = 0
        self._train_seconds = 0.0
        self._throughput = 0.0
        self._good_weights = _copy_weights(model)
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._running.set()
        self._finished = False

    # --- control, safe to call from any thread ---

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        """Ask training to stop after the current step; the weights stay as they are."""
        self._stop.set()
        self._running.set()  # wake a paused fit() so it can see the stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def finished(self) -> bool:
        return self._finished or self._stop.is_set() or self.step_count >= self.total_steps

    @property
    def train_seconds(self) -> float:
        """Time spent in training steps so far (pauses and waiting excluded)."""
        return self._train_seconds

    @property
    def train_size(self) -> int:
        return len(self._train_y)

    @property
    def val_size(self) -> int:
        return len(self._val_y)

    # --- driving ---

    def fit(self) -> list[EpochInfo]:
        """Train to the end (or until stopped), waiting while paused. Returns the epoch history."""
        while not self.finished:
            self._running.wait()
            self.step()
        return self.history

    def step(self) -> StepInfo | None:
        """Run one optimiser step; None once training has finished or was stopped.

        Raises TrainingError when the loss stops being finite or diverges; the weights are then rolled back to the
        end of the last good epoch (or to where training started)."""
        if self.finished:
            return None
        started = time.perf_counter()
        position = self.step_count % self.steps_per_epoch
        if position == 0:
            self._order = torch.randperm(len(self._train_y), generator=self._generator)
            self._epoch_loss = self._epoch_correct = 0.0
            self._epoch_seen = 0
        # The order is drawn on the CPU from the seeded generator whatever the device: the same seed
        # gives the same batches everywhere.
        batch_idx = self._order[position * self.batch_size : (position + 1) * self.batch_size].to(self.device)
        x, y = self._train_x[self._train_rows[batch_idx]], self._train_y[batch_idx]
        if self.config.augment:
            x = augment_batch(x, self.config, self._generator)
        learning_rate = self._set_learning_rate()

        if not self.model.training:  # train() walks every layer: skipped when nothing changed it since
            self.model.train()
        # Dropout draws from torch's global generator, which other threads also use; a private seed per
        # step keeps a seeded run reproducible without disturbing anyone else's random numbers. The CPU
        # generator itself, directly: torch.random.fork_rng + torch.manual_seed set the same state but
        # took 130-180 us a step (manual_seed also seeds every accelerator backend), 2 us this way.
        step_seed = self.config.seed * 1_000_003 + self.step_count
        if self.device.type == "cpu":
            generator = torch.default_generator
            saved_state = generator.get_state()
            generator.manual_seed(step_seed)
            try:
                logits = self._forward(x)
            finally:
                generator.set_state(saved_state)
        else:  # dropout draws from the device's generator: fork that one (a GPU step can afford the cost)
            with torch.random.fork_rng(devices=[self.device], device_type=self.device.type):
                torch.manual_seed(step_seed)
                logits = self._forward(x)
        loss = F.cross_entropy(logits, y) if self._loss is None else self._loss(logits, x, y)
        loss_value = float(loss.detach())
        if not math.isfinite(loss_value) or loss_value > DIVERGED_LOSS:
            self._abort_diverged(f"the loss diverged to {loss_value:.4g} at step {self.step_count + 1}")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

        self.step_count += 1
        correct = int((logits.argmax(1) == y).sum())
        self._epoch_loss += loss_value * len(y)
        self._epoch_correct += correct
        self._epoch_seen += len(y)
        elapsed = time.perf_counter() - started
        self._train_seconds += elapsed
        rate = len(y) / max(elapsed, 1e-9)
        self._throughput = rate if self.step_count == 1 else 0.9 * self._throughput + 0.1 * rate
        info = StepInfo(
            epoch=(self.step_count - 1) // self.steps_per_epoch + 1,
            step=self.step_count,
            steps_per_epoch=self.steps_per_epoch,
            total_steps=self.total_steps,
            loss=loss_value,
            accuracy=correct / len(y),
            samples_per_second=self._throughput,
            learning_rate=learning_rate,
        )
        if self.on_step_end:
            self.on_step_end(info)
        if self.step_count % self.steps_per_epoch == 0:
            self._end_epoch(info.epoch)
        return info

    def evaluate(self, images: torch.Tensor | None = None, labels: torch.Tensor | None = None) -> tuple[float, float]:
        """(mean loss, accuracy) on the given tensors, or on the validation split."""
        if images is None:
            images, labels = self._val_x, self._val_y
        images, labels = images.to(self.device), labels.to(self.device)
        if len(labels) == 0:
            return float("nan"), float("nan")
        was_training = self.model.training
        self.model.eval()
        total_loss, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(labels), _EVAL_BATCH):
                logits = self._forward(images[i : i + _EVAL_BATCH])
                target = labels[i : i + _EVAL_BATCH]
                total_loss += float(F.cross_entropy(logits, target, reduction="sum"))
                correct += int((logits.argmax(1) == target).sum())
        self.model.train(was_training)
        return total_loss / len(labels), correct / len(labels)

    # --- internals ---

    def _on_device(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor.to(self.device).contiguous()

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        """The model's output, exactly as ``self.model(x)`` computes it (see ``_training_stages``)."""
        x = _as_batch(x)
        for stage in self._stages:
            x = stage(x)
        return x

    def _set_learning_rate(self) -> float:
        base = self.config.learning_rate
        if self.config.lr_schedule == "cosine":
            progress = self.step_count / max(self.total_steps, 1)
            rate = base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))
        else:
            rate = base
        for group in self.optimizer.param_groups:
            group["lr"] = rate
        return rate

    def _end_epoch(self, epoch: int) -> None:
        val_loss = val_acc = None
        if self.val_size:
            val_loss, val_acc = self.evaluate()
            # The epoch's training loss was measured before each update; only the held-out loss judges
            # the weights the epoch ends with. Without this check, weights whose validation loss had
            # exploded (4e17 after one step at learning rate 1000) were kept as the "last good" ones,
            # restored by the next rollback, or saved when it was the last epoch.
            if not math.isfinite(val_loss) or val_loss > DIVERGED_LOSS:
                self._abort_diverged(f"the validation loss diverged to {val_loss:.4g} after epoch {epoch}")
        info = EpochInfo(
            epoch=epoch,
            step=self.step_count,
            train_loss=self._epoch_loss / max(self._epoch_seen, 1),
            train_accuracy=self._epoch_correct / max(self._epoch_seen, 1),
            val_loss=val_loss,
            val_accuracy=val_acc,
            seconds=self._train_seconds,
        )
        self.history.append(info)
        if all(torch.isfinite(p).all() for p in self.model.parameters()):
            self._good_weights = _copy_weights(self.model)
        if self.on_epoch_end:
            self.on_epoch_end(info)

    def _abort_diverged(self, what: str) -> None:
        self.model.load_state_dict(self._good_weights)
        self._finished = True
        # Says what happened to the weights, not who keeps them: the app keeps them, the CLI saves nothing.
        back_to = f"the end of epoch {self.history[-1].epoch}" if self.history else "where training started"
        raise TrainingError(
            f"training stopped: {what} (learning rate {self.config.learning_rate:g} is probably too high); "
            f"the weights went back to {back_to}"
        )


def _check_data(model: CNN, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    images, labels = np.asarray(images), np.asarray(labels)
    size = fed_size(model.spec)  # 28 for a 32x32 network too: it pads the drawings itself
    if len(images) == 0:
        raise TrainingError("nothing to train on: the collection has no examples")
    if images.shape[1:] != (size, size) or len(images) != len(labels):
        raise TrainingError(f"expected images of {size}x{size} with one label each, got {images.shape} and {labels.shape}")
    if labels.min() < 0 or labels.max() >= len(model.classes):
        raise TrainingError(f"labels must be class indices 0..{len(model.classes) - 1}")
    present = np.unique(labels)
    if len(present) < 2:
        only = model.classes[int(present[0])]
        raise TrainingError(
            f"training needs examples of at least two classes; there are only '{only}' examples ({len(labels)})"
        )
    if not np.isfinite(images).all():
        raise TrainingError("the images contain non-finite values")
    return images, labels


def _training_stages(model: CNN) -> list[Callable[[torch.Tensor], torch.Tensor]]:
    """The model's layers in order, except that a ReLU directly followed by a max-pool runs after the pool.

    max(0, .) is non-decreasing, so it commutes with taking a maximum: relu(pool(x)) equals pool(relu(x))
    exactly, and so do the gradients (both reach the first maximum of each window when it is positive,
    nothing otherwise). After a 2x2 pool the ReLU and its backward pass touch a quarter of the values:
    for the digits network, the ReLU after conv1 was the most expensive element-wise step of training,
    and a training step is ~10% faster this way (batch 64, measured against the spec's order).
    The layers (and the activations shown in the app) stay in the spec's order; only the trainer's
    forward pass runs them this way.
    """
    layers = list(model.layers.children())
    stages: list[Callable[[torch.Tensor], torch.Tensor]] = []
    i = 0
    while i < len(layers):
        if isinstance(layers[i], nn.ReLU) and i + 1 < len(layers) and isinstance(layers[i + 1], nn.MaxPool2d):
            stages.append(_PoolThenReLU(layers[i + 1]))
            i += 2
        else:
            stages.append(layers[i])
            i += 1
    return stages


class _PoolThenReLU:
    def __init__(self, pool: nn.MaxPool2d):
        self.pool = pool

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu_(self.pool(x))  # in place: the pool's backward needs its input, not its output


def _make_optimizer(model: CNN, config: TrainConfig) -> Adam | SGDMomentum:
    # torch's fused kernels (one call updates all parameters), as torch.optim with fused=True computes
    # them but without its per-step bookkeeping or its import of torch._dynamo (optim.py). Against
    # torch.optim's default per-parameter updates, a training step of the digits network at batch 64 is
    # ~5-7% faster with Adam, ~1-2% with SGD (fused=True), then another ~3% (this instead of torch.optim).
    if config.optimizer == "sgd":
        return SGDMomentum(model.parameters(), config.learning_rate, momentum=0.9, weight_decay=config.weight_decay)
    return Adam(model.parameters(), config.learning_rate, weight_decay=config.weight_decay)


def _copy_weights(model: CNN) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
