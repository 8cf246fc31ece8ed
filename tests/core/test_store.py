"""Tests of cnn_desktop.core.data.store: the drawing collection on disk, its layout and its crash safety."""

from __future__ import annotations

import errno
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnn_desktop.core.errors import DataError
from cnn_desktop.core.data.readers import list_image_folder
from cnn_desktop.core.data import store as store_module
from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.store import DrawingStore, Example
from cnn_desktop.core.data.strokes import Strokes

REPO = Path(__file__).resolve().parents[2]
CLASSES = ("tick", "cross")


def drawing(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((28, 28), dtype=np.float32)


def strokes(seed: int) -> Strokes:
    rng = np.random.default_rng(seed)
    return Strokes.from_points([rng.random((5, 2)) * 280, rng.random((3, 2)) * 280])


def assert_same_strokes(a: Strokes, b: Strokes) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=0.051)  # stored rounded to 0.1 px


def assert_one_line_error(caught, *words: str) -> str:
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message
    return message


def visible_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def hidden_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob(".*") if p.is_file())


@pytest.fixture
def store(tmp_path) -> DrawingStore:
    return DrawingStore(tmp_path / "collection", CLASSES)


# --- round trips ---------------------------------------------------------------------------------


def test_add_list_counts_arrays_round_trip(store):
    labels = ["tick", "cross", "tick", "tick"]
    added = [store.add(label, drawing(i), strokes(i)) for i, label in enumerate(labels)]

    assert store.examples() == added  # oldest first
    assert [e.label for e in store.examples("tick")] == ["tick"] * 3
    assert store.counts() == {"tick": 3, "cross": 1}
    assert len(store) == 4
    for i, example in enumerate(added):
        assert example.path == store.root / example.label / f"{example.id}.png"
        np.testing.assert_allclose(store.raster(example.id), drawing(i), atol=0.5 / 255 + 1e-6)

    x, y = store.arrays()
    assert x.shape == (4, 28, 28) and x.dtype == np.float32
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 0, 0]
    np.testing.assert_allclose(x[1], drawing(1), atol=0.5 / 255 + 1e-6)
    assert store.problems == []


def test_empty_store(store):
    assert store.examples() == [] and len(store) == 0
    assert store.counts() == {"tick": 0, "cross": 0}
    x, y = store.arrays()
    assert x.shape == (0, 28, 28) and x.dtype == np.float32 and y.shape == (0,) and y.dtype == np.int64


def test_file_is_an_mnist_style_grey_png_with_strokes_inside(store):
    raster = np.zeros((28, 28), np.float32)
    raster[10:18, 12:15] = 1.0
    example = store.add("tick", raster, strokes(0))

    with Image.open(example.path) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "L", (28, 28))
        pixels = np.asarray(image)
        text = image.info["cnn-desktop-strokes"]
    assert pixels[0, 0] == 0 and pixels[12, 13] == 255  # white ink on black
    assert_same_strokes(Strokes.from_json(text), strokes(0))
    assert b"zTXt" in example.path.read_bytes()  # compressed text chunk


def test_strokes_survive_and_may_be_absent(store):
    with_strokes = store.add("tick", drawing(1), strokes(1))
    without = store.add("cross", drawing(2))
    assert_same_strokes(store.strokes(with_strokes.id), strokes(1))
    assert store.strokes(without.id) is None


def test_reopen_sees_everything(tmp_path):
    root = tmp_path / "c"
    first = DrawingStore(root, CLASSES)
    added = [first.add(label, drawing(i), strokes(i)) for i, label in enumerate(["cross", "tick", "cross"])]

    again = DrawingStore(root, CLASSES)

    assert again.examples() == added
    assert again.classes == CLASSES
    for i, example in enumerate(added):
        np.testing.assert_array_equal(again.raster(example.id), first.raster(example.id))
        assert_same_strokes(again.strokes(example.id), strokes(i))
    marker = json.loads((root / MARKER_NAME).read_text())
    assert marker == {"format": "cnn-desktop-collection", "version": 1, "classes": ["tick", "cross"]}


def test_classes_found_on_disk_are_kept_and_appended(tmp_path):
    root = tmp_path / "c"
    DrawingStore(root, CLASSES).add("circle", drawing(0))  # a new label becomes a class

    reopened = DrawingStore(root, ("cross", "tick", "square"))

    assert reopened.classes == ("cross", "tick", "square", "circle")
    assert reopened.counts() == {"cross": 0, "tick": 0, "square": 0, "circle": 1}
    assert reopened.arrays()[1].tolist() == [3]
    assert json.loads((root / MARKER_NAME).read_text())["classes"] == ["cross", "tick", "square", "circle"]


def test_collection_is_readable_as_an_image_folder(store):
    store.add("tick", drawing(0))
    store.add("cross", drawing(1))
    pairs, labels = list_image_folder(store.root)
    assert labels == ["cross", "tick"] and len(pairs) == 2


def test_ids_sort_by_creation_and_are_unique(store):
    added = store.add_many(("tick", drawing(0), None) for _ in range(300))
    ids = [example.id for example in added]
    assert len(set(ids)) == 300
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]{6}", i) for i in ids)
    created_ns = int(ids[0].split("-")[0], 16)
    assert abs(created_ns - time.time_ns()) < 60e9  # the prefix is the creation time


def test_add_many_round_trip(store):
    items = [("tick" if i % 3 else "cross", drawing(i), strokes(i) if i % 2 else None) for i in range(20)]
    added = store.add_many(iter(items))
    assert [e.label for e in added] == [label for label, _, _ in items]
    assert store.examples() == added
    assert store.strokes(added[1].id) is not None and store.strokes(added[0].id) is None
    assert store.counts() == {"tick": 13, "cross": 7}


def test_add_many_stops_at_a_bad_item_and_keeps_the_ones_before(store):
    items = [("tick", drawing(0), None), ("cross", drawing(1), None), ("bad/label", drawing(2), None), ("tick", drawing(3), None)]
    with pytest.raises(DataError):
        store.add_many(items)
    assert store.counts() == {"tick": 1, "cross": 1}


def test_remove(store):
    keep = store.add("tick", drawing(0))
    gone = store.add("tick", drawing(1))
    store.remove(gone.id)
    assert store.examples() == [keep]
    assert not gone.path.exists()
    with pytest.raises(DataError) as caught:
        store.remove(gone.id)
    assert_one_line_error(caught, str(store.root), gone.id)


def test_relabel(store):
    example = store.add("tick", drawing(3), strokes(3))
    before = example.path.read_bytes()

    moved = store.relabel(example.id, "cross")

    assert moved == Example(example.id, "cross", store.root / "cross" / example.path.name)
    assert not example.path.exists() and moved.path.read_bytes() == before
    assert store.examples() == [moved] and store.counts() == {"tick": 0, "cross": 1}
    assert store.relabel(example.id, "cross") == moved  # same label: nothing to do
    assert store.relabel(example.id, "maybe").label == "maybe"
    assert store.classes == ("tick", "cross", "maybe")


@pytest.mark.parametrize("example_id", ["nope", "", "../tick", "..", "a/b", "18e9f94b0692577a-c8a0a6"])
def test_unknown_ids(store, example_id):
    store.add("tick", drawing(0))
    for call in (store.raster, store.strokes, store.remove, lambda i: store.relabel(i, "cross")):
        with pytest.raises(DataError) as caught:
            call(example_id)
        assert_one_line_error(caught, str(store.root), "no example with id")


@pytest.mark.parametrize("label", ["", ".hidden", "..", "a/b", "a\\b", "nul\0", "tab\t", " padded", "x" * 101, MARKER_NAME, 7])
def test_labels_are_validated(store, label):
    before = sorted(store.root.iterdir())
    with pytest.raises(DataError) as caught:
        store.add(label, drawing(0))
    assert_one_line_error(caught, str(store.root), "bad label")
    assert sorted(store.root.iterdir()) == before
    with pytest.raises(DataError):
        DrawingStore(store.root, ["tick", label])


@pytest.mark.parametrize(
    "raster, words",
    [
        (np.zeros((28, 27), np.float32), "must be 28x28"),
        (np.full((28, 28), 255, np.uint8), "must be in [0, 1]"),
        (np.full((28, 28), np.nan, np.float32), "non-finite"),
        ("not an array", "not numeric"),
    ],
)
def test_rasters_are_validated(store, raster, words):
    with pytest.raises(DataError) as caught:
        store.add("tick", raster)
    assert_one_line_error(caught, str(store.root), words)
    assert store.examples() == [] and hidden_files(store.root) == []


def test_new_collection_in_a_new_or_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    for root in (tmp_path / "deep" / "new", tmp_path / "empty"):
        DrawingStore(root, CLASSES)
        assert (root / MARKER_NAME).is_file()


def test_refuses_to_adopt_a_non_empty_folder(tmp_path):
    (tmp_path / "holiday.jpg").write_bytes(b"x")
    with pytest.raises(DataError) as caught:
        DrawingStore(tmp_path, CLASSES)
    assert_one_line_error(caught, str(tmp_path), "not a cnn-desktop collection")
    assert not (tmp_path / MARKER_NAME).exists()


@pytest.mark.parametrize(
    "marker, words",
    [
        ("{not json", "unreadable collection marker"),
        ('{"format": "something-else", "version": 1}', "not a collection marker"),
        ('{"format": "cnn-desktop-collection", "version": 2, "classes": []}', "newer"),
        ('{"format": "cnn-desktop-collection", "version": 1, "classes": ["../x"]}', "malformed"),
    ],
)
def test_bad_markers(tmp_path, marker, words):
    (tmp_path / MARKER_NAME).write_text(marker)
    with pytest.raises(DataError) as caught:
        DrawingStore(tmp_path, CLASSES)
    assert_one_line_error(caught, str(tmp_path / MARKER_NAME), words)


def test_root_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError) as caught:
        DrawingStore(tmp_path / "file", CLASSES)
    assert_one_line_error(caught, str(tmp_path / "file"), "not a folder")


# --- damaged files and leftovers -----------------------------------------------------------------


def test_damaged_files_are_skipped_and_reported(store):
    good = store.add("tick", drawing(0), strokes(0))
    victim = store.add("tick", drawing(1))
    folder = store.root / "tick"
    (folder / "garbage.png").write_bytes(b"not a png at all")
    (folder / "empty.png").write_bytes(b"")
    (folder / "cut.png").write_bytes(good.path.read_bytes()[:-20])
    Image.new("L", (10, 10)).save(folder / "small.png")
    # Damaged inside the pixel data but with an intact header and end: only decoding notices.
    data = bytearray(victim.path.read_bytes())
    idat = data.index(b"IDAT")
    data[idat + 6 : idat + 12] = b"\xff" * 6
    victim.path.write_bytes(bytes(data))

    assert store.examples() == [good, victim]
    reported = "\n".join(store.problems)
    assert len(store.problems) == 4
    for name in ("garbage.png", "empty.png", "cut.png", "small.png"):
        assert str(folder / name) in reported

    x, y = store.arrays()
    assert x.shape == (1, 28, 28) and y.tolist() == [0]
    assert any(str(victim.path) in problem for problem in store.problems)
    with pytest.raises(DataError) as caught:
        store.raster(victim.id)
    assert_one_line_error(caught, str(victim.path))


def test_damaged_strokes_raise_data_error(store):
    example = store.add("tick", drawing(0), None)
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("cnn-desktop-strokes", "[[1, 2, 3", zip=True)
    Image.open(example.path).save(example.path, pnginfo=info)
    with pytest.raises(DataError) as caught:
        store.strokes(example.id)
    assert_one_line_error(caught, str(example.path), "malformed strokes")


def test_stale_temp_files_are_ignored_and_cleaned_at_open(store):
    example = store.add("tick", drawing(0))
    stale = [store.root / "tick" / f".{example.id}.png.0123abcd.tmp", store.root / f".{MARKER_NAME}.deadbeef.tmp"]
    stale[0].write_bytes(example.path.read_bytes()[:30])
    stale[1].write_text("{")
    an_hour_ago = time.time() - 3600
    for path in stale:
        os.utime(path, (an_hour_ago, an_hour_ago))
    # Another store on the same collection may be writing this one right now: it must survive.
    in_flight = store.root / "cross" / ".18e9f94b0692577a-c8a0a6.png.89abcdef.tmp"
    in_flight.parent.mkdir()
    in_flight.write_bytes(b"\x89PNG")
    other_hidden = store.root / "tick" / ".DS_Store"
    other_hidden.write_text("x")
    os.utime(other_hidden, (an_hour_ago, an_hour_ago))

    assert store.examples() == [example] and store.problems == []
    DrawingStore(store.root, CLASSES)
    assert not any(p.exists() for p in stale)
    assert in_flight.exists()
    assert other_hidden.exists()  # only our own temp files are deleted


# --- write failures: read-only folder, full disk -----------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_read_only_folder(store):
    example = store.add("tick", drawing(0))
    folders = [store.root, store.root / "tick"]
    for folder in folders:
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(store.root / "tick", os.W_OK):
            pytest.skip("chmod does not stop this user (root) from writing; see the simulated ENOSPC tests")
        before = snapshot(store.root)
        with pytest.raises(DataError) as caught:
            store.add("tick", drawing(1))
        assert_one_line_error(caught, str(store.root / "tick"))
        with pytest.raises(DataError):
            store.remove(example.id)
        reopened = DrawingStore(store.root, ("tick", "cross", "new"))  # readable; marker not updatable
        assert len(reopened.problems) == 1 and MARKER_NAME in reopened.problems[0]
        assert reopened.examples() == [example]
        assert snapshot(store.root) == before
    finally:
        for folder in folders:
            folder.chmod(stat.S_IRWXU)


def test_collection_that_cannot_be_written_stays_readable(store, monkeypatch):
    example = store.add("tick", drawing(0))

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(os, "replace", read_only)
    reopened = DrawingStore(store.root, ("tick", "cross", "new"))  # the marker cannot list "new"
    assert len(reopened.problems) == 1
    assert_one_line_error_text(reopened.problems[0], str(store.root / MARKER_NAME), "Read-only file system")
    assert reopened.examples() == [example] and reopened.classes == ("tick", "cross", "new")
    with pytest.raises(DataError) as caught:  # but a new collection needs its marker
        DrawingStore(store.root.parent / "fresh", CLASSES)
    assert_one_line_error(caught, str(store.root.parent / "fresh" / MARKER_NAME), "Read-only file system")


def assert_one_line_error_text(message: str, *words: str) -> None:
    assert "\n" not in message and all(word in message for word in words), message


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_full_disk_on_add_loses_nothing(store, monkeypatch, failing):
    kept = [store.add("tick", drawing(0), strokes(0)), store.add("cross", drawing(1))]
    before = snapshot(store.root)
    monkeypatch.setattr(os, failing, no_space)

    with pytest.raises(DataError) as caught:
        store.add("tick", drawing(2), strokes(2))

    assert_one_line_error(caught, str(store.root / "tick"), "No space left on device")
    monkeypatch.undo()
    assert snapshot(store.root) == before  # not even a temp file left behind
    assert DrawingStore(store.root, CLASSES).examples() == kept


def test_full_disk_during_add_many_keeps_what_was_written(store, monkeypatch):
    real_replace = os.replace
    calls = []

    def replace_until_full(src, dst):
        calls.append(dst)
        if len(calls) > 3:
            no_space()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_until_full)
    with pytest.raises(DataError) as caught:
        store.add_many(("tick", drawing(i), None) for i in range(10))
    monkeypatch.undo()

    assert_one_line_error(caught, "No space left on device")
    assert len(store) == 3 and hidden_files(store.root) == []


def test_failures_on_relabel_and_remove_leave_the_example_in_place(store, monkeypatch):
    example = store.add("tick", drawing(0))
    store.add("cross", drawing(1))  # the target folder exists: only the move itself can fail
    monkeypatch.setattr(os, "replace", no_space)
    monkeypatch.setattr(os, "unlink", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EROFS, "Read-only file system")))

    with pytest.raises(DataError) as moving:
        store.relabel(example.id, "cross")
    with pytest.raises(DataError) as removing:
        store.remove(example.id)

    monkeypatch.undo()
    assert_one_line_error(moving, str(example.path), "No space left on device")
    assert_one_line_error(removing, str(example.path), "Read-only file system")
    assert example in store.examples() and example.path.is_file()


def test_cannot_create_collection(tmp_path, monkeypatch):
    monkeypatch.setattr(Path, "mkdir", lambda *a, **k: no_space())
    with pytest.raises(DataError) as caught:
        DrawingStore(tmp_path / "new", CLASSES)
    assert_one_line_error(caught, str(tmp_path / "new"), "cannot create")


# --- crash safety: kill -9 a writer at random moments --------------------------------------------

# A helper process imports everything once, then for each line "<root>\t<seed>\t<out>" on stdin forks a
# writer whose stdout is <out> and reports the writer's pid, then its exit status once it is dead. Forking
# instead of starting Python afresh makes a kill cost milliseconds, so many fit in a few seconds.
WRITERS = """
import os, sys
import numpy as np
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes

def write_forever(root, seed):
    store = DrawingStore(root, ["tick", "cross"])
    rng = np.random.default_rng(seed)
    # Drawings made up front, so that the writer spends its time inside the store, where kills matter.
    pool = [(rng.random((28, 28), dtype=np.float32), Strokes.from_points([rng.random((300, 2)) * 280])) for _ in range(4)]
    print("ready", flush=True)
    i = 0
    while True:
        label = ("tick", "cross")[i % 2]
        raster, drawn = pool[i % 4]
        if i % 7 == 3:
            for example in store.add_many([(label, raster, drawn)] * 3):
                print("added", example.id, example.label, flush=True)
        else:
            example = store.add(label, raster, drawn)
            print("added", example.id, example.label, flush=True)
        if i % 5 == 4:
            other = ("cross", "tick")[i % 2]
            print("moved", store.relabel(example.id, other).id, other, flush=True)
        i += 1

for line in sys.stdin:
    root, seed, out = line.rstrip("\\n").split("\\t")
    pid = os.fork()
    if pid == 0:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            write_forever(root, int(seed))
        finally:
            sys.stdout.flush()
            os._exit(1)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1, flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"), reason="needs fork and SIGKILL (POSIX)")
def test_kill_9_at_random_moments_loses_nothing_and_exposes_nothing_partial(tmp_path, monkeypatch):
    kills = int(os.environ.get("CNN_DESKTOP_CRASH_KILLS", "25"))
    root = tmp_path / "collection"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    rng = random.Random(1234)
    expected: dict[str, str] = {}  # id -> label it had when the writer last reported it
    uncertain: set[str] = set()  # ids whose move may have been cut short by the kill
    helper = subprocess.Popen([sys.executable, "-c", WRITERS], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        for run in range(kills):
            out = tmp_path / f"writer{run}.out"
            helper.stdin.write(f"{root}\t{run}\t{out}\n")
            helper.stdin.flush()
            pid = int(helper.stdout.readline())
            wait_for_line(out, "ready")
            time.sleep(rng.uniform(0.0, 0.08))
            os.kill(pid, signal.SIGKILL)
            assert helper.stdout.readline().strip() == str(int(signal.SIGKILL)), f"writer died by itself: {out.read_text()}"

            text = out.read_text()
            lines = text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]  # last one unconfirmed
            for line in lines[1:]:
                kind, example_id, label = line.split()
                expected[example_id] = label
            if len(lines) > 1 and lines[-1].startswith("added"):
                uncertain.add(lines[-1].split()[1])  # it may have been moving when killed

            # Before any reopening cleans up: every visible file in the collection is complete.
            for path in visible_files(root):
                if path.name == MARKER_NAME:
                    assert json.loads(path.read_text())["version"] == 1
                else:
                    with Image.open(path) as image:
                        assert np.asarray(image).shape == (28, 28), path
    finally:
        helper.stdin.close()
        helper.wait(timeout=10)

    assert len(expected) >= kills  # the writers really were writing when killed
    monkeypatch.setattr(store_module, "STALE_TEMP_SECONDS", 0)  # every writer is dead: all temps are debris
    store = DrawingStore(root, CLASSES)
    found = {example.id: example for example in store.examples()}
    assert store.problems == []
    assert hidden_files(root) == []  # leftover temp files were cleaned
    for example_id, label in expected.items():
        assert example_id in found, f"{example_id} was reported added but is missing"
        assert found[example_id].label == label or example_id in uncertain
        assert store.raster(example_id).shape == (28, 28)
        assert len(store.strokes(example_id)) == 1
    x, _ = store.arrays()
    assert len(x) == len(found) and store.problems == []


def wait_for_line(path: Path, line: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().startswith(line + "\n"):
            return
        time.sleep(0.002)
    pytest.fail(f"writer not {line} after {timeout}s: {path.read_text() if path.exists() else 'no output'}")
