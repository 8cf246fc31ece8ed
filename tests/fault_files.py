"""Bad and odd input files shared by the command-line and app fault tests (tests/ is on sys.path: it
holds the root conftest.py). Each builder writes into a given folder and returns the paths."""

from __future__ import annotations

import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

TICKS = ("tick", "cross")


class PlantsAMarker:
    """Unpickling this creates a file: the proof that a loader ran code from the file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def tick_pixels(size: int = 60) -> np.ndarray:
    """A dark tick on white paper, 8-bit grey."""
    image = np.full((size, size), 255, np.uint8)
    for i in range(size // 3):
        image[size // 2 + i // 2 - 2 : size // 2 + i // 2 + 2, size // 6 + i] = 0
    for i in range(size // 2):
        image[size * 2 // 3 - i - 2 : size * 2 // 3 - i + 2, size // 2 + i // 2] = 0
    return image


def bar(vertical: bool) -> np.ndarray:
    """A 28x28 network input (ink 1 on 0): a horizontal or vertical bar."""
    image = np.zeros((28, 28), np.float32)
    image[5:23, 12:16] = 1
    return image.T.copy() if vertical else image


def idx(array: np.ndarray, magic: int | None = None) -> bytes:
    magic = (0x08 << 8) | array.ndim if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


# What loading each bad model file must say (after "<path>: ").
BAD_MODEL_WORDS = {
    "empty.safetensors": ["the file is empty"],
    "truncated.safetensors": ["corrupt or truncated weights"],
    "random.safetensors": ["not a cnn-desktop model"],
    "huge-header.safetensors": ["header claims 4611686018427387904 bytes"],
    "grafted.safetensors": ["weights do not fit the model's description"],
    "input30.safetensors": ["30x30 images", "28x28 drawings"],
    "evil.safetensors": ["pickle", "never opened"],
    "overflow.safetensors": ["weights overflow: a blank or full drawing gives non-finite outputs"],
    "escape-classes.safetensors": [r"class name '\x1b[2J\x1b[31mtick\n'", "cannot be shown"],
    "10000-classes.safetensors": ["a model of 10,000 classes; cnn-desktop handles at most 1,000"],
}
# Not files at all, where a model file is expected (see special_model_files).
SPECIAL_MODEL_WORDS = {
    "fifo.safetensors": ["not a regular file (a FIFO)"],
    "zero.safetensors": ["not a regular file (a character device)"],
}


def model_files(root: Path) -> dict[str, Path]:
    """Good models ("ticks", "digits": another number of classes, "small": another architecture that
    reads 28x28 drawings) and every file of BAD_MODEL_WORDS; "marker" is the file the pickle creates."""
    from cnn_desktop.core.network import spec as spec_module
    from cnn_desktop.core.network.checkpoint import model_to_bytes, save_model
    from cnn_desktop.core.network.model import build_model
    from cnn_desktop.core.network.spec import Conv, Dense, Flatten, MaxPool, ModelSpec, ReLU, lenet_spec

    root.mkdir(parents=True, exist_ok=True)
    f = {name: root / name for name in BAD_MODEL_WORDS}
    ticks = build_model(lenet_spec(TICKS), seed=0)
    f["ticks"] = root / "ticks.safetensors"
    save_model(f["ticks"], ticks)
    f["digits"] = root / "digits.safetensors"
    save_model(f["digits"], build_model(lenet_spec(), seed=0))
    f["small"] = root / "small.safetensors"
    small = ModelSpec(TICKS, (Conv(4, 3), ReLU(), MaxPool(), Flatten(), Dense(8), ReLU()))
    save_model(f["small"], build_model(small, seed=0), history=[{"epoch": 1}])  # a trained model
    good = model_to_bytes(ticks)
    f["empty.safetensors"].write_bytes(b"")
    f["truncated.safetensors"].write_bytes(good[: len(good) // 2])
    f["random.safetensors"].write_bytes(np.random.default_rng(5).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    f["huge-header.safetensors"].write_bytes(struct.pack("<Q", 2**62) + b"{}")
    # Another architecture's weights under this one's description (edited by hand, or by a bug).
    other = model_to_bytes(build_model(ModelSpec(TICKS, (Conv(6), ReLU(), MaxPool(), Flatten())), seed=0))
    size = struct.unpack("<Q", other[:8])[0]
    header = json.loads(other[8 : 8 + size])
    header["__metadata__"]["spec"] = lenet_spec(TICKS).to_json()
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    f["grafted.safetensors"].write_bytes(struct.pack("<Q", len(raw)) + raw + other[8 + size :])
    # 32x32 is LeNet-5's input, which the model pads itself; 30x30 is no input cnn-desktop can feed.
    spec30 = ModelSpec(TICKS, (Conv(4, 5), ReLU(), MaxPool(), Flatten()), input_size=30)
    save_model(f["input30.safetensors"], build_model(spec30, seed=0))
    f["marker"] = root / "pwned"
    f["evil.safetensors"].write_bytes(pickle.dumps(PlantsAMarker(f["marker"])))
    overflowing = build_model(lenet_spec(TICKS), seed=0)
    with torch.no_grad():
        for tensor in overflowing.parameters():
            tensor.fill_(3e38)  # finite, but a drawing's outputs are inf and NaN
    save_model(f["overflow.safetensors"], overflowing)
    # Class names as another program could write them: escape codes that clear the terminal, a line break.
    good_size = struct.unpack("<Q", good[:8])[0]
    escaped = json.loads(good[8 : 8 + good_size])
    description = {**lenet_spec(TICKS).to_dict(), "classes": ["\x1b[2J\x1b[31mtick\n", "cross"]}
    escaped["__metadata__"]["spec"] = json.dumps(description)
    raw = json.dumps(escaped).encode()
    raw += b" " * (-len(raw) % 8)
    f["escape-classes.safetensors"].write_bytes(struct.pack("<Q", len(raw)) + raw + good[8 + good_size :])
    with pytest.MonkeyPatch.context() as patch:  # no longer allowed, but other versions could write it
        patch.setattr(spec_module, "MAX_CLASSES", 10**6, raising=False)
        save_model(f["10000-classes.safetensors"],
                   build_model(lenet_spec(tuple(f"class {i}" for i in range(10_000))), seed=0))
    return f


def special_model_files(root: Path) -> dict[str, Path]:
    """Every file of SPECIAL_MODEL_WORDS: a FIFO nobody writes to, a symlink to /dev/zero."""
    root.mkdir(parents=True, exist_ok=True)
    f = {name: root / name for name in SPECIAL_MODEL_WORDS}
    os.mkfifo(f["fifo.safetensors"])
    f["zero.safetensors"].symlink_to("/dev/zero")
    return f


def release_fifo_readers(paths) -> None:
    """Let a reader stuck opening one of these FIFOs go on (it then reads nothing): without this, a
    loader that blocks on a FIFO (the bug) would keep a test's thread waiting forever."""
    for path in paths:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # fails (ENXIO) when no reader waits
        except OSError:
            pass


def image_files(root: Path) -> dict[str, Path]:
    """The same tick as a plain PNG and as odd but valid ones; and images that cannot be used."""
    root.mkdir(parents=True, exist_ok=True)
    f = {name: root / name for name in ["tick.png", "zero.png", "text.png", "cut.png", "1x1.png", "1x1-black.png",
                                        "10000.png", "16bit.png", "palette.png", "grey-alpha.png"]}
    Image.fromarray(tick_pixels()).save(f["tick.png"])
    f["zero.png"].write_bytes(b"")
    f["text.png"].write_bytes(b"this is not a picture\n" * 20)
    png = f["tick.png"].read_bytes()
    f["cut.png"].write_bytes(png[: len(png) // 2])
    f["folder.png"] = root / "folder.png"  # a folder: cannot be read as a file
    f["folder.png"].mkdir(exist_ok=True)
    Image.new("L", (1, 1), 255).save(f["1x1.png"])
    Image.new("L", (1, 1), 0).save(f["1x1-black.png"])
    big = np.full((10000, 10000), 255, np.uint8)
    big[2000:8000, 2000:8000] = np.asarray(Image.fromarray(tick_pixels()).resize((6000, 6000), Image.NEAREST))
    Image.fromarray(big).save(f["10000.png"], compress_level=1)
    Image.fromarray(tick_pixels().astype(np.uint16) * 257).save(f["16bit.png"])
    Image.fromarray(tick_pixels()).convert("P").save(f["palette.png"])
    alpha = np.stack([np.zeros((60, 60), np.uint8), 255 - tick_pixels()], axis=-1)  # ink as opacity
    Image.fromarray(alpha, "LA").save(f["grey-alpha.png"])
    return f


def idx_folders(root: Path) -> dict[str, Path]:
    """MNIST-style IDX pairs, each broken one way: "idx-magic", "idx-counts", "idx-truncated"."""
    rng = np.random.default_rng(0)
    digits = (rng.random((6, 28, 28)) > 0.8).astype(np.uint8) * 255
    labels = np.arange(6, dtype=np.uint8) % 10
    folders = {}
    for name, images_data, labels_data in [
        ("idx-magic", idx(digits, magic=0x0903), idx(labels)),
        ("idx-counts", idx(digits), idx(labels[:4])),
        ("idx-truncated", idx(digits)[:-50], idx(labels)),
    ]:
        folder = root / name
        folder.mkdir(parents=True)
        (folder / "train-images-idx3-ubyte").write_bytes(images_data)
        (folder / "train-labels-idx1-ubyte").write_bytes(labels_data)
        folders[name] = folder
    return folders
