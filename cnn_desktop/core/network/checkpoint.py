"""Model files: weights, the ModelSpec, class names and training history in one safetensors file.

safetensors stores raw tensors behind a JSON header, so loading a model file never unpickles anything
and cannot run code, whoever made the file. Our own description rides in the header's metadata:
"format" (always "cnn-desktop-model"), "format_version", "spec", "history" and "info", each a JSON
string. Every way a file can be wrong ends in one ``ModelFileError`` line naming the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from cnn_desktop.core.atomic import remove_stale_temp_files, write_atomically
from cnn_desktop.core.errors import CnnDesktopError, ModelFileError, at, describe_error
from cnn_desktop.core.network.geometry import layer_geometry
from cnn_desktop.core.network.model import CNN
from cnn_desktop.core.data.preprocess import INPUT_SIZE
from cnn_desktop.core.network.spec import ModelSpec

FORMAT = "cnn-desktop-model"
FORMAT_VERSION = 1
MODEL_SUFFIX = ".safetensors"
# Our models weigh a few hundred kB. These bounds refuse absurd files before reading or parsing them.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024 * 1024
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
        "format_version": str(FORMAT_VERSION),
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
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise ModelFileError(at(path, "is a folder, not a model file"))
        if size > MAX_FILE_BYTES:
            raise ModelFileError(at(path, f"{size / 1e6:.0f} MB is far too large for a cnn-desktop model"))
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(at(path, "no such model file")) from None
    except OSError as error:
        raise ModelFileError(at(path, f"cannot read ({describe_error(error)})")) from None
    return model_from_bytes(data, str(path), expected_classes)


def model_from_bytes(data: bytes, source: str = "model", expected_classes: Sequence[str] | None = None) -> SavedModel:
    metadata = _read_metadata(data, source)
    spec, skeleton = _runnable_spec(metadata["spec"], source)
    # Shapes first, memory last: the skeleton has no storage, the tensors live in the file's own bytes
    # (bounded by MAX_FILE_BYTES), and a real network is only allocated once they agree. Building it
    # first let a 200-byte file describing billions of weights make us allocate gigabytes (or crash)
    # before noticing that the weights were not there.
    try:
        tensors = load_tensors(data)
    except Exception as error:  # safetensors raises its own exception types for corrupt data
        raise ModelFileError(at(source, f"corrupt or truncated weights ({error})")) from None
    _check_weights(skeleton, tensors, source)
    model = CNN(spec)
    model.load_state_dict(tensors)
    model.eval()
    if expected_classes is not None and tuple(expected_classes) != spec.classes:
        raise ModelFileError(
            at(source, f"a model of {len(spec.classes)} classes {list(spec.classes)}; "
                       f"expected {len(expected_classes)} classes {list(expected_classes)}")
        )
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
        raise ModelFileError(at(source, str(error))) from None
    # Every drawing reaches the network as one grey 28x28 image (core/data/preprocess.py); a network made
    # for other inputs failed at its first prediction, with a shape error.
    if (spec.input_size, spec.in_channels) != (INPUT_SIZE, 1):
        raise ModelFileError(
            at(source, f"a network for {spec.input_size}x{spec.input_size} images with {spec.in_channels} "
                       f"channel(s); cnn-desktop gives it {INPUT_SIZE}x{INPUT_SIZE} drawings with 1 channel")
        )
    try:
        geometry = layer_geometry(spec)
    except CnnDesktopError as error:
        raise ModelFileError(at(source, f"unusable model description ({error})")) from None
    activations = sum(g.channels * g.size * g.size for g in geometry)
    if activations > MAX_ACTIVATIONS:
        raise ModelFileError(
            at(source, f"the described network is far too large ({activations:,} values per drawing, "
                       f"limit {MAX_ACTIVATIONS:,})")
        )
    try:
        with torch.device("meta"):
            skeleton = CNN(spec)
    except (CnnDesktopError, RuntimeError, TypeError, ValueError, OverflowError) as error:
        raise ModelFileError(at(source, f"unusable model description ({error})")) from None
    return spec, skeleton


def _read_metadata(data: bytes, source: str) -> dict[str, str]:
    """Validate the safetensors framing by hand first, so every failure gets a precise message."""
    if not data:
        raise ModelFileError(at(source, "the file is empty"))
    # A safetensors file starts with its header's length (8 bytes, little-endian), then the header's
    # "{". That length alone may begin with 0x80 or "PK" (1 save in 25 did), so the pickle and zip
    # signatures only count when the "{" is missing. Either way nothing here ever unpickles.
    framed = data[8:9] == b"{"
    if not framed and (data[:1] == b"\x80" or data[:4] == b"PK\x03\x04"):
        raise ModelFileError(
            at(source, "a pickle or PyTorch archive, not a cnn-desktop model; such files can run code "
                       "when loaded, so they are never opened")
        )
    if len(data) < 8:
        raise ModelFileError(at(source, f"only {len(data)} bytes: truncated, or not a model file"))
    header_size = int.from_bytes(data[:8], "little")
    if header_size > MAX_HEADER_BYTES:
        raise ModelFileError(at(source, f"not a cnn-desktop model (its header claims {header_size} bytes)"))
    if 8 + header_size > len(data):
        raise ModelFileError(at(source, "truncated: the file ends inside its header"))
    try:
        header = json.loads(data[8 : 8 + header_size])
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting beyond ~1000 levels
        raise ModelFileError(at(source, "not a cnn-desktop model (its header is not JSON)")) from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(at(source, "a tensor file, but not a cnn-desktop model (no model description)"))
    if not all(isinstance(value, str) for value in metadata.values()):
        raise ModelFileError(at(source, "malformed metadata (its entries must be text)"))
    try:
        version = int(metadata.get("format_version", ""))
    except ValueError:
        raise ModelFileError(at(source, "malformed format version")) from None
    if version > FORMAT_VERSION:
        raise ModelFileError(
            at(source, f"made by a newer cnn-desktop (format {version}; this version reads {FORMAT_VERSION})")
        )
    if "spec" not in metadata:
        raise ModelFileError(at(source, "the model description is missing"))
    return metadata


def _check_weights(model: CNN, tensors: dict[str, torch.Tensor], source: str) -> None:
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    found = {name: tuple(t.shape) for name, t in tensors.items()}
    missing, unexpected = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing or unexpected:
        raise ModelFileError(
            at(source, f"weights do not fit the model's description (missing {missing}, unexpected {unexpected})")
        )
    for name, shape in expected.items():
        if found[name] != shape:
            raise ModelFileError(
                at(source, f"weights do not fit the model's description ({name}: expected {list(shape)}, "
                           f"found {list(found[name])})")
            )
        if not tensors[name].is_floating_point() or not torch.isfinite(tensors[name]).all():
            raise ModelFileError(at(source, f"weights {name} are not finite floating-point numbers"))


def _json_field(metadata: dict[str, str], key: str, kind: type, source: str):
    """A JSON-encoded metadata entry of the given type; absent means empty."""
    text = metadata.get(key)
    if text is None:
        return kind()
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting beyond ~1000 levels
        value = None
    if not isinstance(value, kind):
        raise ModelFileError(at(source, f"malformed {key} in the model file"))
    return value
