"""counts() is kept up to date from the class folders' times (store_tally.FolderTally): it must stay
right after our own adds, deletes and relabels, and after changes made behind the store's back (another
store or process, another tool), without listing the folders again after a label key."""

from __future__ import annotations

import os

import numpy as np

from cnn_desktop.core.data import store_index, store_scan, store_tally
from cnn_desktop.core.data.store import DrawingStore

TICKS = ("tick", "cross")


def bar(vertical: bool) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    if vertical:
        image[4:24, 13:15] = 1.0
    else:
        image[13:15, 4:24] = 1.0
    return image


def test_counts_follow_our_own_adds_deletes_and_relabels(tmp_path):
    store = DrawingStore(tmp_path / "c", TICKS)
    assert store.counts() == {"tick": 0, "cross": 0}
    first = store.add("tick", bar(False))
    assert store.counts() == {"tick": 1, "cross": 0}
    store.add_many([("cross", bar(True), None), ("tick", bar(False), None), ("cross", bar(True), None)])
    assert store.counts() == {"tick": 2, "cross": 2}
    store.relabel(first.id, "cross")
    assert store.counts() == {"tick": 1, "cross": 3}
    store.remove(first.id)
    assert store.counts() == {"tick": 1, "cross": 2}
    store.add("square", bar(True))  # a new class
    assert store.counts() == {"tick": 1, "cross": 2, "square": 1}
    assert store.counts() == store.counts(check=True) and store.skipped == ()


def test_a_label_key_lists_no_folder_and_reads_no_file(tmp_path, monkeypatch):
    store = DrawingStore(tmp_path / "c", TICKS)
    for _ in range(3):
        store.add("tick", bar(False))
    assert store.counts() == {"tick": 3, "cross": 0}
    calls = []
    for name in ("listdir", "scandir"):
        real = getattr(os, name)
        monkeypatch.setattr(os, name, lambda path=".", real=real, name=name: calls.append(name) or real(path))
    store.add("tick", bar(False))
    assert store.counts() == {"tick": 4, "cross": 0}
    assert calls == []  # counted from what the store wrote, not by listing the collection again


def test_changes_behind_our_back_are_counted(tmp_path):
    store = DrawingStore(tmp_path / "c", TICKS)
    kept = store.add("tick", bar(False))
    assert store.counts() == {"tick": 1, "cross": 0}
    other = DrawingStore(tmp_path / "c", TICKS)  # another window or process on the same collection
    added = other.add("cross", bar(True))
    other.add("tick", bar(False))
    assert store.counts() == {"tick": 2, "cross": 1}
    os.unlink(added.path)  # another tool deletes one
    (kept.path.parent / "notes.txt").write_text("hello")  # and drops a stray file in
    assert store.counts() == {"tick": 2, "cross": 0}
    assert any("notes.txt: not a drawing" in line for line in store.skipped)
    os.rename(kept.path, kept.path.parent.parent / "cross" / kept.path.name)  # moved by hand
    assert store.counts() == {"tick": 1, "cross": 1}


def test_a_file_added_in_the_same_clock_tick_as_ours_is_counted_once_the_folder_settles(tmp_path, monkeypatch):
    store = DrawingStore(tmp_path / "c", TICKS)
    store.add("tick", bar(False))
    assert store.counts() == {"tick": 1, "cross": 0}
    folder = store.root / "tick"
    before = os.stat(folder)
    stray = DrawingStore(tmp_path / "c", TICKS).add("tick", bar(False))
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))  # a coarse clock: the time did not move
    assert store.counts()["tick"] in (1, 2)  # not settled yet: may or may not be seen
    monkeypatch.setattr(store_scan, "SETTLED_NS", 0)  # ... and now it has settled
    assert store.counts() == {"tick": 2, "cross": 0}
    assert stray.path.exists()


def test_a_file_damaged_in_place_is_counted_out_after_a_full_read(tmp_path):
    store = DrawingStore(tmp_path / "c", TICKS)
    example = store.add("tick", bar(False))
    store.add("cross", bar(True))
    assert store.counts() == {"tick": 1, "cross": 1}
    data = bytearray(example.path.read_bytes())
    idat = data.index(b"IDAT")
    data[idat + 6: idat + 12] = b"\xff" * 6
    with open(example.path, "r+b") as file:  # in place: same inode, same size, the folder's time stays
        file.write(bytes(data))
    images, labels = store.arrays()  # what training reads: every file decoded
    assert labels.tolist() == [1]
    assert store.counts() == {"tick": 0, "cross": 1}
    assert any(line.startswith(str(example.path)) for line in store.skipped)


def test_a_half_written_file_is_looked_at_again(tmp_path, monkeypatch):
    store = DrawingStore(tmp_path / "c", TICKS)
    store.add("tick", bar(False))
    template = store.add("tick", bar(False)).path.read_bytes()
    assert store.counts()["tick"] == 2
    late = store.root / "tick" / "written-by-another-tool.png"
    late.write_bytes(template[:20])  # caught half-way through a plain (not atomic) write
    assert store.counts()["tick"] == 2
    with open(late, "r+b") as file:
        file.write(template)  # finished: the folder's time does not move again
    monkeypatch.setattr(store_scan, "SETTLED_NS", 0)
    os.utime(store.root / "tick")  # listed again (settled, or touched): the name is checked again
    assert store.counts()["tick"] == 3


# --- the listings kept on disk between openings (store_index) ---------------------------------------


def settle(store):
    """Make every class folder's time old, as it is when the app is opened the next day."""
    for label in store.classes:
        folder = store.root / label
        if folder.exists():
            info = os.stat(folder)
            os.utime(folder, ns=(info.st_atime_ns, info.st_mtime_ns - 10 ** 10))


def snapshot(root):
    return sorted((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in root.rglob("*"))


def test_a_second_opening_reads_no_file_while_the_folders_are_unchanged(tmp_path, monkeypatch):
    monkeypatch.setattr(store_tally, "SAVE_AFTER", 3)
    store = DrawingStore(tmp_path / "c", TICKS)
    store.add_many([("tick", bar(False), None)] * 4 + [("cross", bar(True), None)])
    settle(store)
    assert DrawingStore(tmp_path / "c", TICKS).counts() == {"tick": 4, "cross": 1}  # learns, and saves
    assert (store.root / store_index.INDEX_NAME).is_file()
    assert len(store.examples()) == 5 and store.skipped == ()  # hidden: no part of the collection
    read = []
    monkeypatch.setattr(store_scan, "example_verdict", lambda path: read.append(path) or (None, None, None))
    again = DrawingStore(tmp_path / "c", TICKS)
    assert again.counts() == {"tick": 4, "cross": 1} and read == []
    DrawingStore(tmp_path / "c", TICKS).add("cross", bar(True))  # a folder changes: only it is listed again
    assert DrawingStore(tmp_path / "c", TICKS).counts() == {"tick": 4, "cross": 2}
    assert [path.parent.name for path in read] == ["cross"]  # only the new file was read


def test_a_saved_listing_that_does_not_fit_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(store_tally, "SAVE_AFTER", 1)
    store = DrawingStore(tmp_path / "c", TICKS)
    gone = store.add("tick", bar(False))
    store.add("tick", bar(False))
    settle(store)
    assert DrawingStore(tmp_path / "c", TICKS).counts()["tick"] == 2
    os.unlink(gone.path)  # behind its back: the folder's time moves
    assert DrawingStore(tmp_path / "c", TICKS).counts()["tick"] == 1
    (store.root / store_index.INDEX_NAME).write_text('{"format": "cnn-desktop-listing", "version": 1, "folders": 7}')
    assert DrawingStore(tmp_path / "c", TICKS).counts()["tick"] == 1  # damaged: ignored


def test_reading_a_read_only_collection_or_project_writes_nothing(tmp_path, monkeypatch):
    from cnn_desktop.core.projects.project import Project

    monkeypatch.setattr(store_tally, "SAVE_AFTER", 1)
    project = Project.create(tmp_path / "p", "p", ["tick", "cross"])
    project.store.add_many([("tick", bar(False), None), ("cross", bar(True), None)])
    project.close()
    drawings = project.folder / "drawings"
    settle(DrawingStore(drawings, TICKS, read_only=True))
    before = snapshot(tmp_path)
    store = DrawingStore(drawings, TICKS, read_only=True)
    assert store.counts() == {"tick": 1, "cross": 1} and len(store.newest()[0]) == 2 and len(store.arrays()[1]) == 2
    with Project.open(tmp_path / "p", read_only=True) as readonly:
        assert readonly.counts() and len(readonly.store.newest()[0]) == 2 and len(readonly.store.arrays()[1]) == 2
    assert snapshot(tmp_path) == before and not (drawings / store_index.INDEX_NAME).exists()


# --- the decoded inputs kept between training runs (store_inputs) ------------------------------------


def test_a_second_read_decodes_only_what_changed(tmp_path, monkeypatch):
    from cnn_desktop.core.data import store_inputs
    from cnn_desktop.core.data.store_inputs import cache_path

    store = DrawingStore(tmp_path / "c", TICKS)
    store.add("tick", bar(False))
    changed = store.add("cross", bar(True))
    monkeypatch.setattr(store_scan, "SETTLED_NS", 0)  # the files' times have settled: they can be trusted
    first = DrawingStore(tmp_path / "c", TICKS, read_only=True).arrays()
    store_inputs.wait_for_saves()  # written in a thread of its own, after the read
    assert cache_path(store.root).is_file() and not any(p.name.endswith(".npz") for p in store.root.rglob("*"))
    decoded = []  # every file opened to be decoded, by the scan's check or by the cache's reader
    real_read, real_verdict = store_inputs.read_stored, store_scan.example_verdict
    monkeypatch.setattr(store_inputs, "read_stored", lambda path: decoded.append(path.name) or real_read(path))
    monkeypatch.setattr(store_scan, "example_verdict", lambda path: decoded.append(path.name) or real_verdict(path))
    again = DrawingStore(tmp_path / "c", TICKS, read_only=True).arrays()
    assert decoded == [] and all(np.array_equal(a, b) for a, b in zip(first, again))

    template = DrawingStore(tmp_path / "other", TICKS).add("cross", bar(False)).path  # another drawing
    os.replace(template, changed.path)  # replaced behind the store's back, under the same name
    images, labels = DrawingStore(tmp_path / "c", TICKS, read_only=True).arrays()
    assert decoded == [changed.path.name]
    assert np.array_equal(images[1], bar(False)) and np.array_equal(images[0], first[0][0])

    store_inputs.wait_for_saves()
    (cache_path(store.root)).write_bytes(b"not a cache")  # damaged: ignored, decoded again
    images, labels = DrawingStore(tmp_path / "c", TICKS, read_only=True).arrays()
    assert labels.tolist() == [0, 1] and np.array_equal(images[1], bar(False))


def test_a_train_reads_each_file_once_and_a_first_count_leaves_nothing_to_read(tmp_path, monkeypatch):
    """arrays() once read every file to check it, then again to decode it; and a large project's first
    count read every file without keeping what it decoded, so its first Train read them all again."""
    from cnn_desktop.core.data import example_png

    monkeypatch.setattr(store_scan, "SETTLED_NS", 0)  # the files' times have settled: they can be trusted
    store = DrawingStore(tmp_path / "c", TICKS)
    names = sorted(example.path.name for example in
                   store.add_many([("tick", bar(False), None)] * 3 + [("cross", bar(True), None)] * 2))
    opened = []
    real_frame = example_png._example_frame_problem
    monkeypatch.setattr(example_png, "_example_frame_problem", lambda path: opened.append(path.name) or real_frame(path))

    images, labels = DrawingStore(tmp_path / "c", TICKS, read_only=True).arrays()
    assert sorted(opened) == names
    assert labels.tolist() == [0, 0, 0, 1, 1] and np.array_equal(images[4], bar(True))

    other = tmp_path / "other-home"
    monkeypatch.setenv("CNN_DESKTOP_HOME", str(other))  # an inputs cache of its own: nothing decoded yet
    opened.clear()
    assert DrawingStore(tmp_path / "c", TICKS).first_count() == {"tick": 3, "cross": 2}
    assert sorted(opened) == names
    opened.clear()
    again, again_labels = DrawingStore(tmp_path / "c", TICKS, read_only=True).arrays()
    assert opened == [] and np.array_equal(again, images) and np.array_equal(again_labels, labels)
