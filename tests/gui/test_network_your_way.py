"""Issue 14's "done when", in one session of the window: a person edits the network in the editor,
sees the shapes and counts change and an invalid layer refused, applies it, then trains the old and
the new network side by side on the project's drawings and sees both guesses while drawing."""

from PySide6.QtCore import Qt

from cnn_desktop.core.data.shapes import generate_shapes
from cnn_desktop.core.projects.starting import FROM_SCRATCH, create_project
from cnn_desktop.gui.network_table import OUTPUT, PARAMS
from gui_helpers import draw

SHAPES = ("circle", "square", "triangle")


def test_edit_the_network_then_train_old_and_new_side_by_side(qtbot, open_window, home):
    folder = create_project(home / "projects" / "shapes", "Shapes", SHAPES, start=FROM_SCRATCH)
    window = open_window()
    assert window.session.open_project(folder)
    qtbot.waitUntil(lambda: window.worker.engine.model.classes == SHAPES, timeout=10000)
    drawings, labels = generate_shapes(SHAPES, 8, seed=3)
    for strokes, label in zip(drawings, labels):
        window.canvas.set_strokes(strokes)
        assert window.session.add_drawing(SHAPES[label])

    project_menu = next(m.menu() for m in window.menuBar().actions() if m.text() == "&Project")
    next(a for a in project_menu.actions() if a.text() == "&Network…").trigger()
    editor = window.projects.network_editor
    qtbot.waitExposed(editor)
    table = editor.table
    assert table.row_text(1, OUTPUT) == "16x28x28" and table.row_text(1, PARAMS) == "416"
    editor.select_layer(0)
    editor.form.set_field("filters", 4)  # 4 filters instead of 16: the figures follow as typed
    assert table.row_text(1, OUTPUT) == "4x28x28" and table.row_text(1, PARAMS) == "104"
    editor.select_layer(5)
    for _ in range(3):
        editor.add_layer("pool")  # the third pool meets 1x1 maps: refused in its row, Apply off
    assert editor.summary.error.startswith("pool5: its 1x1 maps cannot be pooled") and not editor.apply_button.isEnabled()
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)  # pool5 goes: pools 3-4 on 2x2 and 1x1 run
    assert editor.summary.ok and editor.apply_button.isEnabled(), editor.summary.error
    qtbot.mouseClick(editor.apply_button, Qt.MouseButton.LeftButton)
    project = window.session.project
    assert project.current_version() == "v0002"
    editor.close()

    compare = window.compare.open()
    qtbot.waitExposed(compare)
    a, b = compare.pickers
    a.select("version v0001")
    b.select("version v0002 (in use)")
    for picker in compare.pickers:
        picker.epochs.setValue(2)
    assert "16, 32 filters" in compare.pair.text() and "4, 32 filters" in compare.pair.text()
    compare.train_button.click()
    qtbot.waitUntil(lambda: compare.comparison.state == "finished", timeout=30000)
    loss_a, loss_b = (items["loss"] for items in compare.curves.items)
    assert len(loss_a.xData) > 0 and len(loss_b.xData) > 0

    canvas = window.canvas
    width, height = canvas.width(), canvas.height()
    draw(qtbot, canvas, [(width // 3, height // 3), (2 * width // 3, height // 3), (2 * width // 3, 2 * height // 3),
                         (width // 3, 2 * height // 3), (width // 3, height // 3)])
    qtbot.waitUntil(lambda: all(" guesses " in text for text in compare.guesses.texts()), timeout=10000)
    a_text, b_text = compare.guesses.texts()
    assert a_text.startswith("A guesses ") and b_text.startswith("B guesses ")
    assert any(name in a_text for name in SHAPES) and any(name in b_text for name in SHAPES)
