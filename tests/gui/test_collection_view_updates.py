"""The collection view shows the newest drawings of the chosen class and keeps up with the store: after
a label key only the new drawing is read and put at the top; any other change shows the list again."""

import numpy as np

from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.gui import collection_view
from cnn_desktop.gui.collection_view import CollectionView

CLASSES = ("tick", "cross")
IMAGE = np.zeros((28, 28), np.float32)
IMAGE[10:18, 12:16] = 1


def shown_ids(view):
    return [view.list.item(row).data(256) for row in range(view.list.count())]  # Qt.UserRole


def newest_ids(store, label=None, count=None):
    ids = [e.id for e in store.examples(label)][::-1]
    return ids[:count] if count else ids


def test_new_drawings_go_on_top_and_the_oldest_drop_off(show, tmp_path, monkeypatch):
    monkeypatch.setattr(collection_view, "MAX_SHOWN", 5)
    store = DrawingStore(tmp_path / "c", CLASSES)
    store.add_many([(CLASSES[i % 2], IMAGE, None) for i in range(7)])
    view = show(CollectionView())
    view.set_store(store)
    assert shown_ids(view) == newest_ids(store, count=5)
    assert view.summary.text().startswith("7 drawings (showing the newest 5)")
    read = []
    real = DrawingStore.raster
    monkeypatch.setattr(DrawingStore, "raster", lambda s, example_id: read.append(example_id) or real(s, example_id))
    added = [store.add("cross", IMAGE).id, store.add("tick", IMAGE).id]
    view.refresh()
    assert shown_ids(view) == newest_ids(store, count=5) and read == added[::-1]
    assert view.summary.text().startswith("9 drawings")


def test_changes_made_elsewhere_show_the_list_again(show, tmp_path):
    store = DrawingStore(tmp_path / "c", CLASSES)
    store.add_many([(CLASSES[i % 2], IMAGE, None) for i in range(6)])
    view = show(CollectionView())
    view.set_store(store)
    other = DrawingStore(tmp_path / "c", CLASSES)  # another window, or the Mistakes panel's store
    other.remove(newest_ids(store)[1])
    other.add("tick", IMAGE)
    view.refresh()
    assert shown_ids(view) == newest_ids(store)
    view.filter.setCurrentText("cross")  # one class
    assert shown_ids(view) == newest_ids(store, "cross")
    store.add("cross", IMAGE)
    view.refresh()
    assert shown_ids(view) == newest_ids(store, "cross") and view.summary.text().startswith("4 drawings")
