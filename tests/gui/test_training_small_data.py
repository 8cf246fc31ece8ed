"""Training a tiny collection in the window (issue 13): no validation curve from a handful of drawings,
the line under the curves saying what the figure is or why there is none, the warning for classes
with few drawings, and defaults that give a small collection enough steps."""

import numpy as np
from PySide6.QtCore import Qt

from bars import make_bars
from cnn_desktop.core.projects.builtin import builtin_project_dir
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.tasks import TASKS, collection_dir
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.training.run_plan import MIN_STEPS_FROM_SCRATCH
from cnn_desktop.core.training.small_data import SMALL_DATA_TRAIN_CONFIG

TICKS = TASKS["ticks-crosses"]


def _fill(home, ticks: int, crosses: int) -> None:
    """Bars as ticks (horizontal) and crosses (vertical), in the mode's collection before the window opens."""
    images, labels = make_bars(4 * max(ticks, crosses) + 4, seed=5)
    keep = np.concatenate([np.flatnonzero(labels == 0)[:ticks], np.flatnonzero(labels == 1)[:crosses]])
    store = DrawingStore(collection_dir(TICKS, home), TICKS.classes)
    store.add_many((TICKS.classes[labels[i]], images[i], None) for i in keep)


def _train(qtbot, window) -> None:
    qtbot.mouseClick(window.training.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.state == "finished", timeout=120000)


def test_ten_drawings_a_class_show_no_validation_curve_and_the_kfold_estimate_under_the_curves(
        qtbot, open_window, home):
    """Issue 13's case: with 10 drawings a class the validation split was 2 drawings, and the curves
    showed validation 100%."""
    _fill(home, 10, 10)
    window = open_window("ticks-crosses")
    controls, curves = window.training, window.curves
    # Not changed by the person: the small-data settings, and why.
    assert controls.config().max_shear == SMALL_DATA_TRAIN_CONFIG.max_shear and not controls.customised
    assert "small collection" in controls.defaults_note.text()
    _train(qtbot, window)

    assert not curves.validation_shown and not curves.items["val_accuracy"].isVisible()
    assert curves.items["val_accuracy"].xData is None or len(curves.items["val_accuracy"].xData) == 0
    assert curves.items["train_accuracy"].xData is not None and len(curves.items["train_accuracy"].xData) > 0
    note = curves.note.text()
    assert note.startswith("5-fold estimate: ") and " of 20 right (" in note and not curves.note.isHidden()
    assert controls.status.text().endswith(f"5-fold estimate {note.split()[2]}/20 right.")  # "37 of 40" -> 37/40
    qtbot.waitUntil(lambda: builtin_project_dir(TICKS, home).joinpath("models", "v0001").is_dir(), timeout=5000)
    with Project.open(builtin_project_dir(TICKS, home), read_only=True) as project:
        validation = project.load_version("v0001").info["validation"]
        recorded = project.record("v0001")["validation"]
    assert validation["method"] == "kfold" and validation["total"] == 20 and f"{validation['correct']} of 20" in note
    # The version's record keeps the estimate, and the versions list shows it as what it is.
    assert recorded["method"] == "kfold" and recorded["accuracy"] == validation["accuracy"]
    qtbot.waitUntil(lambda: window.versions.list.count() == 1, timeout=5000)
    assert f"k-fold estimate {validation['accuracy']:.0%}" in window.versions.list.item(0).text()


def test_too_few_drawings_say_why_under_the_curves_and_warn_before_training(qtbot, open_window, home):
    _fill(home, 10, 3)
    window = open_window("ticks-crosses")
    warning = window.training.warning
    assert not warning.isHidden() and warning.text().startswith("'cross' has 3 drawings")
    assert "unreliable" in warning.text()
    _train(qtbot, window)
    curves = window.curves
    assert not curves.validation_shown and not curves.items["val_loss"].isVisible()
    assert curves.note.text().startswith("No validation figure. Too few drawings to measure accuracy: "
                                         "at least 5 of each class are needed ('cross' has 3)")
    assert not warning.isHidden()  # still said once training has started


def test_from_scratch_with_the_default_settings_twenty_drawings_train_enough_steps(qtbot, open_window, home):
    """Issue 13's case: from scratch with the default settings, 20 drawings trained for 15 steps."""
    _fill(home, 10, 10)
    window = open_window("ticks-crosses")
    controls = window.training
    controls.from_scratch.setChecked(True)
    assert controls.batch_size.value() == TICKS.app_train_config.batch_size  # its own settings, more epochs
    assert controls.epochs.value() >= MIN_STEPS_FROM_SCRATCH
    _train(qtbot, window)
    assert controls.progress.maximum() >= MIN_STEPS_FROM_SCRATCH


def test_settings_the_person_chose_are_kept_when_the_collection_changes(qtbot, open_window, home):
    _fill(home, 10, 10)
    window = open_window("ticks-crosses")
    window.training.epochs.setValue(7)
    assert window.training.customised
    window.session.refresh_counts()
    window.training.from_scratch.setChecked(True)
    assert window.training.epochs.value() == 7


def test_after_a_run_one_line_says_what_happened_and_the_settings_keep_their_size(qtbot, open_window, home):
    # Before (issue #15): a 0.3 s run's messages were overwritten before anyone could read them, and a
    # status wrapping onto three lines squashed the Epochs, Learning rate and Batch size boxes.
    import re

    _fill(home, 10, 10)
    window = open_window("ticks-crosses")
    window.resize(1280, 800)
    epochs = window.training.epochs
    _train(qtbot, window)
    status = window.training.status.text()
    assert re.fullmatch(r"Trained \d+ steps in \d+\.\d s, 5-fold estimate \d+/20 right\.", status), status
    qtbot.wait(50)
    assert epochs.height() >= epochs.sizeHint().height()  # the notes and the status scroll, never squash it
    assert window.height() == 800  # and never make the window taller than the screen
