"""Ready-made network designs, as data, and reading a design from a JSON file.

A preset is the JSON form ``ModelSpec.to_dict`` writes, without the classes: the task or project
being trained decides those, so one design serves digits, ticks & crosses or a person's own classes.
A file given to ``train --arch`` may hold classes too (a description saved from a model); they are
replaced the same way, and the caller is told when they differed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from cnn_desktop.core.errors import CnnDesktopError, at, describe_error, listed, one_line
from cnn_desktop.core.network.spec import ModelSpec, lenet_spec
from cnn_desktop.core.network.summary import check_design

# A description is a few hundred bytes; a file far larger than this is not one (and is not read whole).
MAX_ARCH_FILE_BYTES = 1 << 20


def _conv(filters: int, kernel: int, padding: int = 0, stride: int = 1) -> dict[str, Any]:
    return {"kind": "conv", "filters": filters, "kernel": kernel, "stride": stride, "padding": padding}


def _pool(kind: str = "pool") -> dict[str, Any]:
    return {"kind": kind, "window": 2, "stride": 2}


def _kind(kind: str) -> dict[str, Any]:
    return {"kind": kind}


def _fc(units: int) -> dict[str, Any]:
    return {"kind": "fc", "units": units}


PRESETS: dict[str, dict[str, Any]] = {
    # Today's network (spec.lenet_spec): 16 and 32 5x5 filters with ReLU and max pooling, fc 64.
    "default": {key: value for key, value in lenet_spec().to_dict().items() if key != "classes"},
    # LeNet-5 as LeCun et al. (1998) published it: a 32x32 input (the 28x28 drawing with a zero border),
    # 6 then 16 5x5 filters, tanh, average pooling, 120 and 84 units. The paper's C5 is a conv layer of
    # 120 5x5 filters over 5x5 maps, which is exactly a fully connected layer over the 400 values; its
    # S2/S4 scaled sums with a trainable factor are an average pool here (see spec.AvgPool), and its
    # partial C3 connection table is a full one, as in every modern re-implementation.
    "lenet5": {
        "input_size": 32, "in_channels": 1,
        "layers": [_conv(6, 5), _kind("tanh"), _pool("avgpool"), _conv(16, 5), _kind("tanh"), _pool("avgpool"),
                   _kind("flatten"), _fc(120), _kind("tanh"), _fc(84), _kind("tanh")],
    },
    # Four filters per layer: few enough that each one, and what it does to a drawing, can be followed.
    "tiny": {
        "input_size": 28, "in_channels": 1,
        "layers": [_conv(4, 5, padding=2), _kind("relu"), _pool(), _conv(4, 5), _kind("relu"), _pool(),
                   _kind("flatten")],
    },
    # Keras's CIFAR-10 example network (32, 64, 64 3x3 filters, a 64-unit fc layer), for 28x28 grey
    # drawings: 28 -> 26 -> 13 -> 11 -> 5 -> 3, then 576 values into fc 64.
    "deeper": {
        "input_size": 28, "in_channels": 1,
        "layers": [_conv(32, 3), _kind("relu"), _pool(), _conv(64, 3), _kind("relu"), _pool(),
                   _conv(64, 3), _kind("relu"), _kind("flatten"), _fc(64), _kind("relu")],
    },
}


def preset_spec(name: str, classes: Sequence[str]) -> ModelSpec:
    """The preset ``name`` for ``classes``."""
    if name not in PRESETS:
        raise CnnDesktopError(f"no network preset {name!r}; presets are {', '.join(PRESETS)}")
    return check_design(ModelSpec.from_dict({**PRESETS[name], "classes": list(classes)}))


def arch_spec(arch: str, classes: Sequence[str]) -> tuple[ModelSpec, str | None]:
    """The network ``arch`` names (a preset, or a JSON file of a description) for ``classes``, checked
    to run and to keep within the limits; and a note when the file's own classes were replaced.

    Every problem is one CnnDesktopError line; a file's names the file."""
    if arch in PRESETS:
        return preset_spec(arch, classes), None
    path = Path(arch)
    if not path.exists() and not arch.endswith(".json"):
        raise CnnDesktopError(f"--arch {arch!r}: neither a network preset ({', '.join(PRESETS)}) nor a file")
    data = read_arch_file(path)
    note = None
    given = data.get("classes")
    if given is not None and given != list(classes):
        note = (f"{path}: its classes {listed(given if isinstance(given, list) else [given])} are replaced by "
                f"the {len(classes)} being trained")
    try:
        spec = ModelSpec.from_dict({**data, "classes": list(classes)})
        return check_design(spec), note
    except CnnDesktopError as error:
        raise CnnDesktopError(at(path, one_line(error, 250))) from None


def read_arch_file(path: Path) -> dict[str, Any]:
    """The JSON object in a description file, or CnnDesktopError naming the file and the problem."""
    if path.is_dir():
        raise CnnDesktopError(at(path, "is a folder, not a network description"))
    if path.exists() and not path.is_file():  # a FIFO would block the read until someone writes to it
        raise CnnDesktopError(at(path, "not a regular file"))
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_ARCH_FILE_BYTES + 1)
    except FileNotFoundError:
        raise CnnDesktopError(at(path, "no such file")) from None
    except OSError as error:
        raise CnnDesktopError(at(path, f"cannot read ({describe_error(error)})")) from None
    if len(data) > MAX_ARCH_FILE_BYTES:
        raise CnnDesktopError(at(path, f"larger than {MAX_ARCH_FILE_BYTES // 1024} kB: not a network description"))
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise CnnDesktopError(at(path, f"not JSON ({one_line(error)})")) from None
    if not isinstance(parsed, dict):
        raise CnnDesktopError(at(path, f"a network description is a JSON object, not a {type(parsed).__name__}"))
    return parsed


def preset_json(name: str) -> str:
    """A preset as the JSON a person can save, edit and give to ``train --arch``."""
    return json.dumps(PRESETS[name], indent=2)
