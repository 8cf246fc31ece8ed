"""Every command of the README's "Command line" block runs, as a newcomer without ../shared would run it.

`download mnist` fetches from a local server on 127.0.0.1 standing in for the mirrors (tests never
reach the network), serving a small MNIST-format set of drawn digits with its own checksums; everything
after it uses what it fetched. The app itself (the bare `cnn-desktop` line) is tested elsewhere.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shlex
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnn_desktop.cli import main
from cnn_desktop.core.data import download
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.synth import digit_drawings
from mirror_server import MirrorServer

README = Path(__file__).resolve().parents[1] / "README.md"


def command_line_examples() -> list[str]:
    section = README.read_text().split("## Command line", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL).group(1)
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line and line != "cnn-desktop"]


def _idx(magic: int, array: np.ndarray) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def small_mnist() -> dict[str, bytes]:
    """MNIST's four files in their real format and names, holding 200 + 50 drawn digits."""
    files = {}
    for split, per_class, seed in (("train", 20, 0), ("t10k", 5, 1)):
        strokes, labels = digit_drawings(per_class, seed)
        images = np.stack([preprocess(s) * 255 for s in strokes]).round()
        files[f"{split}-images-idx3-ubyte.gz"] = _idx(0x803, images)
        files[f"{split}-labels-idx1-ubyte.gz"] = _idx(0x801, labels)
    return files


@pytest.fixture
def local_mirror(monkeypatch):
    data = small_mnist()
    server = MirrorServer(data)
    files = tuple(download.RemoteFile(name, hashlib.md5(body).hexdigest(), len(body)) for name, body in data.items())
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    monkeypatch.setitem(download.download_mnist.__kwdefaults__, "mirrors", (server.url("mirror"),))
    monkeypatch.setitem(download.download_mnist.__kwdefaults__, "files", files)
    monkeypatch.setitem(download.download_mnist.__kwdefaults__, "opener", no_proxy)
    monkeypatch.setitem(download.mnist_available.__kwdefaults__, "files", files)
    yield server
    server.close()


@pytest.mark.slow
def test_every_command_line_example_of_the_readme_runs(tmp_path, monkeypatch, local_mirror, capsys):
    monkeypatch.chdir(tmp_path)
    strokes, _ = digit_drawings(1, seed=9)  # the images the predict example names
    ink = (preprocess(strokes[3]) * 255).astype(np.uint8)
    Image.fromarray(255 - ink).resize((200, 200)).save("my-drawing.png")
    Image.fromarray(ink).convert("RGB").resize((90, 90)).save("another.jpg")

    examples = command_line_examples()
    assert any(line.startswith("cnn-desktop download mnist") for line in examples)
    for line in examples:
        args = shlex.split(line)
        assert args[0] == "cnn-desktop"
        assert main(args[1:]) == 0, f"{line}\n{capsys.readouterr().err}"
        capsys.readouterr()
    assert local_mirror.requests("/mirror/")  # the download really went to the local server
    assert Path("digits.safetensors").is_file() and Path("ticks.safetensors").is_file()
