"""Collections and image folders holding what the app never writes: symlink loops, FIFOs, sockets,
devices, dangling links, stray folders, undecodable files and odd file names (issue 13, item 6).

Each is skipped, never followed into a loop, never blocks, and is reported as one "<file>: <reason>"
line; reading a collection changes no byte on disk. Every test here failed before the fix.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import signal
import socket
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from cnn_desktop.cli import main
from cnn_desktop.core.data import readers
from cnn_desktop.core.data.classes import DIGIT_CLASSES
from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.datasets import load_dataset
from cnn_desktop.core.data.example_png import STROKES_KEY
from cnn_desktop.core.data.readers import list_image_folder
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.errors import DataError

TICKS = ("tick", "cross")
RESOURCES = Path(__file__).resolve().parents[2] / "cnn_desktop" / "resources" / "models"


def bar(vertical: bool) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 12:16] = 1
    return image.T.copy() if vertical else image


@pytest.fixture(autouse=True)
def never_blocks():
    """A FIFO opened without O_NONBLOCK waits forever for a writer: fail instead of hanging."""
    def stuck(*_):
        raise TimeoutError("blocked for 30 s: something opened a FIFO or walked a loop")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def add_socket(path: Path) -> bool:
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
    except OSError:  # the path is longer than a socket address may be
        return False
    finally:
        server.close()
    return True


def special_entries(folder: Path) -> list[str]:
    """Put every kind of entry the app never writes into ``folder``; the names of those made."""
    made = []
    (folder / "loop.png").symlink_to("loop.png")  # ELOOP on stat
    (folder / "ping.png").symlink_to("pong.png")
    (folder / "pong.png").symlink_to("ping.png")
    (folder / "gone.png").symlink_to("nowhere.png")
    os.mkfifo(folder / "fifo.png")
    (folder / "null.png").symlink_to(os.devnull)  # a character device
    made += ["loop.png", "ping.png", "pong.png", "gone.png", "fifo.png", "null.png"]
    if add_socket(folder / "s.png"):
        made.append("s.png")
    return made


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (not following links) and what it holds: any change shows."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = os.lstat(path)
            if Path(path).is_symlink():
                what = "link " + os.readlink(path)
            elif os.path.isfile(path) and not os.path.islink(path):
                what = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                what = oct(info.st_mode)
            found[str(path.relative_to(root))] = f"{what} {info.st_mtime_ns}"
    return found


# --- symlink loops, special files ------------------------------------------------------------------


def test_symlink_loops_and_special_files_in_a_collection_are_skipped_and_reported(tmp_path):
    store = DrawingStore(tmp_path / "c", TICKS)
    good = [store.add("tick", bar(False)), store.add("cross", bar(True))]
    made = special_entries(store.root / "tick")
    (store.root / "self").symlink_to("self")  # a loop where class folders are
    os.mkfifo(store.root / "pipe")

    again = DrawingStore(store.root, TICKS)
    assert again.examples() == good
    assert again.counts() == {"tick": 1, "cross": 1}
    images, labels = again.arrays()
    assert labels.tolist() == [0, 1]
    reported = "\n".join(again.skipped)
    for name in made:
        assert f"{store.root / 'tick' / name}: " in reported, (name, reported)
    assert f"{store.root / 'self'}: " in reported and f"{store.root / 'pipe'}: " in reported
    assert all("\n" not in line for line in again.skipped)
    assert "a FIFO" in reported and "symbolic links" in reported and "broken link" in reported
    assert again.classes == TICKS


def test_a_label_folder_that_cannot_be_listed_is_reported_and_the_rest_still_reads(tmp_path, monkeypatch):
    store = DrawingStore(tmp_path / "c", TICKS)
    kept = store.add("tick", bar(False))
    store.add("cross", bar(True))
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "cross":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    again = DrawingStore(store.root, TICKS)
    assert again.examples() == [kept] and again.counts() == {"tick": 1, "cross": 0}
    assert any(line.startswith(f"{store.root / 'cross'}: cannot list (Permission denied)") for line in again.skipped)


def test_a_file_that_cannot_be_opened_is_reported(tmp_path, monkeypatch):
    store = DrawingStore(tmp_path / "c", TICKS)
    locked = store.add("tick", bar(False))
    kept = store.add("cross", bar(True))
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if str(path) == str(locked.path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    again = DrawingStore(store.root, TICKS)
    assert again.counts() == {"tick": 0, "cross": 1}
    assert again.arrays()[1].tolist() == [1]
    assert f"{locked.path}: cannot open (Permission denied)" in again.skipped
    assert again.raster(kept.id).shape == (28, 28)


@pytest.mark.parametrize("command", ["evaluate", "train"])
def test_evaluate_and_train_read_a_collection_holding_loops_and_fifos(tmp_path, capsys, command):
    store = DrawingStore(tmp_path / "c", TICKS)
    store.add_many(("tick" if i % 2 else "cross", bar(i % 2 == 1), None) for i in range(12))
    special_entries(store.root / "tick")
    (store.root / "self").symlink_to("self")
    if command == "evaluate":
        args = ["evaluate", "--model", RESOURCES / "ticks-crosses.safetensors", store.root]
    else:
        args = ["train", "--preset", "ticks-crosses", "--data", store.root, "--epochs", "1",
                "--out", tmp_path / "m.safetensors"]
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"skipped {store.root / 'tick' / 'fifo.png'}: not a regular file (a FIFO)" in err, err


# --- stray folders -----------------------------------------------------------------------------------


def test_stray_folders_are_reported_never_classes(tmp_path):
    store = DrawingStore(tmp_path / "c", TICKS)
    store.add("tick", bar(False))
    store.add("cross", bar(True))
    junk = store.root / "junk"
    junk.mkdir()
    for i in range(3):  # even real drawings: a folder nobody made a class is not one
        Image.fromarray((bar(False) * 255).astype(np.uint8)).save(junk / f"{i}.png")
    (store.root / "my notes").mkdir()
    (store.root / "my notes" / "todo.txt").write_text("x")
    (store.root / "up").symlink_to("..")
    Image.fromarray((bar(False) * 255).astype(np.uint8)).save(tmp_path / "above.png")
    marker = (store.root / MARKER_NAME).read_bytes()

    again = DrawingStore(store.root, TICKS)

    assert again.classes == TICKS
    assert again.counts() == {"tick": 1, "cross": 1}
    assert again.arrays()[1].tolist() == [0, 1]
    assert f"{junk}: not a class: junk/ (3 files), ignored" in again.skipped
    assert f"{store.root / 'my notes'}: not a class: my notes/ (1 file), ignored" in again.skipped
    assert any(line.startswith(f"{store.root / 'up'}: not a class: up/ (a link") for line in again.skipped)
    assert (store.root / MARKER_NAME).read_bytes() == marker
    dataset = load_dataset(store.root, TICKS)  # training is not blocked by the strays
    assert len(dataset) == 2 and f"{junk}: not a class: junk/ (3 files), ignored" in dataset.skipped


def test_classes_the_marker_lists_stay_classes(tmp_path):
    store = DrawingStore(tmp_path / "c", TICKS)
    store.relabel(store.add("tick", bar(False)).id, "maybe")  # a class added through the store
    again = DrawingStore(store.root, TICKS)
    assert again.classes == ("tick", "cross", "maybe") and again.counts()["maybe"] == 1


# --- skipped files are reported ----------------------------------------------------------------------


def png_bytes(pixels: np.ndarray, text: str | None = None, zipped: bytes | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if text is not None:
        info.add_text(STROKES_KEY, text, zip=True)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", pnginfo=info)
    data = buffer.getvalue()
    if zipped is not None:  # a zTXt chunk holding these bytes as its compressed text, before IDAT
        body = STROKES_KEY.encode() + b"\0\0" + zipped
        chunk = len(body).to_bytes(4, "big") + b"zTXt" + body + zlib.crc32(b"zTXt" + body).to_bytes(4, "big")
        data = data[:33] + chunk + data[33:]
    return data


def test_skipped_files_are_reported_and_not_counted(tmp_path):
    store = DrawingStore(tmp_path / "c", TICKS)
    good = store.add("tick", bar(False), Strokes.from_points([[(0, 0), (10, 10)]]))
    store.add("cross", bar(True))
    folder = store.root / "tick"
    original = good.path.read_bytes()
    idat = original.index(b"IDAT")
    broken_pixels = bytearray(original)
    broken_pixels[idat + 6: idat + 12] = b"\xff" * 6  # header and end intact: only decoding notices
    bomb = zlib.compress(b"[" + b" " * (PngImagePlugin.MAX_TEXT_CHUNK + 10) + b"]", 9)
    cases = {
        "cut.png": (original[:-20], "truncated"),
        "empty.png": (b"", "empty file"),
        "text.png": (b"just some notes\n", "not a PNG file"),
        "pixels.png": (bytes(broken_pixels), "cannot be decoded"),
        "strokes.png": (png_bytes((bar(False) * 255).astype(np.uint8), zipped=bomb), "cannot be decoded"),
        "huge.png": (original + b"\0" * (5 << 20), "too large"),
    }
    for name, (data, _) in cases.items():
        (folder / name).write_bytes(data)

    again = DrawingStore(store.root, TICKS)
    assert again.counts() == {"tick": 1, "cross": 1}  # undecodable files are not counted
    for name, (_, reason) in cases.items():
        lines = [line for line in again.skipped if line.startswith(f"{folder / name}: ")]
        assert len(lines) == 1 and reason in lines[0], (name, again.skipped)
    images, labels = again.arrays()
    assert labels.tolist() == [0, 1] and len(again.skipped) == len(cases)
    dataset = load_dataset(store.root, TICKS)
    assert len(dataset) == 2 and sorted(dataset.skipped) == sorted(again.skipped)


def test_counts_follow_files_that_change(tmp_path):
    store = DrawingStore(tmp_path / "c", TICKS)
    example = store.add("tick", bar(False))
    store.add("cross", bar(True))
    assert store.counts() == {"tick": 1, "cross": 1}
    data = bytearray(example.path.read_bytes())
    idat = data.index(b"IDAT")
    data[idat + 6: idat + 12] = b"\xff" * 6
    example.path.write_bytes(bytes(data))  # same size, same inode, maybe the same time stamp
    # Rewritten in place, the folder's time stays: counts() sees it once a full read has (check=True,
    # or arrays(), which training reads), and from then on.
    assert store.counts(check=True) == {"tick": 0, "cross": 1}
    assert store.counts() == {"tick": 0, "cross": 1}
    store.remove(example.id)
    assert store.counts() == {"tick": 0, "cross": 1} and store.skipped == ()


# --- odd names ---------------------------------------------------------------------------------------


def test_oddly_named_files_can_be_seen_relabelled_and_deleted(tmp_path):
    store = DrawingStore(tmp_path / "c", TICKS)
    template = store.add("tick", bar(False)).path.read_bytes()
    names = ["a:b", "x" * 150, "tab\there", " spaced ", "caf\u00e9"]
    raw = os.fsencode(store.root / "tick") + b"/l\xe9gacy.png"  # not UTF-8: a name from an old system
    for name in names:
        (store.root / "tick" / f"{name}.png").write_bytes(template)
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT)
    os.write(fd, template)
    os.close(fd)

    listed = {example.path.name: example for example in store.examples()}
    assert store.counts()["tick"] == len(names) + 2 and len(listed) == len(names) + 2
    for name in names:
        example = listed[f"{name}.png"]
        assert example.id == name  # a name that is text is its own id
        assert store.raster(example.id).shape == (28, 28) and store.strokes(example.id) is None
    odd = listed[os.fsdecode(b"l\xe9gacy.png")]
    odd.id.encode("utf-8")  # the id is text that can be shown, printed and passed through Qt
    assert store.raster(odd.id).shape == (28, 28)

    moved = store.relabel(listed["a:b.png"].id, "cross")
    assert moved.path == store.root / "cross" / "a:b.png" and moved.path.is_file()
    store.remove(odd.id)
    store.remove(listed["x" * 150 + ".png"].id)
    assert not os.path.exists(raw)
    assert store.counts() == {"tick": len(names) - 1, "cross": 1} and store.skipped == ()


# --- reading never writes ----------------------------------------------------------------------------


def test_reading_a_collection_changes_no_byte(tmp_path, capsys):
    digits = DrawingStore(tmp_path / "digits", DIGIT_CLASSES)
    ticks = DrawingStore(tmp_path / "ticks", TICKS)
    for i in range(10):
        digits.add(DIGIT_CLASSES[i], bar(i % 2 == 0))
    ticks.add_many(("tick" if i % 2 else "cross", bar(i % 2 == 1), None) for i in range(8))
    for store in (digits, ticks):  # what opening for writing would tidy: a stray folder, an old temp file
        (store.root / "junk").mkdir()
        (store.root / "junk" / "a.png").write_bytes(b"x")
        temp = store.root / store.classes[0] / ".0000000000000001-abcdef.png.0123abcd.tmp"
        temp.write_bytes(b"\x89PNG")
        os.utime(temp, (time.time() - 3600,) * 2)
    model = RESOURCES / "ticks-crosses.safetensors"
    before = {root: tree_digest(root) for root in (digits.root, ticks.root)}

    assert main(["evaluate", "--model", str(model), str(digits.root)]) == 2  # refused: digits are no ticks
    assert "are not classes of this model" in capsys.readouterr().err
    assert main(["evaluate", "--model", str(model), str(ticks.root)]) == 0
    load_dataset(ticks.root, TICKS)
    load_dataset(digits.root)

    for root in (digits.root, ticks.root):
        assert tree_digest(root) == before[root]
    assert json.loads((digits.root / MARKER_NAME).read_text())["classes"] == list(DIGIT_CLASSES)


def test_a_store_opened_for_reading_refuses_to_write(tmp_path):
    store = DrawingStore(tmp_path / "c", TICKS)
    example = store.add("tick", bar(False))
    reader = DrawingStore(store.root, ("tick", "cross", "new"), read_only=True)
    assert reader.classes == ("tick", "cross", "new") and reader.examples() == [example]
    for write in (lambda: reader.add("tick", bar(False)), lambda: reader.remove(example.id),
                  lambda: reader.relabel(example.id, "cross")):
        with pytest.raises(DataError) as caught:
            write()
        assert "opened for reading" in str(caught.value)
    assert json.loads((store.root / MARKER_NAME).read_text())["classes"] == list(TICKS)
    with pytest.raises(DataError):
        DrawingStore(tmp_path / "missing", TICKS, read_only=True)
    assert not (tmp_path / "missing").exists()


# --- image folders -----------------------------------------------------------------------------------


def test_image_folders_skip_loops_special_files_and_links_above(tmp_path):
    root = tmp_path / "images"
    for label in TICKS:
        (root / label).mkdir(parents=True)
        Image.fromarray((bar(label == "cross") * 255).astype(np.uint8)).save(root / label / "0.png")
    made = special_entries(root / "tick")
    (root / "self").symlink_to("self")
    (root / "up").symlink_to("..")
    (root / "here").symlink_to(".")
    Image.fromarray((bar(False) * 255).astype(np.uint8)).save(tmp_path / "above.png")
    os.mkfifo(root / "pipe")

    skipped: list[str] = []
    pairs, labels = list_image_folder(root, skipped=skipped)
    assert labels == ["cross", "tick"] and len(pairs) == 2
    reported = "\n".join(skipped)
    for name in made:
        assert f"{root / 'tick' / name}: " in reported, (name, reported)
    for name in ("self", "up", "here"):
        assert f"{root / name}: " in reported, (name, reported)
    assert list_image_folder(root, allowed_labels=TICKS)[1] == ["cross", "tick"]  # no "unknown label 'up'"
    dataset = load_dataset(root, TICKS)
    assert len(dataset) == 2 and f"{root / 'tick' / 'fifo.png'}: not a regular file (a FIFO); ignored" in dataset.skipped


def test_read_image_never_blocks_on_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "fifo.png")
    with pytest.raises(DataError) as caught:
        readers.read_image(tmp_path / "fifo.png")
    assert str(caught.value) == f"{tmp_path / 'fifo.png'}: not a regular file (a FIFO)"
