"""Model files: weights, the ModelSpec, class names and training history in one safetensors file.

safetensors stores raw tensors behind a JSON header, so loading a model file never unpickles anything
and cannot run code, whoever made the file. Our own description rides in the header's metadata:
"format" (always "cnn-desktop-model"), "format_version", "spec", "history" and "info", each a JSON
string. Every way a file can be wrong ends in one ``ModelFileError`` line naming the file.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from cnn_desktop.core.atomic import remove_stale_temp_files, write_atomically
from cnn_desktop.core.errors import CnnDesktopError, ModelFileError, at, describe_error, listed, one_line, shown
from cnn_desktop.core.network.geometry import layer_geometry
from cnn_desktop.core.network.model import CNN
from cnn_desktop.core.data.preprocess import INPUT_SIZE
from cnn_desktop.core.network.model_header import FORMAT, FORMAT_VERSION, MAX_FILE_BYTES, MAX_HEADER_BYTES  # noqa: F401
from cnn_desktop.core.network.model_header import described_problem, format_version_for
from cnn_desktop.core.network.model_header import json_field as _json_field
from cnn_desktop.core.network.model_header import read_metadata as _read_metadata
from cnn_desktop.core.network.spec import INPUT_PADDING, ModelSpec

MODEL_SUFFIX = ".safetensors"
# Values one drawing produces across all layers. The bundled network makes about 40 thousand; this
# leaves room for far larger designs (16 MB of float32 per drawing) but refuses a description that
# would take gigabytes of memory to run on a single drawing.
MAX_ACTIVATIONS = 1 << 22


@dataclass(frozen=True)
class SavedModel:
    """A model as stored: the network plus what is known about how it was made."""

    model: CNN
    history: tuple[dict[str, Any], ...] = ()  # one record per epoch trained (EpochInfo.to_dict())
    info: dict[str, Any] = field(default_factory=dict)  # provenance: command, data, config, date...

    @property
    def spec(self) -> ModelSpec:
        return self.model.spec


def model_to_bytes(model: CNN, history: Sequence[dict[str, Any]] = (), info: dict[str, Any] | None = None) -> bytes:
    tensors = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "format_version": str(format_version_for(model.spec)),
        "spec": model.spec.to_json(),
        "history": json.dumps(list(history)),
        "info": json.dumps(info or {}),
    }
    return save_tensors(tensors, metadata=metadata)


def save_model(
    path: str | os.PathLike[str],
    model: CNN,
    history: Sequence[dict[str, Any]] = (),
    info: dict[str, Any] | None = None,
) -> None:
    """Write the model atomically: the file at ``path`` is the old one or the new one, never a mix.

    A save killed midway left a hidden temp file beside ``path``; the next save of the same file clears
    such leftovers once they are old enough to be nobody's write in progress."""
    data = model_to_bytes(model, history, info)
    path = Path(path)
    remove_stale_temp_files(path.parent, target=path.name)
    try:
        write_atomically(path, data)
    except OSError as error:
        raise ModelFileError(at(path, f"cannot save the model ({describe_error(error)})")) from None


def load_model(path: str | os.PathLike[str], expected_classes: Sequence[str] | None = None) -> SavedModel:
    """Read a model file; any problem raises ModelFileError naming the file."""
    path = Path(path)
    return model_from_bytes(_read_model_file(path), _display(path), expected_classes)


def _display(path: Path) -> str:
    """The path as messages name it: as typed, unless it holds a line break or a control character."""
    text = str(path)
    return text if text.isprintable() else ascii(text)


# Opened without blocking (a FIFO would otherwise wait forever for a writer) and without leaking the
# descriptor into child processes. O_NONBLOCK changes nothing for a regular file, the only kind read.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_READ_CHUNK = 1 << 20


def _read_model_file(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES, or ModelFileError.

    The kind and size come from fstat on the open descriptor, so what is checked is what is read (a
    check of the path, then an open, could be raced). The read itself stops after MAX_FILE_BYTES + 1
    bytes: the file may grow between the fstat and the read, and /dev/zero never ends."""
    name = _display(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise ModelFileError(at(name, "no such model file")) from None
    except OSError as error:  # a socket cannot be opened at all (ENXIO); say what it is where we can
        raise ModelFileError(at(name, _not_regular(path) or f"cannot read ({error.strerror or error})")) from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise ModelFileError(at(name, _kind_problem(status.st_mode)))
        if status.st_size > MAX_FILE_BYTES:
            raise ModelFileError(at(name, _too_large(status.st_size)))
        chunks, total = [], 0
        want = status.st_size + 1  # one byte more than expected: reading 0 bytes then proves the end
        while total <= MAX_FILE_BYTES:
            wanted = want - total if total < want else _READ_CHUNK
            chunk = os.read(fd, min(wanted, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise ModelFileError(at(name, _too_large(total) + " (it grew while being read)"))
        return b"".join(chunks)
    except OSError as error:
        raise ModelFileError(at(name, f"cannot read ({describe_error(error)})")) from None
    finally:
        os.close(fd)


def _too_large(size: int) -> str:
    return f"{size / 1e6:.0f} MB is far too large for a cnn-desktop model"


def _kind_problem(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not a model file"
    kinds = [(stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]
    kind = next((name for test, name in kinds if test(mode)), "not a file")
    return f"not a regular file ({kind})"


def _not_regular(path: Path) -> str | None:
    """What is wrong with a path that could not be opened, when it is not a regular file (for the
    message only: nothing is read from it)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else _kind_problem(mode)


def model_from_bytes(data: bytes, source: str = "model", expected_classes: Sequence[str] | None = None) -> SavedModel:
    metadata = _read_metadata(data, source)
    spec, skeleton = _runnable_spec(metadata["spec"], source)
    if expected_classes is not None and tuple(expected_classes) != spec.classes:
        raise ModelFileError(
            at(source, f"a model of {len(spec.classes)} classes {listed(spec.classes)}; "
                       f"expected {len(expected_classes)} classes {listed(expected_classes)}")
        )
    # Shapes first, memory last: the skeleton has no storage, the tensors live in the file's own bytes
    # (bounded by MAX_FILE_BYTES), and a real network is only allocated once they agree. Building it
    # first let a 200-byte file describing billions of weights make us allocate gigabytes (or crash)
    # before noticing that the weights were not there.
    try:
        tensors = load_tensors(data)
    except Exception as error:  # safetensors raises its own exception types for corrupt data
        raise ModelFileError(at(source, f"corrupt or truncated weights ({one_line(error)})")) from None
    _check_weights(skeleton, tensors, source)
    model = CNN(spec)
    model.load_state_dict(tensors)
    model.eval()
    _check_outputs(model, source)
    history = _json_field(metadata, "history", list, source)
    info = _json_field(metadata, "info", dict, source)
    # Readers use history[-1].get(...) and info["config"][...]: other shapes are refused here, once.
    if not all(isinstance(record, dict) for record in history):
        raise ModelFileError(at(source, "malformed history in the model file (expected one record per epoch)"))
    if not isinstance(info.get("config", {}), dict):
        raise ModelFileError(at(source, "malformed info in the model file (its training config is not an object)"))
    return SavedModel(model=model, history=tuple(history), info=info)


def _runnable_spec(text: str, source: str) -> tuple[ModelSpec, CNN]:
    """The file's description, checked to be one this app can feed and afford to run, with a skeleton
    of the network on the meta device: every weight's shape, no memory behind them."""
    try:
        spec = ModelSpec.from_json(text)
    except CnnDesktopError as error:
        raise ModelFileError(at(source, described_problem(error))) from None
    # Every drawing reaches the network as one grey 28x28 image (core/data/preprocess.py), which a 32x32
    # network pads itself (spec.INPUT_PADDING); a network made for other inputs failed at its first
    # prediction, with a shape error.
    if spec.input_size not in INPUT_PADDING or spec.in_channels != 1:
        raise ModelFileError(
            at(source, f"a network for {shown(spec.input_size)}x{shown(spec.input_size)} images with {shown(spec.in_channels)} "
                       f"channel(s); cnn-desktop gives it {INPUT_SIZE}x{INPUT_SIZE} drawings with 1 channel "
                       "(or pads them to 32x32)")
        )
    try:
        geometry = layer_geometry(spec)
    except CnnDesktopError as error:
        raise ModelFileError(at(source, f"unusable model description ({one_line(error)})")) from None
    activations = sum(g.channels * g.size * g.size for g in geometry)
    if activations > MAX_ACTIVATIONS:
        raise ModelFileError(
            at(source, f"the described network is far too large ({_count(activations)} values per drawing, "
                       f"limit {MAX_ACTIVATIONS:,})")
        )
    try:
        with torch.device("meta"):
            skeleton = CNN(spec)
    except (CnnDesktopError, RuntimeError, TypeError, ValueError, OverflowError) as error:
        raise ModelFileError(at(source, f"unusable model description ({one_line(error)})")) from None
    return spec, skeleton


def _count(number: int) -> str:
    """1,234,567; or, past what a message should spell out (and str() refuses beyond 4,300 digits), 10^N."""
    return f"{number:,}" if number < 10**15 else f"about 10^{int(number.bit_length() * 0.30103)}"


def _check_weights(model: CNN, tensors: dict[str, torch.Tensor], source: str) -> None:
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    found = {name: tuple(t.shape) for name, t in tensors.items()}
    missing, unexpected = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing or unexpected:
        raise ModelFileError(
            at(source, "weights do not fit the model's description ("
                       + "; ".join(_some(kind, names) for kind, names in [("missing", missing), ("unexpected", unexpected)]
                                   if names) + ")")
        )
    for name, shape in expected.items():
        if found[name] != shape:
            raise ModelFileError(
                at(source, f"weights do not fit the model's description ({name}: expected {list(shape)}, "
                           f"found {list(found[name])})")
            )
        if not tensors[name].is_floating_point() or not torch.isfinite(tensors[name]).all():
            raise ModelFileError(at(source, f"weights {name} are not finite floating-point numbers"))


def _check_outputs(model: CNN, source: str) -> None:
    """Finite weights can still overflow: with every weight 3e38 a drawing's outputs were inf and NaN,
    and every panel showing them failed ("Cannot set range [0.0, inf]"). A blank and a full drawing
    (one batch of two, well under a millisecond for the bundled network) catch such weights."""
    probe = torch.stack([torch.zeros(INPUT_SIZE, INPUT_SIZE), torch.ones(INPUT_SIZE, INPUT_SIZE)])
    with torch.no_grad():
        logits, activations = model.forward_with_activations(probe)
        activations["probabilities"] = torch.softmax(logits, dim=1)
    for name, values in activations.items():
        if not torch.isfinite(values).all():
            raise ModelFileError(
                at(source, f"weights overflow: a blank or full drawing gives non-finite outputs (from {name} on)")
            )


def _some(kind: str, names: list[str]) -> str:
    """'missing 10 ('layers.conv1.weight', ...)': how many, and the first (the file may hold thousands)."""
    return f"{kind} {len(names):,} ({shown(names[0], 30)}{', ...' if len(names) > 1 else ''})"
