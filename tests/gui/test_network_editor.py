"""Project > Network…: editing the layers shows their figures at once, refuses what cannot run inline
with Apply off, and Apply keeps the new design as a new version that the engine then runs."""

import hashlib
import json

from PySide6.QtCore import Qt

from cnn_desktop.core.app.network_editing import NETWORK_CHANGED
from cnn_desktop.core.data.shapes import generate_shapes
from cnn_desktop.core.network.presets import PRESETS
from cnn_desktop.core.network.spec import Conv, MaxPool, TrainConfig
from cnn_desktop.core.projects.starting import FROM_SCRATCH, create_project
from cnn_desktop.gui.network_table import ERROR_COLOUR, MACS, OUTPUT, PARAMS

SHAPES = ("circle", "square", "triangle")
LEFT = Qt.MouseButton.LeftButton


def files_of(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_edit_refuse_inline_and_apply_as_a_new_version(qtbot, open_window, home):
    folder = create_project(home / "projects" / "shapes", "Shapes", SHAPES, start=FROM_SCRATCH)
    window = open_window()
    assert window.session.open_project(folder)
    qtbot.waitUntil(lambda: window.worker.engine.model.classes == SHAPES, timeout=10000)
    [project_menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&Project"]
    [action] = [a for a in project_menu.actions() if a.text() == "&Network…"]
    action.trigger()
    editor = window.projects.network_editor
    qtbot.waitExposed(editor)
    table = editor.table
    assert table.row_text(1, 0) == "conv1" and table.row_text(1, OUTPUT) == "16x28x28"
    assert table.row_text(1, PARAMS) == "416" and not editor.apply_button.isEnabled()  # the one in use
    assert "1,000,000 parameters" in editor.limits.text() and "20 million multiply-adds" in editor.limits.text()

    editor.select_layer(0)
    editor.form.set_field("filters", 8)  # as typed: the row, the next conv's and the totals follow
    assert table.row_text(1, OUTPUT) == "8x28x28" and table.row_text(1, PARAMS) == "208"
    assert table.row_text(4, PARAMS) == f"{32 * 8 * 25 + 32:,}" and table.row_text(4, MACS) == f"{32 * 8 * 25 * 100:,}"
    assert f"{editor.summary.totals.params:,} of at most" in editor.totals.text()
    assert json.loads(editor.text.toPlainText())["layers"][0]["filters"] == 8  # the text view follows
    assert editor.apply_button.isEnabled()

    editor.select_layer(5)  # pool2 (5x5 maps): two more pools reach 1x1, a third cannot run
    for _ in range(3):
        editor.add_layer("pool")
    line = "pool5: its 1x1 maps cannot be pooled 2x2; remove it or pad conv2"
    assert editor.summary.error == line and table.error_row == 9 and table.row_text(9, 0) == "pool5"
    assert table.row_text(9, OUTPUT) == line and table.item(9, OUTPUT).foreground().color() == ERROR_COLOUR
    assert table.row_text(10, OUTPUT) == "—" and editor.error.text() == f"Cannot run: {line}"
    assert not editor.apply_button.isEnabled()
    qtbot.mouseClick(editor.remove_button, LEFT)  # pool5 goes; the network runs again
    assert editor.summary.ok and table.error_row == -1 and editor.apply_button.isEnabled()
    assert editor.form.kind.currentData() == "flatten"  # the row that took its place is selected
    qtbot.mouseClick(editor.up_button, LEFT)  # flatten before pool4: no pool on flat values
    assert editor.summary.error.startswith("pool4: a pool layer cannot follow flatten") and table.error_row == 9
    qtbot.mouseClick(editor.down_button, LEFT)
    assert editor.summary.ok
    editor.select_layer(7)
    qtbot.mouseClick(editor.up_button, LEFT)  # reordering: pool4 before pool3 changes nothing
    assert [type(layer) for layer in editor.layers[5:8]] == [MaxPool] * 3 and table.currentRow() == 7

    editor.text.setPlainText("{\"layers\": [")  # bad JSON: one line under the text, the list stays
    assert editor.text_error.text().startswith("not JSON") and "\n" not in editor.text_error.text()
    assert not editor.apply_button.isEnabled() and len(editor.layers) == 12
    tiny = json.loads(json.dumps(PRESETS["tiny"]))
    tiny["layers"][0]["filters"] = 2
    editor.text.setPlainText(json.dumps(tiny))  # text typed: the list follows
    assert editor.text_error.text() == "" and table.row_text(1, OUTPUT) == "2x28x28" and table.rowCount() == 9
    assert editor.apply_button.isEnabled()

    project = window.session.project
    before = files_of(project.folder / "models" / "v0001")
    qtbot.mouseClick(editor.apply_button, LEFT)
    assert project.current_version() == "v0002" and files_of(project.folder / "models" / "v0001") == before
    record = project.record("v0002")
    assert (record["reason"], record["parent"]) == (NETWORK_CHANGED, "v0001")
    assert record["network"]["layers"] == tiny["layers"] and editor.apply_note.text().startswith("Kept as v0002")
    assert not editor.apply_button.isEnabled()
    qtbot.waitUntil(lambda: window.worker.engine.model.spec.layers[0] == Conv(2, 5, padding=2), timeout=10000)
    qtbot.waitUntil(lambda: "not trained yet (v0002)" in window.model_label.text(), timeout=5000)  # queued

    drawings, labels = generate_shapes(SHAPES, 3, seed=1)  # training afterwards trains the new network
    for strokes, label in zip(drawings, labels):
        window.canvas.set_strokes(strokes)
        assert window.session.add_drawing(SHAPES[label])
    window.session.start_training(TrainConfig(epochs=1, batch_size=9), from_scratch=False)
    qtbot.waitUntil(lambda: window.session.versions[0]["reason"] == "trained", timeout=20000)
    trained = project.record(window.session.versions[0]["version"])
    assert trained["parent"] == "v0002" and trained["network"]["layers"] == tiny["layers"]


def test_presets_load_with_one_click_and_a_read_only_window_cannot_apply(qtbot, open_window):
    window = open_window("ticks-crosses")
    editor = window.projects.edit_network()
    qtbot.mouseClick(editor.presets["lenet5"], LEFT)
    assert editor.input_box.currentData() == 32 and editor.table.row_text(1, OUTPUT) == "6x28x28"
    assert editor.table.row_text(2, 0) == "tanh1" and editor.summary.ok and editor.apply_button.isEnabled()
    window.session.project.read_only = True  # as a second window on the same project opens it
    editor.select_layer(0)
    editor.form.set_field("filters", 4)
    assert not editor.apply_button.isEnabled() and "read-only" in editor.apply_note.text()


def test_dragging_a_row_moves_its_layer(qtbot, open_window):
    from PySide6.QtCore import QMimeData, QPointF
    from PySide6.QtGui import QDropEvent

    window = open_window("ticks-crosses")
    editor = window.projects.edit_network()
    qtbot.waitExposed(editor)
    table = editor.table
    editor.select_layer(2)  # pool1, dropped on relu1's row: the pool comes before the activation
    target = table.visualRect(table.model().index(2, 0)).center()
    drop = QDropEvent(QPointF(target), Qt.DropAction.MoveAction, QMimeData(), LEFT, Qt.KeyboardModifier.NoModifier)
    table.dropEvent(drop)
    assert [table.row_text(row, 0) for row in (1, 2, 3)] == ["conv1", "pool1", "relu1"]
    assert table.currentRow() == 2 and editor.form.kind.currentData() == "pool"
    assert json.loads(editor.text.toPlainText())["layers"][1]["kind"] == "pool"
    assert table.row_text(3, OUTPUT) == "16x14x14" and editor.apply_button.isEnabled()
