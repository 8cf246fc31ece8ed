"""gui/drawing_editor.py: the one delete/relabel editor of the collection view and the Mistakes panel."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from cnn_desktop.core.app.messages import CollectionEvaluation
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.errors import DataError
from cnn_desktop.gui.collection_view import CollectionView
from cnn_desktop.gui.inspection.confusion_view import ConfusionPanel

CLASSES = ("tick", "cross")


@pytest.fixture
def store(tmp_path):
    store = DrawingStore(tmp_path / "collection", CLASSES)
    image = np.zeros((28, 28), np.float32)
    image[10:18, 12:16] = 1
    store.add_many([("tick", image, None), ("tick", image, None), ("cross", image, None)])
    return store


def collection_view(show, store):
    view = show(CollectionView())
    view.set_store(store)
    return view


def confusion_panel(show, store):
    panel = show(ConfusionPanel())
    panel.set_store(store)
    ticks = tuple(e.id for e in store.examples("tick"))
    crosses = tuple(e.id for e in store.examples("cross"))
    panel.show_result(CollectionEvaluation(1, 1, CLASSES, np.array([[0, 2], [1, 0]]),
                                           (((), ticks), (crosses, ())), "all", 0.1, 0))
    panel.show_cell(0, 1)  # the two ticks, guessed cross
    return panel


VIEWS = {"collection": collection_view, "mistakes": confusion_panel}


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_the_del_key_deletes_the_selected_drawings_when_the_thumbnails_have_the_focus(qtbot, show, store, make):
    view = make(show, store)
    view.list.item(0).setSelected(True)
    view.list.setFocus()
    qtbot.waitUntil(view.list.hasFocus)
    with qtbot.waitSignal(view.changed, timeout=2000):
        qtbot.keyClick(view.list, Qt.Key.Key_Delete)
    assert sum(store.counts().values()) == 2


def choose(menu: QMenu, *path: str) -> None:
    """Trigger the entry at ``path`` of a menu, as a click on it would."""
    for name in path:
        action = next(a for a in menu.actions() if a.text() == name)
        menu = action.menu() or action
    action.trigger()


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_the_right_click_menu_relabels_and_deletes(show, store, make):
    view = make(show, store)
    assert view.editor.context_menu() is None  # nothing selected: no menu
    before = store.counts()
    other = CLASSES[1 - CLASSES.index(view.list.item(0).text())]  # the caption is the drawing's label
    view.list.item(0).setSelected(True)
    choose(view.editor.context_menu(), "Relabel as", other)
    assert store.counts()[other] == before[other] + 1
    view.list.item(0).setSelected(True)
    choose(view.editor.context_menu(), "Delete")
    assert sum(store.counts().values()) == 2


def test_the_buttons_wait_for_drawings_to_act_on(show, store):
    panel = show(ConfusionPanel())
    panel.set_store(store)
    assert not panel.delete_button.isEnabled()
    panel = confusion_panel(show, store)
    assert panel.delete_button.isEnabled() and panel.relabel_box.count() == 2


def test_a_failure_is_told_where_each_view_tells_problems(qtbot, show, store, monkeypatch):
    def refuse(self, example_id):
        raise DataError(f"{example_id}: cannot delete (Permission denied)")

    monkeypatch.setattr(DrawingStore, "remove", refuse)
    view = collection_view(show, store)
    view.list.item(0).setSelected(True)
    with qtbot.waitSignal(view.problem, timeout=2000) as told:
        view.delete_selected()
    assert "Permission denied" in told.args[0] and view.list.count() == 3
    panel = confusion_panel(show, store)
    panel.list.item(0).setSelected(True)
    panel.delete_selected()
    assert "Permission denied" in panel.cell_label.text() and panel.list.count() == 2
