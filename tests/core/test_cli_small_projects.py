"""``cnn-desktop train --project`` on small projects (issue 13): the small-data settings unless told
otherwise, no held-out figure from a handful of drawings, the k-fold estimate or the reason there is
no figure, printed and recorded with the version."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnn_desktop.cli import main
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.synth import generate_ticks_crosses
from cnn_desktop.core.projects.project import Project
from cnn_desktop.core.training.run_plan import MIN_STEPS_FROM_SCRATCH


def _project(tmp_path: Path, per_class: int) -> Path:
    """A new tick/cross project holding ``per_class`` generated drawings of each."""
    images = tmp_path / "images"
    drawings, labels = generate_ticks_crosses(per_class, seed=5)
    for index, (strokes, label) in enumerate(zip(drawings, labels)):
        folder = images / ("tick", "cross")[label]
        folder.mkdir(parents=True, exist_ok=True)
        ink = (preprocess(strokes) * 255).astype(np.uint8)
        Image.fromarray(255 - ink).save(folder / f"{index:02d}.png")
    project = tmp_path / "marks"
    assert main(["project", "new", str(project), "--start", "scratch", "--classes", "tick,cross"]) == 0
    assert main(["import", "--project", str(project), str(images)]) == 0
    return project


def _info(folder: Path) -> tuple[dict, dict]:
    with Project.open(folder, read_only=True) as project:
        return project.record("v0001"), project.load_version("v0001").info


def test_a_small_project_trains_on_every_drawing_and_prints_the_kfold_estimate(tmp_path, capsys):
    folder = _project(tmp_path, 5)
    capsys.readouterr()
    assert main(["train", "--project", str(folder)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "v0001\n"
    assert "validation accuracy" not in captured.err  # no figure from a 1-drawing-a-class split
    estimate = [line for line in captured.err.splitlines() if line.startswith("5-fold estimate: ")]
    assert len(estimate) == 1 and " of 10 right (" in estimate[0] and "95% interval" in estimate[0]
    assert "warning: 'cross' has 5 drawings" in captured.err or "warning: 'tick' has 5 drawings" in captured.err
    record, info = _info(folder)
    assert record["data"] == {"examples": 10, "train_size": 10, "val_size": 0} and record["held_out_ids"] == []
    # From fresh weights (a new project has no version): the app's own settings, with enough steps.
    assert record["settings"]["epochs"] * 1 >= MIN_STEPS_FROM_SCRATCH  # 10 drawings: one batch an epoch
    validation = info["validation"]
    assert validation["method"] == "kfold" and validation["total"] == 10 and validation["folds"] == 5
    assert f"{validation['correct']} of 10 right" in estimate[0]
    low, high = validation["interval_95"]
    assert 0 <= low <= validation["accuracy"] <= high <= 1


def test_too_few_drawings_train_without_any_figure_and_say_why(tmp_path, capsys):
    folder = _project(tmp_path, 3)
    capsys.readouterr()
    assert main(["train", "--project", str(folder)]) == 0
    err = capsys.readouterr().err
    assert "validation accuracy" not in err and "estimate" not in err
    assert "Too few drawings to measure accuracy: at least 5 of each class are needed" in err
    record, info = _info(folder)
    assert record["validation"]["method"] == "none" and "Too few drawings" in record["validation"]["note"]
    assert record["data"]["val_size"] == 0
    assert info["validation"]["method"] == "none" and "at least 5" in info["validation"]["note"]


@pytest.mark.parametrize("options", [["--epochs", "3"], ["--validation-fraction", "0.2", "--epochs", "3"]])
def test_settings_given_on_the_command_line_are_kept(tmp_path, capsys, options):
    folder = _project(tmp_path, 5)
    assert main(["train", "--project", str(folder), *options]) == 0
    record, info = _info(folder)
    assert record["settings"]["epochs"] == 3
    if "--validation-fraction" in options:  # a split asked for is made, and says what it is worth
        assert record["data"]["val_size"] == 2 and info["validation"]["method"] == "holdout"
        assert "as asked" in info["validation"]["note"]
    else:
        assert record["data"]["val_size"] == 0 and info["validation"]["method"] == "kfold"


def test_settings_written_in_the_project_are_kept(tmp_path):
    folder = _project(tmp_path, 5)
    with Project.open(folder) as project:
        project.set_config(project.config.with_(epochs=4))
    assert main(["train", "--project", str(folder)]) == 0
    record, _ = _info(folder)
    assert record["settings"]["epochs"] == 4
