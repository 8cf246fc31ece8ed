"""A person's own projects in the window: File > New project, the mode selector, label keys on the
buttons, Project > Classes, and (the "done when" of issue 13) four shapes learned from ten drawings each
drawn through the canvas."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from cnn_desktop.core.app.class_editing import BUILTIN_CLASSES_FIXED, NEW_OUTPUT_NOTE
from cnn_desktop.core.app.project_modes import ProjectTask
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.shapes import generate_shapes, personal_style
from cnn_desktop.core.network.model import predict_proba
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.projects.starting import FROM_SCRATCH, START_ADVICE
from cnn_desktop.gui.new_project_dialog import NewProjectDialog
from gui_helpers import LEFT

SHAPES = ("circle", "square", "triangle", "star")
KEYS = {"circle": Qt.Key.Key_C, "square": Qt.Key.Key_S, "triangle": Qt.Key.Key_T, "star": Qt.Key.Key_A}


@pytest.fixture
def bundled_models(monkeypatch, home):
    """The real bundled models (the digits layers are a new project's recommended start)."""
    monkeypatch.delenv("CNN_DESKTOP_RESOURCES")
    return home


def _create(qtbot, window, name, classes, scratch=False):
    """Make a project through File > New project's dialog, and wait until the window uses it."""
    dialog = window.projects.new_project()
    dialog.name.setText(name)
    dialog.classes.setPlainText("\n".join(classes))
    if scratch:
        next(b for b in dialog.starts.buttons() if b.text() == FROM_SCRATCH.label).setChecked(True)
    assert dialog.ok_button.isEnabled(), dialog.error.text()
    qtbot.mouseClick(dialog.ok_button, LEFT)
    qtbot.waitUntil(lambda: isinstance(window.session.task, ProjectTask)
                    and window.worker.engine.model is not None
                    and window.worker.engine.model.classes == tuple(classes), timeout=20000)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)  # its keys label drawings
    return window.session.task


def _draw_through_canvas(qtbot, canvas, strokes, canvas_size):
    """The strokes, scaled to fit the canvas widget, sent as mouse presses, moves and releases."""
    width, height = canvas_size
    scale = 0.9 * min(canvas.width() / width, canvas.height() / height)
    for stroke in strokes:
        points = [QPoint(int(x * scale) + 5, int(y * scale) + 5) for x, y in stroke]
        qtbot.mousePress(canvas, LEFT, pos=points[0])
        for point in points[1:]:
            qtbot.mouseMove(canvas, point)
        qtbot.mouseRelease(canvas, LEFT, pos=points[-1])


def test_the_new_project_dialog_checks_what_is_typed_as_the_core_does(qtbot, tmp_path):
    dialog = NewProjectDialog(tmp_path)
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled() and dialog.error.text() == "Give the project a name."
    dialog.name.setText("Shapes")
    dialog.classes.setPlainText("circle")
    assert not dialog.ok_button.isEnabled() and "2 to 50 classes, not 1" in dialog.error.text()
    dialog.classes.setPlainText("circle\nCircle")
    assert not dialog.ok_button.isEnabled() and "repeated" in dialog.error.text()
    dialog.classes.setPlainText("circle\nsquare\n\n")
    assert dialog.ok_button.isEnabled() and dialog.error.text() == ""
    assert dialog.class_names() == ["circle", "square"] and dialog.project_folder() == tmp_path / "Shapes"
    assert dialog.start().key == "digits-layers"  # the recommended start is the default
    assert START_ADVICE in [w.text() for w in dialog.findChildren(type(dialog.error))]
    (tmp_path / "Shapes").mkdir()
    assert dialog.check() == "" and dialog.project_folder() == tmp_path / "Shapes-2"  # never an existing folder


def test_a_project_made_in_the_app_is_a_mode_with_keys_on_its_buttons(qtbot, open_window, home):
    window = open_window("ticks-crosses")
    assert window.label_bar.button("tick").text() == "tick (0)  [T]"
    task = _create(qtbot, window, "Shapes", SHAPES, scratch=True)
    assert task.folder == home / "projects" / "Shapes" and task.title == "Shapes"
    assert window.mode_box.currentText() == "Shapes"
    assert [window.label_bar.button(c).text() for c in SHAPES] == [
        "circle (0)  [C]", "square (0)  [S]", "triangle (0)  [T]", "star (0)  [A]"]
    window.canvas.set_strokes(generate_shapes(["circle"], 1, seed=3)[0][0])
    qtbot.keyClick(window, Qt.Key.Key_C)
    assert window.session.store.counts()["circle"] == 1 and window.label_bar.button("circle").text().startswith(
        "circle (1)")
    assert window.canvas.strokes().is_empty

    window.mode_box.setCurrentIndex(window.mode_box.findData("digits"))  # and back, from the list
    qtbot.waitUntil(lambda: window.session.task.name == "digits", timeout=5000)
    assert window.mode_box.findText("Shapes") >= 0
    window.mode_box.setCurrentIndex(window.mode_box.findText("Shapes"))
    qtbot.waitUntil(lambda: window.worker.engine.model.classes == SHAPES, timeout=10000)
    assert window.label_bar.button("circle").text() == "circle (1)  [C]"
    versions = Project.open(task.folder, read_only=True).versions()
    assert [(v["reason"], v["note"]) for v in versions] == [("start", FROM_SCRATCH.note)]


def test_the_class_editor_adds_renames_deletes_and_restores(qtbot, open_window, home, monkeypatch):
    window = open_window()
    editor = window.projects.edit_classes()
    assert editor.fixed_note.text() == BUILTIN_CLASSES_FIXED and not editor.add_button.isEnabled()
    _create(qtbot, window, "Shapes", SHAPES, scratch=True)
    window.canvas.set_strokes(generate_shapes(["star"], 1, seed=3)[0][0])
    qtbot.keyClick(window, Qt.Key.Key_A)
    editor = window.projects.edit_classes()
    assert not editor.fixed_note.isVisible() and editor.output_note.text() == NEW_OUTPUT_NOTE

    editor.new_name.setText("heart")
    qtbot.mouseClick(editor.add_button, LEFT)
    assert window.session.task.classes == (*SHAPES, "heart") and editor.error.text() == ""
    assert window.label_bar.button("heart").text() == "heart (0)  [H]"

    editor.table.item(0, 0).setText("ring")  # a rename, typed in the table
    assert window.session.task.classes[0] == "ring" and window.label_bar.button("ring").text() == "ring (0)  [C]"
    editor.table.item(1, 1).setText("c")  # circle's (now ring's) key: refused where it was typed
    assert editor.error.text() == "Key C already labels 'ring'; choose another."
    assert window.session.task.keys[1] == "S" and editor.table.item(1, 1).text() == "S"

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    editor.table.selectRow(3)  # star, with its one drawing
    qtbot.mouseClick(editor.delete_button, LEFT)
    assert "star" not in window.session.task.classes and editor.trash.count() == 1
    assert editor.trash.item(0).text().startswith("star · 1 drawing")
    editor.trash.setCurrentRow(0)
    qtbot.mouseClick(editor.restore_button, LEFT)
    assert window.session.task.classes[-1] == "star" and editor.trash.count() == 0
    assert window.label_bar.button("star").text() == "star (1)  [A]"
    reasons = [v["note"] for v in Project.open(window.session.task.folder, read_only=True).versions()]
    assert reasons[1:] == ["added class 'heart' (learned layers kept, new output layer)",
                           "renamed 'circle' to 'ring' (same weights)",
                           "deleted class 'star' (learned layers kept, new output layer)",
                           "restored class from the trash (" + reasons[-1].split("(")[1].split(")")[0]
                           + ") (learned layers kept, new output layer)"]
    qtbot.waitUntil(lambda: window.worker.engine.model.classes == window.session.task.classes, timeout=10000)


def test_four_shapes_from_ten_drawings_each_drawn_on_the_canvas(qtbot, open_window, bundled_models):
    """Issue 13's "done when": a new project, 10 drawings a class through the canvas and its keys,
    training with the project's defaults, then at least 90% on 200 fresh shapes."""
    window = open_window()
    _create(qtbot, window, "Shapes", SHAPES)  # from the digits model's learned layers, the default
    person = personal_style(101)
    drawings, labels = generate_shapes(SHAPES, 10, seed=1, style=person)
    for strokes, label in zip(drawings, labels):
        _draw_through_canvas(qtbot, window.canvas, strokes, person.canvas)
        qtbot.keyClick(window.canvas, KEYS[SHAPES[label]])
    assert window.session.store.counts() == dict.fromkeys(SHAPES, 10)

    with qtbot.waitSignal(window.session.training_started, timeout=10000):
        qtbot.mouseClick(window.training.start_button, LEFT)
    qtbot.waitUntil(lambda: window.training.state == "finished", timeout=60000)
    qtbot.waitUntil(lambda: window.session.versions[0]["reason"] == "trained", timeout=10000)

    fresh, fresh_labels = generate_shapes(SHAPES, 50, seed=2, style=person)  # new drawings, a new seed
    images = np.stack([preprocess(s) for s in fresh])
    accuracy = (predict_proba(window.worker.engine.model, images).argmax(1) == fresh_labels).mean()
    assert accuracy >= 0.9, accuracy
