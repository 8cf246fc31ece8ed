"""A model file's header, read without torch: its framing, format, and the network description,
history and training record it carries as JSON metadata.

checkpoint.py uses it before it touches any weight; a project uses it alone to copy the bundled model
in as its first version at the first start, when loading torch on the window's thread would cost the
first frame about two seconds (the engine loads and fully checks the same file a moment later).
"""

from __future__ import annotations

import json
import re
from typing import Any

from cnn_desktop.core.errors import CnnDesktopError, ModelFileError, at, one_line, shown
from cnn_desktop.core.network.spec import ModelSpec, layer_kind

FORMAT = "cnn-desktop-model"
# Version 2 added the tanh, sigmoid and avgpool layers and the 32x32 input. A file is written as
# version 1 when its network uses none of them, so that an older cnn-desktop still opens it; one that
# does is version 2, which an older cnn-desktop refuses with "made by a newer cnn-desktop" instead of
# a puzzling "unknown layer kind".
FORMAT_VERSION = 2
_VERSION_1_KINDS = {"conv", "relu", "pool", "flatten", "fc", "dropout"}
# Our models weigh a few hundred kB. These bounds refuse absurd files before reading or parsing them.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024 * 1024


def read_metadata(data: bytes, source: str) -> dict[str, str]:
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
            at(source, f"made by a newer cnn-desktop (format {shown(version)}; this version reads {FORMAT_VERSION})")
        )
    if "spec" not in metadata:
        raise ModelFileError(at(source, "the model description is missing"))
    return metadata


def described_problem(error: CnnDesktopError) -> str:
    """A description's problem as a model file's message: says that it is the description that is wrong
    ("malformed model description (conv2: filters must be a whole number, got '8')")."""
    text = one_line(error, 250)
    names_a_layer = re.match(r"(layer \d+|[a-z]+\d*):", text) is not None  # spec._layer_from's messages
    return f"malformed model description ({text})" if names_a_layer else text


def format_version_for(spec: ModelSpec) -> int:
    """The oldest format that can describe ``spec`` (see FORMAT_VERSION)."""
    kinds = {layer_kind(layer) for layer in spec.layers}
    return 1 if kinds <= _VERSION_1_KINDS and spec.input_size == 28 else FORMAT_VERSION


def json_field(metadata: dict[str, str], key: str, kind: type, source: str):
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


def read_description(data: bytes, source: str) -> tuple[ModelSpec, list[dict[str, Any]], dict[str, Any]]:
    """(network description, history, training record) from a model file's bytes, weights unread."""
    metadata = read_metadata(data, source)
    try:
        spec = ModelSpec.from_json(metadata["spec"])
    except CnnDesktopError as error:
        raise ModelFileError(at(source, described_problem(error))) from None
    return spec, json_field(metadata, "history", list, source), json_field(metadata, "info", dict, source)
