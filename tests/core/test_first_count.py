"""A large project's first count runs in a thread of its own, so the window can appear at once; small
projects, and projects counted before, are counted at once as they always were."""

import os
import threading
import time

import numpy as np
import pytest

from bars import make_bars
from cnn_desktop.core.app import first_count
from cnn_desktop.core.app.messages import DrawingsCounted
from cnn_desktop.core.app.session import Session
from cnn_desktop.core.data import store_tally
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.store_index import INDEX_NAME
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.projects.builtin import builtin_project_dir, open_or_create_builtin
from cnn_desktop.core.tasks import TASKS

TICKS = TASKS["ticks-crosses"]


@pytest.fixture(autouse=True)
def no_bundled_models(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_DESKTOP_RESOURCES", str(tmp_path / "no-resources"))


def _project_with(home, ticks, crosses):
    folder = builtin_project_dir(TICKS, home)
    open_or_create_builtin(TICKS, folder).close()
    images, labels = make_bars(2 * max(ticks, crosses) + 8, seed=1)
    chosen = [*np.flatnonzero(labels == 0)[:ticks], *np.flatnonzero(labels == 1)[:crosses]]
    DrawingStore(folder / "drawings", TICKS.classes).add_many(
        (TICKS.classes[labels[i]], images[i], None) for i in chosen)
    an_hour_ago = time.time() - 3600
    for label in TICKS.classes:  # settled folders: a listing is saved only once their times are old
        os.utime(folder / "drawings" / label, (an_hour_ago, an_hour_ago))
    return folder / "drawings"


def test_only_a_large_collection_never_counted_before_goes_to_a_thread(tmp_path):
    drawings = _project_with(tmp_path, 12, 9)
    assert not first_count.wants_background(drawings, TICKS.classes)  # 21 entries: at once
    assert first_count.wants_background(drawings, TICKS.classes, above=20)
    (drawings / INDEX_NAME).write_text("{}")  # counted before: later counts read the saved listing
    assert not first_count.wants_background(drawings, TICKS.classes, above=20)


def test_the_window_is_told_when_the_first_count_is_done_and_counts_then(tmp_path, monkeypatch):
    drawings = _project_with(tmp_path, 12, 9)
    monkeypatch.setattr(first_count, "BACKGROUND_ABOVE", 20)
    monkeypatch.setattr(store_tally, "SAVE_AFTER", 10)  # saved after 1,000 names learnt; here 21
    delivered, arrived = [], threading.Event()
    session = Session(lambda command: None, home=tmp_path,
                      deliver=lambda message: (delivered.append(message), arrived.set()))
    counts, statuses = [], []
    session.counts_changed.connect(counts.append)
    session.status.connect(statuses.append)
    calls = []
    real_counts = DrawingStore.counts
    monkeypatch.setattr(DrawingStore, "counts", lambda self, check=False: (
        calls.append(threading.current_thread().name), real_counts(self, check))[1])

    session.switch_task("ticks-crosses")
    assert "Counting the drawings of Ticks & crosses…" in statuses
    assert arrived.wait(30), "the counting thread never reported"
    assert delivered == [DrawingsCounted(drawings)] and (drawings / INDEX_NAME).is_file()
    assert set(calls) == {"cnn-desktop-first-count"}  # nothing was counted on this thread meanwhile
    assert counts == []
    session.drawing = Strokes.from_points([np.array([[10.0, 10.0], [60.0, 80.0], [120.0, 20.0]])])
    assert session.add_drawing("tick")  # a label key while... the thread has reported, not yet handled
    assert counts == [] and set(calls) == {"cnn-desktop-first-count"}
    session.handle(delivered[0])  # on the window's thread: counted now, from the saved listing
    assert counts == [{"tick": 13, "cross": 9}]
    session.close()


def test_without_a_way_back_to_the_window_everything_is_counted_at_once(tmp_path, monkeypatch):
    _project_with(tmp_path, 12, 9)
    monkeypatch.setattr(first_count, "BACKGROUND_ABOVE", 20)
    session = Session(lambda command: None, home=tmp_path)  # tests, scripts: no deliver
    counts = []
    session.counts_changed.connect(counts.append)
    session.switch_task("ticks-crosses")
    assert counts == [{"tick": 12, "cross": 9}]
    session.close()
