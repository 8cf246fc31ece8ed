"""File > Import in the window: a zip of images, progress while it stores, Cancel, and a person's
project whose classes were renamed (drawings are stored under class ids)."""

import zipfile

import numpy as np
from PIL import Image

from cnn_desktop.core.app.project_modes import ProjectTask
from cnn_desktop.core.projects.starting import FROM_SCRATCH, create_project
from cnn_desktop.gui.import_job import CANCELLED
from fault_files import tick_pixels


def _image_folder(root, per_label):
    for label, count in per_label.items():
        (root / label).mkdir(parents=True)
        for i in range(count):
            pixels = np.roll(tick_pixels(), i % 7, axis=1)
            Image.fromarray(pixels).save(root / label / f"{i:04d}.png")
    return root


def _run(qtbot, window, source, timeout=60000):
    finished, progress = [], []
    window.imports.finished.connect(lambda *outcome: finished.append(outcome))
    job = window.imports.start(source)
    job.yielded.connect(progress.append)
    qtbot.waitUntil(lambda: bool(finished) and window.imports.job is None, timeout=timeout)
    return finished[-1], progress


def test_a_zip_of_class_folders_with_junk_imports_into_the_project(qtbot, open_window, tmp_path):
    window = open_window("ticks-crosses")
    folder = _image_folder(tmp_path / "shapes", {"tick": 3, "cross": 2})
    archive = tmp_path / "shapes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*.png")):
            zf.write(path, f"shapes/{path.relative_to(folder)}")  # one top folder, as people zip them
        zf.writestr("__MACOSX/shapes/._tick", b"junk")
        zf.writestr("shapes/.DS_Store", b"junk")
    (added, left_out, problem), _ = _run(qtbot, window, archive)
    assert (added, problem) == (5, "") and window.session.store.counts() == {"tick": 3, "cross": 2}
    assert "tick (3)" in window.label_bar.button("tick").text()


def test_progress_comes_while_storing_and_cancel_keeps_what_was_stored(qtbot, open_window, tmp_path):
    # Before: the write phase showed no progress and there was no Cancel.
    window = open_window("ticks-crosses")
    source = _image_folder(tmp_path / "many", {"tick": 400, "cross": 400})
    assert window.imports.cancel_button.isHidden()
    window.imports.finished.connect(lambda *_: None)
    job = window.imports.start(source)
    assert window.imports.cancel_button.isVisible()
    seen = []
    job.yielded.connect(lambda step: (seen.append(step), step[0] == "importing" and window.imports.cancel_button.click()))
    qtbot.waitUntil(lambda: window.imports.job is None, timeout=60000)
    added, _, problem = job.outcome
    assert problem == CANCELLED and 0 < added < 800
    assert [s for s in seen if s[0] == "importing"][0][2] == 800  # progress counts towards the whole source
    assert sum(window.session.store.counts().values()) == added  # what was stored stays, nothing half-written
    assert window.imports.cancel_button.isHidden() and window.imports.progress.isHidden()


def test_import_into_a_project_whose_class_was_renamed_stores_under_the_class_id(qtbot, open_window, home, tmp_path):
    folder = create_project(home / "marks", "marks", ["ring", "bar"], start=FROM_SCRATCH)
    window = open_window()
    assert window.session.open_project(folder)
    qtbot.waitUntil(lambda: isinstance(window.session.task, ProjectTask), timeout=5000)
    assert window.session.rename_class("ring", "circle") == ""  # "": done; the folder stays drawings/ring/
    source = _image_folder(tmp_path / "in", {"circle": 2, "bar": 1})
    (added, left_out, problem), _ = _run(qtbot, window, source)
    assert (added, problem) == (3, ""), problem
    assert sorted(p.name for p in (folder / "drawings").iterdir() if p.is_dir()) == ["bar", "ring"]
    assert len(list((folder / "drawings" / "ring").glob("*.png"))) == 2
    assert "circle (2)" in window.label_bar.button("circle").text()
