"""A trained network carried over to another list of classes: transfer learning when classes change.

Every layer but the output layer keeps its weights exactly (the features it learned serve any class).
The output layer has one row of weights (and one bias) per class: a kept class keeps its row, a new
class gets a freshly initialised one, a removed class's row is dropped. Fine-tuning then only has to
teach the new rows, which takes far fewer drawings than training from scratch.
"""

from __future__ import annotations

from typing import Sequence

import torch

from cnn_desktop.core.network.model import CNN, build_model

OUTPUT = "layers.out."  # the state_dict prefix of the output layer's weight and bias


def transferred(model: CNN, classes: Sequence[str], source_rows: Sequence[int | None], seed: int | None = None) -> CNN:
    """A new network for ``classes``: ``source_rows[i]`` is the output row of ``model`` that class ``i``
    takes over, or None for a new class (fresh weights, reproducible with ``seed``). The hidden layers
    are copied bit for bit; ``model`` itself is not changed."""
    classes, rows = tuple(classes), list(source_rows)
    if len(rows) != len(classes):
        raise ValueError(f"{len(rows)} source rows for {len(classes)} classes")
    outputs = len(model.classes)
    if any(r is not None and not 0 <= r < outputs for r in rows) or len([r for r in rows if r is not None]) != len(
            {r for r in rows if r is not None}):
        raise ValueError(f"source rows {rows} must be distinct outputs of a {outputs}-class model, or None")
    new = build_model(model.spec.with_classes(classes), seed)
    old_state, state = model.state_dict(), new.state_dict()
    with torch.no_grad():
        for name, tensor in state.items():
            if not name.startswith(OUTPUT):
                tensor.copy_(old_state[name])
                continue
            for i, row in enumerate(rows):
                if row is not None:
                    tensor[i].copy_(old_state[name][row])
    new.load_state_dict(state)
    new.train(model.training)
    return new


def relabelled(model: CNN, classes: Sequence[str]) -> CNN:
    """The same network, weights and all, with its outputs named ``classes`` (a class renamed)."""
    if len(classes) != len(model.classes):
        raise ValueError(f"{len(classes)} names for a {len(model.classes)}-class model")
    return transferred(model, classes, list(range(len(classes))))
