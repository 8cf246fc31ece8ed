"""A model as an ONNX file, so that it runs without cnn-desktop or torch (onnxruntime, a browser, C#...).

The graph takes what the network takes, a batch of preprocessed drawings (N, 1, 28, 28) float32, and
gives class probabilities: softmax is put inside the graph, so a caller never has to know that the
network itself ends in logits. The batch axis is dynamic. Everything a caller needs to feed the graph
and read its answer travels in the file's ``metadata_props`` (``ONNX_METADATA_KEYS``).

onnx and onnxscript (torch's exporter needs both) are an optional extra: they are imported only here,
only when a model is exported, and their absence is one line saying what to install.
"""

from __future__ import annotations

import io
import json
import logging
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from cnn_desktop.core.atomic import write_new_atomically
from cnn_desktop.core.data.preprocess import INPUT_SIZE
from cnn_desktop.core.errors import CnnDesktopError, at, describe_error, one_line
from cnn_desktop.core.network.model import CNN

INSTALL_HINT = 'ONNX export needs the export extra: pip install "cnn-desktop[export]"'
INPUT_NAME = "images"
OUTPUT_NAME = "probabilities"
OPSET = 18  # onnxruntime 1.16 (2023) and later run it; the exporter's own default moves with torch
# What a caller must do before feeding the graph; stored in the file and shown in the README.
INPUT_CONTRACT = (
    f"float32 tensor (N, 1, {INPUT_SIZE}, {INPUT_SIZE}): one grey channel, values 0..1, ink light (1.0) on a "
    "dark (0.0) background, made by cnn-desktop's preprocess (crop to the ink, longer side scaled to 20 px, "
    "strokes normalised to 2.6 px, centre of mass at the middle): cnn_desktop.preprocess_image(path)"
)
ONNX_METADATA_KEYS = ("cnn_desktop.classes", "cnn_desktop.input", "cnn_desktop.output", "cnn_desktop.spec")


EXISTS = "already exists; exports never overwrite (choose another --out, or remove it first)"


class ExportExtraMissing(CnnDesktopError):
    """onnx or onnxscript is not installed."""


class _WithSoftmax(nn.Module):
    """The network followed by softmax: the exported graph answers in probabilities."""

    def __init__(self, network: CNN) -> None:
        super().__init__()
        self.network = network

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.network(images), dim=1)


class _quiet_logger:
    """Silences a logger for a while: torch's exporter logs a line per missing torchvision operator."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)

    def __enter__(self) -> None:
        self.level = self.logger.level
        self.logger.setLevel(logging.CRITICAL)

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.level)


def require_export_extra():
    """The onnx module, or ExportExtraMissing; onnxscript is checked too because torch's exporter
    fails deep inside (with a long traceback) without it."""
    try:
        import onnx
        import onnxscript  # noqa: F401
    except ImportError:
        raise ExportExtraMissing(INSTALL_HINT) from None
    return onnx


def onnx_bytes(network: CNN, source: str = "") -> bytes:
    """The ONNX file's bytes for ``network`` (probabilities out, dynamic batch, metadata filled in)."""
    onnx = require_export_extra()
    was_training = network.training
    network.eval()  # dropout off: the file must answer as the app does
    example = torch.zeros(2, 1, INPUT_SIZE, INPUT_SIZE)
    try:
        with warnings.catch_warnings(), _quiet_logger("torch.onnx"):
            warnings.simplefilter("ignore")  # the exporter's notes on its own internals mean nothing to a user
            program = torch.onnx.export(
                _WithSoftmax(network), (example,), input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                dynamic_shapes={"images": {0: torch.export.Dim("batch", min=1)}}, opset_version=OPSET,
                dynamo=True, verbose=False, optimize=True,
            )
        proto = program.model_proto
    except Exception as error:  # the exporter raises many kinds; the user needs one line
        raise CnnDesktopError(f"cannot export the network to ONNX ({one_line(error)})") from None
    finally:
        network.train(was_training)
    spec = network.spec
    metadata = {
        "cnn_desktop.classes": json.dumps(list(spec.classes)),
        "cnn_desktop.input": INPUT_CONTRACT,
        "cnn_desktop.output": f"{OUTPUT_NAME}: float32 (N, {len(spec.classes)}), softmax probabilities "
                              "(each row sums to 1), in the order of cnn_desktop.classes; not logits",
        "cnn_desktop.spec": spec.to_json(),
    }
    if source:
        metadata["cnn_desktop.source"] = source
    del proto.metadata_props[:]
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    proto.producer_name = "cnn-desktop"
    proto.doc_string = "A cnn-desktop classifier; see metadata_props for the input it expects and its classes."
    onnx.checker.check_model(proto)
    buffer = io.BytesIO()
    onnx.save_model(proto, buffer)
    return buffer.getvalue()


def export_onnx(network: CNN, path: str | os.PathLike[str], source: str = "") -> None:
    """Write ``network`` as an ONNX file at ``path``, atomically; an existing file is refused."""
    path = Path(path)
    refuse_existing(path)  # before the export's seconds of work, not only after them
    data = onnx_bytes(network, source)
    try:
        write_new_atomically(path, data)
    except FileExistsError:
        raise CnnDesktopError(at(path, EXISTS)) from None
    except OSError as error:
        raise CnnDesktopError(at(path, f"cannot write ({describe_error(error)})")) from None


def refuse_existing(path: Path) -> None:
    """Exports never overwrite: a file of the same name may be someone's earlier work."""
    if path.exists() or path.is_symlink():
        raise CnnDesktopError(at(path, EXISTS))
    if not path.parent.is_dir():
        raise CnnDesktopError(at(path.parent, "no such folder"))


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The metadata_props of an ONNX file, as a dict (for tests and callers who want the classes)."""
    onnx = require_export_extra()
    model = onnx.load(str(path), load_external_data=False)
    return {prop.key: prop.value for prop in model.metadata_props}
