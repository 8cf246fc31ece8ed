"""The words the compare window shows: a network in a learner's terms, and a disagreement's caption.

"A: 16, 32 filters, ReLU, max pooling — B: 4, 4 filters, tanh, average pooling" says what a change
does to the design without the person reading layer lists. Qt-free, so it is tested on its own.
"""

from __future__ import annotations

from typing import Sequence

from cnn_desktop.core.network.spec import AvgPool, Conv, Dense, MaxPool, ModelSpec, ReLU, Sigmoid, Tanh, TrainConfig

_ACTIVATIONS = ((ReLU, "ReLU"), (Tanh, "tanh"), (Sigmoid, "sigmoid"))
_POOLS = ((MaxPool, "max pooling"), (AvgPool, "average pooling"))


def describe_spec(spec: ModelSpec) -> str:
    """"16, 32 filters 5×5, ReLU, max pooling, 1 hidden layer (64)"."""
    convs = [layer for layer in spec.layers if isinstance(layer, Conv)]
    parts = []
    if convs:
        kernels = {c.kernel for c in convs}
        size = f" {convs[0].kernel}×{convs[0].kernel}" if len(kernels) == 1 else ""
        plural = "s" if len(convs) > 1 or convs[0].filters > 1 else ""
        parts.append(f"{', '.join(str(c.filters) for c in convs)} filter{plural}{size}")
    else:
        parts.append("no convolution")
    activations = [name for kind, name in _ACTIVATIONS if any(isinstance(layer, kind) for layer in spec.layers)]
    parts.append(" and ".join(activations) if activations else "no activation")
    pools = [name for kind, name in _POOLS if any(isinstance(layer, kind) for layer in spec.layers)]
    parts.append(" and ".join(pools) if pools else "no pooling")
    dense = [layer.units for layer in spec.layers if isinstance(layer, Dense)]
    if dense:
        parts.append(f"{len(dense)} hidden layer{'s' if len(dense) > 1 else ''} ({', '.join(map(str, dense))})")
    else:
        parts.append("no hidden layer")
    if spec.input_size != 28:
        parts.append(f"{spec.input_size}×{spec.input_size} input")
    return ", ".join(parts)


def describe_settings(config: TrainConfig) -> str:
    """"10 epochs, learning rate 0.002"."""
    return f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}, learning rate {config.learning_rate:g}"


def describe_pair(a: ModelSpec, b: ModelSpec) -> str:
    """"A: 16, 32 filters 5×5, ReLU, ... — B: 4, 4 filters 5×5, tanh, ...", or the one design when they are the same."""
    if a.layers == b.layers and a.input_size == b.input_size:
        return f"A and B: the same network ({describe_spec(a)})"
    return f"A: {describe_spec(a)} — B: {describe_spec(b)}"


def disagreement_caption(classes: Sequence[str], true: int, guess_a: int, guess_b: int) -> str:
    """"A: 7 · B: 1 · true 1"."""
    return f"A: {classes[guess_a]} · B: {classes[guess_b]} · true {classes[true]}"


def guess_line(side: str, classes: Sequence[str], probabilities) -> str:
    """"A guesses tick (97%)", or what it waits for."""
    if probabilities is None:
        return f"{side}: draw something"
    best = int(max(range(len(probabilities)), key=lambda i: probabilities[i]))
    return f"{side} guesses {classes[best]} ({float(probabilities[best]):.0%})"
