"""What the window looks at: the live network or a snapshot of the last training, and the messages
that show it (a drawing's prediction with its feature maps and heat map, the filters, the timeline).

Used only from the engine's thread (``core/app/engine.py``), which owns the live model and hands it in
on each call; this keeps the timeline's weight copies and the separate network a snapshot is shown in.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from cnn_desktop.core.app.messages import TOP_CLASS, Filters, Predict, Prediction, SnapshotInfo, Timeline
from cnn_desktop.core.data.preprocess import preprocess_with_transform
from cnn_desktop.core.errors import CnnDesktopError, EmptyDrawingError
from cnn_desktop.core.inspection.saliency import saliency_map
from cnn_desktop.core.inspection.timeline import Snapshot, SnapshotKeeper
from cnn_desktop.core.network.model import CNN, build_model
from cnn_desktop.core.training.device import model_device


class Looking:
    def __init__(self) -> None:
        self.snapshots = SnapshotKeeper()  # weight copies of the last training, for the timeline
        self._viewing: Snapshot | None = None  # the snapshot shown instead of the live weights
        self._viewing_model: CNN | None = None  # a separate network holding that snapshot's weights

    @property
    def at_snapshot(self) -> bool:
        """A snapshot is on screen: it does not change while the live weights train on."""
        return self._viewing is not None

    def shown_model(self, live: CNN) -> tuple[CNN, int | None]:
        """The network the window looks at: the live one, or the snapshot being shown (and its index)."""
        if self._viewing is not None and self._viewing_model is not None:
            return self._viewing_model, self._snapshot_index(self._viewing)
        return live, None

    # --- the training timeline ---

    def take_snapshot(self, live: CNN, step: int, epoch: float, loss: float | None) -> Timeline:
        # CPU copies, whatever the device training runs on: a snapshot is shown in a CPU network.
        weights = {name: tensor.detach().to("cpu", copy=True) for name, tensor in live.state_dict().items()}
        self.snapshots.add(SnapshotInfo(step, round(epoch, 3), loss), weights)
        return self.timeline()

    def timeline(self) -> Timeline:
        showing = self._snapshot_index(self._viewing) if self._viewing is not None else None
        return Timeline(self.snapshots.infos(), showing)

    def forget(self) -> Timeline | None:
        """Drop the timeline (a new model or run); the Timeline to send when there was one, else None."""
        had = len(self.snapshots) or self._viewing is not None
        self.snapshots.clear()
        self._viewing = self._viewing_model = None
        return self.timeline() if had else None

    def show_live(self) -> Timeline | None:
        """Back to the live weights; the Timeline to send, or None when they were shown already."""
        if self._viewing is None:
            return None
        self._viewing = self._viewing_model = None
        return self.timeline()

    def show_snapshot(self, live: CNN, index: int) -> Timeline:
        if not 0 <= index < len(self.snapshots):
            raise CnnDesktopError(f"no training snapshot {index}; there are {len(self.snapshots)}")
        snapshot = self.snapshots[index]
        # A network of its own: the live model keeps training, untouched, while this one is shown.
        model = build_model(live.spec)
        model.load_state_dict(snapshot.weights)
        model.eval()
        self._viewing, self._viewing_model = snapshot, model
        return self.timeline()

    def _snapshot_index(self, snapshot: Snapshot) -> int | None:
        """Where ``snapshot`` is in the timeline now (thinning moves snapshots); None once dropped."""
        for index in range(len(self.snapshots)):
            if self.snapshots[index] is snapshot:
                return index
        return None

    # --- views of the shown weights ---

    def filters(self, live: CNN, model_version: int) -> Filters:
        model, snapshot = self.shown_model(live)
        layers = tuple(
            (name, conv.weight.detach().cpu().numpy().copy(), conv.bias.detach().cpu().numpy().copy())
            for name, conv in model.conv_layers()
        )
        dense = tuple(
            (name, module.weight.detach().cpu().numpy().copy(), module.bias.detach().cpu().numpy().copy())
            for name, module in model.layers.named_children()
            if isinstance(module, torch.nn.Linear)
        )
        return Filters(model_version, layers, dense, snapshot)

    def prediction(self, live: CNN, request: Predict, model_version: int) -> Prediction:
        started = time.perf_counter()
        model, snapshot = self.shown_model(live)
        try:
            prepared = preprocess_with_transform(request.drawing)
        except EmptyDrawingError:
            return Prediction(request.request_id, model_version, model.classes, None, None, snapshot=snapshot)
        was_training = model.training
        model.eval()
        with torch.no_grad():
            # The live model may be training on an accelerator: the drawing goes there, the numbers
            # come back (.cpu() is a no-op for a CPU model).
            image = torch.from_numpy(prepared.image).to(model_device(model))
            logits, activations = model.forward_with_activations(image)
            probabilities = torch.softmax(logits, dim=1)[0].cpu().numpy()
        model.train(was_training)
        saliency, explained = None, None
        wanted = request.saliency_class
        if wanted is not None:
            explained = int(np.argmax(probabilities)) if wanted == TOP_CLASS else int(wanted)
            if 0 <= explained < len(model.classes):
                saliency = saliency_map(model, prepared.image, explained, request.saliency_method)
            else:
                explained = None
        # Fresh output tensors of this forward pass: nothing else holds or changes them, so their
        # numpy views are safe to hand over without a copy.
        maps = {name: tensor[0].cpu().numpy() for name, tensor in activations.items() if name != "input"}
        return Prediction(
            request.request_id,
            model_version,
            live.classes,
            prepared.image,
            probabilities,
            maps,
            np.asarray(prepared.to_input, np.float32),
            time.perf_counter() - started,
            saliency,
            explained,
            request.saliency_method if saliency is not None else "",
            snapshot,
        )
