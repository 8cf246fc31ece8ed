"""The app given bad files, unusable data, hopeless training settings, a full or read-only disk, button
mashing, closing at the wrong moment, and a burst of a thousand drawings.

Every refusal is one line in the message box (and the status bar) naming the file and the problem; the
current model stays in use, nothing saved is lost, and the window never ends up in a state that
disagrees with the engine. Waits are on the engine's answers (qtbot.waitUntil / waitSignal), never
blind sleeps.
"""

from __future__ import annotations

import errno
import os
import random
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

import fault_files
from cnn_desktop.core.network.checkpoint import load_model, save_model
from cnn_desktop.core import atomic
from cnn_desktop.core.app.messages import SaveModel, TrainingState
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.projects.builtin import builtin_project_dir, open_or_create_builtin
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.tasks import TASKS
from cnn_desktop.core.network.spec import lenet_spec
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.data.synth import generate_ticks_crosses
from cnn_desktop.gui.main_window import MainWindow
from fault_files import BAD_MODEL_WORDS, TICKS, bar

MODE = TASKS["ticks-crosses"]
TICK = Strokes.from_points([[(100, 300), (160, 380), (330, 120)]])
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_DESKTOP_RESOURCES", str(tmp_path / "no-resources"))  # no bundled models
    return tmp_path / "home"


@pytest.fixture
def open_window(qtbot, home):
    windows = []

    def opener() -> MainWindow:
        window = MainWindow(home=home)
        qtbot.addWidget(window)
        window.show()
        window.session.switch_task("ticks-crosses")
        settle(qtbot, window)
        windows.append(window)
        return window

    yield opener
    for window in windows:
        window.close()
        assert not window.worker.running


def settle(qtbot, window, timeout: int = 20000) -> None:
    """Send a drawing and wait for its answer: the engine has then handled every command sent before
    it, and the window every message the engine sent before the answer (one thread, in order)."""
    window.session.drawing_changed(TICK)
    wanted = window.session.last_request_id
    qtbot.waitUntil(lambda: window.session.shown_request_id >= wanted, timeout=timeout)


def project_dir(home: Path) -> Path:
    return builtin_project_dir(MODE, home)


def drawings_dir(home: Path) -> Path:
    return project_dir(home) / "drawings"


def versions(home: Path) -> tuple[list[tuple[str, str]], str | None]:
    """(version, reason) of the mode's project, and the current version."""
    project = Project.open(project_dir(home), read_only=True)
    return [(r["version"], r["reason"]) for r in project.versions()], project.current_version()


def current_model_file(home: Path) -> Path:
    return project_dir(home) / "models" / versions(home)[1] / "model.safetensors"


def previous_version(home: Path, tmp_path: Path) -> Path:
    """A trained model made current in the mode's project (closed again), as an earlier run left it."""
    path = tmp_path / "previous.safetensors"
    save_model(path, build_model(lenet_spec(TICKS), seed=5), info={"previous": True})
    with open_or_create_builtin(MODE, project_dir(home)) as project:
        project.import_version(path, reason="imported")
    return current_model_file(home)


def fill(home: Path, ticks: int, crosses: int) -> DrawingStore:
    if not project_dir(home).exists():
        open_or_create_builtin(MODE, project_dir(home)).close()
    store = DrawingStore(drawings_dir(home), TICKS)
    store.add_many([("tick", bar(True), None)] * ticks + [("cross", bar(False), None)] * crosses)
    return store


def problem_shown(qtbot, window, start: str, timeout: int = 20000) -> str:
    """Wait for the message box to show a problem starting with ``start``; it is one line, also in the
    status bar."""
    qtbot.waitUntil(lambda: window._message_box is not None and window._message_box.isVisible()
                    and window._message_box.text().startswith(start), timeout=timeout)
    text = window._message_box.text()
    assert "\n" not in text and window.statusBar().currentMessage() == text
    window._message_box.close()
    return text


def weights(window) -> dict[str, torch.Tensor]:
    return {name: tensor.clone() for name, tensor in window.worker.engine.model.state_dict().items()}


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[name], b[name]) for name in a)


def click_train(qtbot, window, **settings) -> None:
    controls = window.training
    for name, value in settings.items():
        getattr(controls, name).setValue(value)
    qtbot.mouseClick(controls.start_button, LEFT)


# --- model files ------------------------------------------------------------------------------------


def test_refused_model_files_leave_the_current_model_in_use(qtbot, open_window, home, tmp_path, monkeypatch):
    files = fault_files.model_files(tmp_path / "models")
    window = open_window()
    current, label, before = window.worker.engine.model, window.model_label.text(), weights(window)
    chosen = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(chosen[-1]), ""))
    cases = {**BAD_MODEL_WORDS, "digits": ["a model of 10 classes", "expected 2 classes ['tick', 'cross']"]}
    for name, words in cases.items():
        chosen.append(files[name])
        window.open_model()  # File > Open model, with the dialog answering this file
        text = problem_shown(qtbot, window, f"{files[name]}: ")
        assert all(word in text for word in words), text
        settle(qtbot, window)
        assert window.worker.engine.model is current and same(weights(window), before)
        assert window.model_label.text() == label
    assert not files["marker"].exists()  # the pickle never ran
    assert versions(home) == ([], None)  # nothing was adopted or saved

    # A model of another architecture that reads 28x28 drawings is a model like any other: adopted,
    # as a new current version of this mode's project.
    chosen.append(files["small"])
    window.open_model()
    qtbot.waitUntil(lambda: "small.safetensors" in window.model_label.text(), timeout=10000)
    assert versions(home) == ([("v0001", "imported")], "v0001")
    assert load_model(current_model_file(home)).spec == load_model(files["small"]).spec
    settle(qtbot, window)
    headline = window.probabilities.headline.text()  # a guess, "not sure", or two close ones ("tick or cross?")
    assert headline.startswith(("Guess", "Not sure")) or " or " in headline.split("?")[0], headline


@pytest.mark.parametrize("special", list(fault_files.SPECIAL_MODEL_WORDS))
def test_a_fifo_or_dev_zero_as_a_model_is_refused_and_the_app_goes_on(qtbot, open_window, home, tmp_path,
                                                                       monkeypatch, special):
    # Before: a FIFO in place of the saved model blocked the compute thread (no guesses, Train did
    # nothing, Quit took 13.5 s); a symlink to /dev/zero was read until MemoryError ("internal error").
    monkeypatch.delenv("CNN_DESKTOP_RESOURCES")  # the bundled models, to fall back on
    path = fault_files.special_model_files(tmp_path / "special")[special]
    saved = previous_version(home, tmp_path)  # the current version's file, replaced behind the app's back
    saved.unlink()
    saved.symlink_to(path)
    words = fault_files.SPECIAL_MODEL_WORDS[special]
    try:
        window = open_window()
        text = problem_shown(qtbot, window, f"{saved}: ")
        assert all(word in text for word in words), text
        assert text.endswith("(starting with the bundled ticks & crosses model instead)"), text
        assert window.model_label.text().startswith("Model: bundled ticks & crosses model")
        bundled = load_model(MODE.bundled_model_path()).model.state_dict()
        assert same(weights(window), bundled)
        settle(qtbot, window)  # it answers drawings
        headline = window.probabilities.headline.text()  # a guess, "not sure", or two close ones ("tick or cross?")
        assert headline.startswith(("Guess", "Not sure")) or " or " in headline.split("?")[0], headline

        # File > Open of the same file: refused, and the bundled model stays in use.
        current = window.worker.engine.model
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
        window.open_model()  # imported as a version first: the project's check refuses it, in its words
        text = problem_shown(qtbot, window, f"{path}: ")
        assert text == f"{path}: not a model file (not a regular file, or far too large)", text
        settle(qtbot, window)
        assert window.worker.engine.model is current and same(weights(window), bundled)
    finally:
        fault_files.release_fifo_readers([path])  # with the bug, the compute thread would wait forever


# --- importing images and data ------------------------------------------------------------------------


def test_importing_bad_data_says_why_and_adds_nothing(qtbot, open_window, home, tmp_path, monkeypatch):
    window = open_window()
    finished: list[tuple[int, tuple, str]] = []
    window.imports.finished.connect(lambda added, left_out, problem: finished.append((added, left_out, problem)))

    def run_import(folder: Path, timeout: int = 30000) -> tuple[int, tuple, str]:
        count = len(finished)
        window.imports.start(folder)
        qtbot.waitUntil(lambda: len(finished) > count and window.imports.job is None, timeout=timeout)
        return finished[-1]
    fill(home, 2, 2)
    images = fault_files.image_files(tmp_path / "images")
    folders = {}

    def folder_of(name: str, *paths: tuple[str, Path]) -> Path:
        root = tmp_path / "import" / name
        for label, path in paths:
            (root / label).mkdir(parents=True, exist_ok=True)
            (root / label / path.name).write_bytes(path.read_bytes())
        root.mkdir(parents=True, exist_ok=True)
        folders[name] = root
        return root

    cases = [  # folder, the path the message names, what it says
        (folder_of("zero", ("tick", images["zero.png"])), "tick/zero.png", "empty file"),
        (folder_of("text", ("cross", images["text.png"])), "cross/text.png", "not an image"),
        (folder_of("cut", ("tick", images["cut.png"])), "tick/cut.png", "damaged or unreadable image"),
        (folder_of("blank", ("tick", images["1x1.png"]), ("cross", images["1x1-black.png"])), "",
         "every image in the folder is blank"),
        (folder_of("unknown", ("tick", images["tick.png"]), ("banana", images["tick.png"])), "banana",
         "unknown label 'banana'; expected one of 'cross', 'tick'"),
        (folder_of("empty"), "", "no label folders"),
    ]
    for name, folder in fault_files.idx_folders(tmp_path / "idx").items():
        words = {"idx-magic": "wrong magic number 0x00000903", "idx-counts": "4 labels for 6 images",
                 "idx-truncated": "truncated"}[name]
        file = "train-labels-idx1-ubyte" if name == "idx-counts" else "train-images-idx3-ubyte"
        cases.append((folder, file, words))
    before = snapshot(drawings_dir(home))
    for folder, named, words in cases:
        path = folder / named if named else folder
        added, left_out, problem = run_import(folder)
        assert added == 0 and problem.startswith(f"{path}: ") and words in problem, problem
        assert problem_shown(qtbot, window, f"{path}: ") == problem
        assert snapshot(drawings_dir(home)) == before  # nothing half-imported
    assert window.session.store.counts() == {"tick": 2, "cross": 2}

    # One unreadable file among readable ones is left out and listed; the others are imported (it used
    # to refuse the lot: issue #13).
    mixed = folder_of("mixed", ("tick", images["tick.png"]), ("cross", images["text.png"]))
    added, left_out, problem = run_import(mixed)
    assert (added, problem) == (1, "") and len(left_out) == 1, (added, left_out, problem)
    assert left_out[0].startswith(f"{mixed / 'cross' / 'text.png'}: not an image")
    assert window.session.store.counts() == {"tick": 3, "cross": 2}

    # Odd but valid pictures are imported; a blank one among them is left out.
    odd = folder_of("odd", ("tick", images["10000.png"]), ("tick", images["16bit.png"]),
                    ("tick", images["palette.png"]), ("tick", images["grey-alpha.png"]), ("cross", images["1x1.png"]))
    blank = odd / "cross" / "1x1.png"
    why = "the image is blank: it has no ink on its background"
    assert run_import(odd, timeout=60000) == (4, (f"{blank}: {why}",), "")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage()
                    == f"Imported 4 drawings. Left out 1: {blank}: {why}.", timeout=5000)
    assert window.session.store.counts() == {"tick": 7, "cross": 2}
    # Imported in name order: 10000, 16bit, grey-alpha, palette. The same pixels in three encodings
    # give the same input; the scan (the tick resampled to 6000 px) nearly the same.
    scan, *same_pixels = [window.session.store.raster(e.id) for e in window.session.store.examples("tick")[-4:]]
    for raster in same_pixels[1:]:
        assert np.abs(raster - same_pixels[0]).max() <= 1 / 255 + 1e-6
    assert np.abs(scan - same_pixels[0]).mean() < 0.05


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- training -----------------------------------------------------------------------------------------


def test_training_refuses_a_collection_it_cannot_learn_from_and_says_why(qtbot, open_window, home):
    window = open_window()
    click_train(qtbot, window)
    qtbot.waitUntil(lambda: window.training.state == "failed", timeout=10000)
    why = "nothing to train on: the collection has no examples"
    assert window.training.status.text() == why and problem_shown(qtbot, window, why) == why

    fill(home, 3, 0)
    click_train(qtbot, window)
    qtbot.waitUntil(lambda: window.training.state == "failed" and "two classes" in window.training.status.text(),
                    timeout=10000)
    why = "training needs examples of at least two classes; there are only 'tick' examples (3)"
    assert window.training.status.text() == why and problem_shown(qtbot, window, why) == why
    assert window.worker.engine.trainer is None and window.training.start_button.isEnabled()
    assert versions(home) == ([], None)


def test_a_diverging_run_stops_says_so_and_keeps_the_last_good_weights(qtbot, open_window, home, tmp_path):
    fill(home, 20, 20)
    previous = previous_version(home, tmp_path)
    window = open_window()
    qtbot.waitUntil(lambda: "your trained model" in window.model_label.text(), timeout=10000)
    before = weights(window)
    click_train(qtbot, window, learning_rate=1000, epochs=3)
    qtbot.waitUntil(lambda: window.training.state == "failed", timeout=30000)
    text = problem_shown(qtbot, window, "training stopped: ")
    assert "diverged to " in text and "(learning rate 1000 is probably too high)" in text
    assert window.training.status.text() == text
    settle(qtbot, window)
    if text.endswith("the weights went back to where training started"):
        assert same(weights(window), before)
    else:  # an epoch ended with a sane validation loss first: its weights are kept, and finite
        assert text.endswith("the weights went back to the end of epoch 1") and not same(weights(window), before)
        assert all(torch.isfinite(t).all() for t in weights(window).values())
    assert load_model(previous).info == {"previous": True}  # the saved model was not replaced
    assert versions(home) == ([("v0001", "imported")], "v0001")  # nor a failed run kept

    # A batch larger than the collection: one step per epoch, on all of it.
    window.training.learning_rate.setValue(0.002)
    click_train(qtbot, window, batch_size=4096, epochs=2)
    qtbot.waitUntil(lambda: window.training.state == "finished", timeout=30000)
    assert window.training.progress.maximum() == window.training.progress.value() == 2
    qtbot.waitUntil(lambda: versions(home)[1] == "v0002", timeout=10000)  # kept, and current, on finishing
    assert "previous" not in load_model(current_model_file(home)).info
    assert [h["step"] for h in load_model(current_model_file(home)).history[-2:]] == [1, 2]
    assert load_model(previous).info == {"previous": True}  # never overwritten


def expected_controls(window) -> dict:
    """What the training controls must show for the engine's trainer, right now."""
    trainer = window.worker.engine.trainer
    if trainer is None:
        return {"active": False, "start": True, "pause": False, "stop": False, "pause_text": "Pause"}
    paused = trainer.paused
    return {"active": True, "state": "paused" if paused else "running", "start": False, "pause": True,
            "stop": True, "pause_text": "Resume" if paused else "Pause"}


def shown_controls(window) -> dict:
    controls = window.training
    shown = {"active": window.session.run_state.active, "start": controls.start_button.isEnabled(),
             "pause": controls.pause_button.isEnabled(), "stop": controls.stop_button.isEnabled(),
             "pause_text": controls.pause_button.text()}
    if window.session.run_state.active:
        shown["state"] = controls.state
    return shown


@pytest.mark.slow
def test_200_random_clicks_on_train_pause_stop_never_leave_the_window_out_of_step(qtbot, open_window, home):
    fill(home, 20, 20)
    window = open_window()
    controls = window.training
    controls.epochs.setValue(1000)
    controls.batch_size.setValue(8)
    states: list[TrainingState] = []
    window.worker.message.connect(lambda m: states.append(m) if isinstance(m, TrainingState) else None)
    rng = random.Random(6)
    buttons = {"train": controls.start_button, "pause": controls.pause_button, "stop": controls.stop_button}
    seen_states, starts, done = set(), 0, []
    for _ in range(200):
        action = rng.choice(["train", "pause", "stop", "train", "pause", "stop", "start while training"])
        done.append(action)
        if action == "start while training":
            if not window.session.run_state.active:
                continue
            trainer = window.worker.engine.trainer
            window.session.start_training(controls.config(), False)  # as if Train could be pressed twice
            settle(qtbot, window)
            expected = TrainingState("paused" if trainer.paused else "running", "already training")
            assert window.worker.engine.trainer is trainer and states[-1] == expected
            starts += 1
        else:
            for _ in range(rng.choice([1, 1, 1, 2, 3])):  # double and triple clicks too
                qtbot.mouseClick(buttons[action], LEFT)
            settle(qtbot, window)
        assert shown_controls(window) == expected_controls(window), done[-4:]
        seen_states.add(controls.state)
    clicks = sum(1 for action in done if action != "start while training")
    print(f"\n200 random actions: {clicks} click actions, {starts} starts while training, states seen "
          f"{sorted(seen_states)}")
    assert {"running", "paused", "stopped"} <= seen_states and starts > 0


# --- a full disk, a read-only folder ----------------------------------------------------------------


def failing(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    return fail


@pytest.mark.parametrize("where, code, words", [
    ("fsync", errno.ENOSPC, "No space left on device"),  # the disk fills up while the file is written
    ("open", errno.EROFS, "Read-only file system"),  # the temp file cannot even be created
])
def test_a_drawing_that_cannot_be_saved_stays_on_the_canvas(qtbot, open_window, home, where, code, words):
    window = open_window()
    for key in (Qt.Key.Key_T, Qt.Key.Key_X):
        window.canvas.set_strokes(TICK)
        qtbot.keyClick(window, key)
    root = drawings_dir(home)
    before = snapshot(root)
    window.canvas.set_strokes(TICK)
    with pytest.MonkeyPatch.context() as patch:
        if where == "open":
            patch.setattr(atomic, "open", failing(code), raising=False)  # shadows the built-in there
        else:
            patch.setattr(os, where, failing(code))
        qtbot.keyClick(window, Qt.Key.Key_T)
    text = problem_shown(qtbot, window, f"{root / 'tick'}/")
    assert text.endswith(f": cannot save ({words})")
    assert not window.canvas.strokes().is_empty  # the drawing is still there to try again
    assert snapshot(root) == before  # nothing half-written, nothing lost
    assert window.session.store.counts() == {"tick": 1, "cross": 1} and "tick (1)" in window.label_bar.button("tick").text()
    qtbot.keyClick(window, Qt.Key.Key_T)  # space again: the same drawing is saved
    assert window.session.store.counts() == {"tick": 2, "cross": 1} and window.canvas.strokes().is_empty


def test_a_model_that_cannot_be_saved_after_training_keeps_the_previous_one(qtbot, open_window, home, tmp_path):
    fill(home, 20, 20)
    previous = previous_version(home, tmp_path)
    kept = previous.read_bytes()
    models = project_dir(home) / "models"
    window = open_window()
    real_replace = os.replace
    for code, words in [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system")]:
        def replace(src, dst, *args, code=code, **kwargs):  # only the models folder is full / read-only
            if Path(dst).parent == models:
                failing(code)()
            return real_replace(src, dst, *args, **kwargs)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "replace", replace)
            click_train(qtbot, window, epochs=1)
            qtbot.waitUntil(lambda: window.training.state == "finished", timeout=30000)
            text = problem_shown(qtbot, window, f"{models}/.incoming-")
        assert text.endswith(f": cannot save the model ({words})")
        assert previous.read_bytes() == kept and versions(home) == ([("v0001", "imported")], "v0001")
        assert sorted(p.name for p in models.iterdir()) == ["current", "v0001"]  # nothing half-written
    assert "trained in the app" in window.model_label.text()  # the new weights are still in use


# --- closing at the wrong moment --------------------------------------------------------------------


def test_closing_during_training_or_right_after_a_save_leaves_files_that_load(qtbot, open_window, home, tmp_path):
    fill(home, 20, 20)
    window = open_window()
    click_train(qtbot, window, epochs=1000, batch_size=8)
    qtbot.waitUntil(lambda: (window.worker.engine.trainer is not None
                             and window.worker.engine.trainer.step_count > 3), timeout=20000)
    window.close()
    assert not window.worker.running
    [incoming] = (project_dir(home) / "models").glob(".incoming-*.safetensors")  # kept at the next start
    saved = load_model(incoming, expected_classes=TICKS)
    assert saved.history == () or saved.history[-1]["epoch"] >= 1
    assert DrawingStore(drawings_dir(home), TICKS).counts() == {"tick": 20, "cross": 20}

    again = open_window()
    assert versions(home) == ([("v0001", "stopped early")], None)  # a version, not the one in use
    path = tmp_path / "saved-as.safetensors"
    again.worker.submit(SaveModel(path))
    again.close()  # at once: the queued save still completes before the thread ends
    assert not again.worker.running
    assert load_model(path, expected_classes=TICKS).spec == lenet_spec(TICKS)


# --- load ---------------------------------------------------------------------------------------------


def test_a_burst_of_drawings_through_the_window_are_all_kept(qtbot, open_window, home):
    # 100 here, each with the window's whole add path (preprocess, save, counts, collection view);
    # tests/core/test_faults.py adds 1000 through DrawingStore.add.
    window = open_window()
    drawings, labels = generate_ticks_crosses(50, seed=21)
    started = time.perf_counter()
    for i in range(100):
        window.canvas.set_strokes(drawings[i])
        qtbot.keyClick(window, (Qt.Key.Key_T, Qt.Key.Key_X)[labels[i]])
    seconds = time.perf_counter() - started
    print(f"\n100 drawings added through the window in {seconds:.1f}s ({seconds * 10:.0f} ms each on average)")
    expected = {"tick": 50, "cross": 50}
    assert window.session.store.counts() == expected and window.canvas.strokes().is_empty
    assert all(f"{c} ({n})" in window.label_bar.button(c).text() for c, n in expected.items())
    reopened = DrawingStore(drawings_dir(home), TICKS)
    images, targets = reopened.arrays()
    assert len(images) == 100 and reopened.problems == [] and np.bincount(targets).tolist() == [50, 50]
    assert all(len(reopened.strokes(e.id)) >= 1 for e in reopened.examples()[::17])  # the strokes are kept too
    settle(qtbot, window)  # and the app still answers


def test_adding_a_drawing_decodes_only_its_own_thumbnail(qtbot, open_window, home, monkeypatch):
    # The collection view re-read every shown thumbnail (up to 300 PNGs) after each added drawing:
    # 150 ms per key press with a few hundred drawings, and a 1000-drawing burst took 150 s.
    fill(home, 150, 150)
    window = open_window()
    window.docks["collection"].raise_()
    window.collection.refresh()
    assert window.collection.list.count() == 300
    decoded = []
    real_raster = DrawingStore.raster
    monkeypatch.setattr(DrawingStore, "raster", lambda store, example_id: decoded.append(example_id)
                        or real_raster(store, example_id))
    for key in (Qt.Key.Key_T, Qt.Key.Key_X):
        window.canvas.set_strokes(TICK)
        qtbot.keyClick(window, key)
    window.collection.refresh()
    newest = [e.id for e in window.session.store.examples()[-2:]]
    assert decoded == newest  # each new drawing once, nothing else
    assert window.collection.list.count() == 300 and window.collection.list.item(0).text() == "cross"


def test_the_import_summary_counts_what_was_left_out_and_names_the_first():
    from cnn_desktop.gui.import_actions import import_summary

    assert import_summary(3, ()) == "Imported 3 drawings."
    left_out = ("a/x.png: blank image, left out", "a/y.png: blank image, left out")
    assert import_summary(3, left_out) == "Imported 3 drawings. Left out 2: a/x.png: blank image, left out (and 1 more)."
