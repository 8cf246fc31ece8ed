"""A 60,000-drawing project (the size of MNIST's training set) against a 600-drawing one, side by side.

``python -m benchmarks --only scale``. The digits mode's project is filled with generated drawings,
10 classes alike, written as the app writes them (``encode_example``: a 28x28 PNG with its strokes) under
ids of the store's form. Drawing tens of thousands of distinct digits would take minutes, so a pool of
distinct drawings (the project's own generator, ``synth.digit_drawings``) is written over and over
under new ids: the files are what the app reads, and how many there are is what is measured. The
generated project is cached under ``~/.cache/cnn-desktop-bench/`` keyed by ``VERSION`` and its size;
each run works on a copy whose drawings are hard links (the app never rewrites a drawing in place: it
writes new files and renames), so label keys and training never change the cache. Generating and
copying are not timed.

For each size, measured in this order:

* launch -> main window shown: a fresh process running ``cnn-desktop`` on that home, timed as
  ``startup`` times it (process start to the end of the window's first frame), interleaved between the
  two sizes: the first opening of the copy (nothing kept from an earlier opening) on its own, then the
  median of the next ones;
* label key: GUI-thread time from the key press (``QTest.keyClick`` on the window, as the person
  presses it) until the key's handlers return to the event loop, over ``KEYS`` keys, with the window
  as it opens and then with the collection's tab raised (offscreen, Qt reports a tabbed dock visible
  even behind another tab, so the collection view shows each new drawing in both);
* collection view: opening its dock (the first listing and thumbnails), showing each class in turn,
  and scrolling the thumbnails one step at a time, each step repainted at once (the frame's time);
* Train -> first training step: from clicking Train until the compute thread has run one step (the
  collection is read and the run set up in between); twice, as a second run may find what the first read.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.common import Row, median, percentile, ratio

NAME = "scale"
VERSION = 1  # bump when the generated project changes (layout, generator): the cache is keyed by it
SIZES = (600, 60_000)
QUICK_SIZES = (60, 300)
KEYS, QUICK_KEYS = 200, 20
POOL_PER_CLASS = 100  # distinct generated drawings per class, written over and over under new ids
TARGET_WINDOW_S = 2.0
TARGET_KEY_MS = 16.0
TARGET_FRAME_MS = 16.0
TARGET_TRAIN_S = 2.0


# --- the project ---------------------------------------------------------------------------------


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cnn-desktop-bench"


def _generate(home: Path, drawings: int) -> None:
    """A home whose digits project holds ``drawings`` drawings, ``drawings // 10`` per class."""
    from cnn_desktop.core.data.example_png import encode_example
    from cnn_desktop.core.data.preprocess import preprocess
    from cnn_desktop.core.data.synth import digit_drawings
    from cnn_desktop.core.projects.builtin import builtin_project_dir, open_or_create_builtin
    from cnn_desktop.core.tasks import TASKS

    task = TASKS["digits"]
    per_class = drawings // len(task.classes)
    pool = min(per_class, POOL_PER_CLASS)
    strokes, labels = digit_drawings(pool, seed=13)
    encoded: dict[int, list[bytes]] = {digit: [] for digit in range(10)}
    for drawing, label in zip(strokes, labels):
        encoded[int(label)].append(encode_example(preprocess(drawing), drawing, home))
    with open_or_create_builtin(task, builtin_project_dir(task, home)) as project:
        root = project.store.root
        for digit, name in enumerate(task.classes):
            folder = root / name
            folder.mkdir(exist_ok=True)
            stamp = time.time_ns()
            for index in range(per_class):
                # The store's id form: creation time in hex nanoseconds, then a random tag.
                path = folder / f"{stamp + index:016x}-{secrets.token_hex(3)}.png"
                path.write_bytes(encoded[digit][index % pool])  # a cache: no fsync needed


def cached_home(drawings: int) -> Path:
    """The generated home of this size, made once per ``VERSION`` (untimed)."""
    home = _cache_root() / f"scale-v{VERSION}-{drawings}" / "home"
    done = home.parent / "complete"
    if not done.exists():
        shutil.rmtree(home.parent, ignore_errors=True)
        home.mkdir(parents=True)
        _generate(home, drawings)
        done.write_text("ok\n")
    return home


def working_copy(source: Path, target: Path) -> Path:
    """A copy of the home ``source`` at ``target``: drawings hard-linked (never rewritten in place by
    the app), everything else copied (a lock file or manifest must not be shared with the cache)."""
    for folder, _, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            src, dst = Path(folder) / name, target / relative / name
            if name.endswith(".png") and "drawings" in relative.parts:
                os.link(src, dst)
            else:
                shutil.copy2(src, dst)
    return target


# --- measuring -----------------------------------------------------------------------------------


def _launch(home: Path) -> dict:
    from benchmarks.startup import APP_CHILD, _spawn

    return _spawn(APP_CHILD, str(home))


class _Home:  # what gui_support.open_window needs
    def __init__(self, path: Path) -> None:
        self.path = path
        os.environ["CNN_DESKTOP_HOME"] = str(path)


def _put_drawing(window, index: int) -> None:
    from cnn_desktop.core.data.strokes import Strokes
    from benchmarks.gui_support import digit_like_path

    window.canvas.set_strokes(Strokes.from_points([digit_like_path(index, 200.0, 200.0)]))


def _label_keys(window, keys: int) -> list[float]:
    """GUI-thread milliseconds of each label key, from the press until its handlers return."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from benchmarks.gui_support import spin

    times = []
    before = sum(window.session.store.counts().values())
    for index in range(keys):
        _put_drawing(window, index)
        spin(0.01)  # the drawing's prediction comes and goes, untimed
        key = Qt.Key(Qt.Key.Key_0 + index % 10)
        started = time.perf_counter()
        QTest.keyClick(window, key)
        times.append(1000 * (time.perf_counter() - started))
    spin(0.05)
    added = sum(window.session.store.counts().values()) - before
    if added != keys:
        raise RuntimeError(f"{keys} label keys added {added} drawings")
    return times


def _collection(window) -> dict:
    """Opening the collection dock, showing each class, and scrolling the thumbnails."""
    from PySide6.QtWidgets import QApplication

    view = window.collection
    started = time.perf_counter()
    window.docks["collection"].raise_()
    QApplication.processEvents()
    opened = time.perf_counter() - started
    classes = []
    frames = []
    for index in range(1, view.filter.count()):
        started = time.perf_counter()
        view.filter.setCurrentIndex(index)
        view.repaint()
        classes.append(time.perf_counter() - started)
        bar = view.editor.list.verticalScrollBar()
        step = max(1, bar.singleStep())
        for value in range(0, bar.maximum() + 1, step):
            started = time.perf_counter()
            bar.setValue(value)
            view.editor.list.viewport().repaint()
            frames.append(time.perf_counter() - started)
    view.filter.setCurrentIndex(0)
    return {"open_ms": 1000 * opened, "class_ms": [1000 * t for t in classes], "frame_ms": [1000 * t for t in frames]}


def _train_start(window) -> float:
    from benchmarks.gui_support import set_training_controls, spin_until, stop_training

    set_training_controls(window, epochs=1)
    started = time.perf_counter()
    window.training.start_button.click()
    if not spin_until(lambda: (window.worker.engine.trainer is not None
                               and window.worker.engine.trainer.step_count >= 1), 600):
        raise RuntimeError(f"training did not start: {window.training.status.text()}")
    seconds = time.perf_counter() - started
    stop_training(window)
    return seconds


def _in_window(home: Path, keys: int) -> dict:
    from benchmarks.gui_support import application, close_window, open_window, spin, spin_until

    application()
    window = open_window(_Home(home))
    try:
        # A large project's first count runs in a thread; label keys meanwhile skip counting. Wait for
        # it, so that every key below pays for its count as keys do in use.
        if not spin_until(lambda: not window.session.counting, 600):
            raise RuntimeError("the first count did not finish")
        hidden = _label_keys(window, keys)
        collection = _collection(window)
        shown = _label_keys(window, keys)
        window.docks["feature_maps"].raise_()
        train = _train_start(window)
        spin(0.5)
        train_again = _train_start(window)  # what was read for the first run may be kept
    finally:
        close_window(window)
    return {"keys_hidden_ms": hidden, "keys_shown_ms": shown, "train_s": train, "train_again_s": train_again,
            **collection}


def run(quick: bool = False) -> list[Row]:
    small, large = QUICK_SIZES if quick else SIZES
    keys = QUICK_KEYS if quick else KEYS
    rounds = 2 if quick else 4
    os.environ.setdefault("CNN_DESKTOP_RESOURCES", str(Path(tempfile.gettempdir()) / "cnn-bench-no-resources"))
    with tempfile.TemporaryDirectory(prefix="cnn-bench-scale-") as tmp:
        homes = {}
        for size in (small, large):
            source = cached_home(size) if not quick else _fresh(Path(tmp) / f"gen{size}", size)
            homes[size] = working_copy(source, Path(tmp) / f"home{size}")
        launches = {small: [], large: []}
        for _ in range(rounds):  # interleaved, before any window of this process holds the projects
            for size in (small, large):
                launches[size].append(_launch(homes[size]))
        inside = {size: _in_window(homes[size], keys) for size in (small, large)}
    return _rows(small, large, keys, launches, inside)


def _fresh(home: Path, drawings: int) -> Path:
    home.mkdir(parents=True)
    _generate(home, drawings)
    return home


def _rows(small: int, large: int, keys: int, launches: dict, inside: dict) -> list[Row]:
    def shown(size, which):
        return median([run["shown"] for run in launches[size][which]])

    big, ref = inside[large], inside[small]
    at, at_ref = f"{large:,} drawings", f"same, {small:,} drawings"
    rows = []
    # The first opening of a project finds nothing kept from an earlier one; the next ones may.
    for which, what in ((slice(0, 1), "first opening"), (slice(1, None), "next openings")):
        if not launches[large][which]:
            continue
        value, reference = shown(large, which), shown(small, which)
        rows.append(Row(NAME, f"launch -> window shown, {what}, {at}", value, "s", at_ref, reference,
                        ratio(value, reference), f"<= {TARGET_WINDOW_S:g} s", value <= TARGET_WINDOW_S,
                        note=f"median of {len(launches[large][which])} launch(es), interleaved with the reference",
                        extra={"launches": launches}))
    for key, what in (("keys_hidden_ms", "window as opened"), ("keys_shown_ms", "collection tab raised")):
        value, reference = percentile(big[key], 95), percentile(ref[key], 95)
        rows.append(Row(NAME, f"label key p95, {what}, {at}", value, "ms", at_ref, reference, ratio(value, reference),
                        f"p95 <= {TARGET_KEY_MS:g} ms", value <= TARGET_KEY_MS,
                        note=f"{keys} keys; p50 {median(big[key]):.1f} ms, max {max(big[key]):.1f} ms",
                        extra={"ms": big[key], "ref_ms": ref[key]}))
    rows.append(Row(NAME, f"collection dock opened, {at}", big["open_ms"], "ms", at_ref, ref["open_ms"],
                    ratio(big["open_ms"], ref["open_ms"]), "", None))
    value, reference = percentile(big["class_ms"], 95), percentile(ref["class_ms"], 95)
    rows.append(Row(NAME, f"collection: show one class p95, {at}", value, "ms", at_ref, reference,
                    ratio(value, reference), "", None, extra={"ms": big["class_ms"], "ref_ms": ref["class_ms"]}))
    value, reference = percentile(big["frame_ms"], 95), percentile(ref["frame_ms"], 95)
    rows.append(Row(NAME, f"collection: scroll frame p95, {at}", value, "ms", at_ref, reference, ratio(value, reference),
                    f"p95 <= {TARGET_FRAME_MS:g} ms", value <= TARGET_FRAME_MS,
                    note=f"{len(big['frame_ms'])} frames; max {max(big['frame_ms'], default=0):.1f} ms"))
    for key, what in (("train_s", "first run"), ("train_again_s", "next run")):
        rows.append(Row(NAME, f"Train -> first training step, {what}, {at}", big[key], "s", at_ref, ref[key],
                        ratio(big[key], ref[key]), f"<= {TARGET_TRAIN_S:g} s", big[key] <= TARGET_TRAIN_S))
    return rows
