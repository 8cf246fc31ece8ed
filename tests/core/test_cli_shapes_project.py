"""Issue #13's "done when", through the command line: a new 4-class project with the default start,
10 drawings of each shape from one person, trained with the defaults, then judged on 200 new drawings
of the same person that it never saw."""

import json

import numpy as np
from PIL import Image

from cnn_desktop.cli import main
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.shapes import generate_shapes, personal_style
from cnn_desktop.core.projects.project import Project

SHAPES = ("circle", "square", "triangle", "star")


def _image_folder(root, drawings, labels):
    """Each drawing as a PNG people would have: dark ink on white, larger than the network's input."""
    for index, (strokes, label) in enumerate(zip(drawings, labels)):
        folder = root / SHAPES[label]
        folder.mkdir(parents=True, exist_ok=True)
        ink = (preprocess(strokes) * 255).astype(np.uint8)
        Image.fromarray(255 - ink).resize((112, 112)).save(folder / f"{index:03d}.png")
    return root


def test_four_shapes_from_ten_drawings_each_with_the_defaults(tmp_path, capsys):
    person = personal_style(101)
    own = _image_folder(tmp_path / "own", *generate_shapes(SHAPES, 10, seed=1, style=person))
    fresh = _image_folder(tmp_path / "fresh", *generate_shapes(SHAPES, 50, seed=2, style=person))
    project = tmp_path / "shapes"

    assert main(["project", "new", str(project), "--classes", ",".join(SHAPES)]) == 0
    assert main(["evaluate", "--project", str(project), str(fresh), "--json"]) == 0
    before = json.loads(capsys.readouterr().out.splitlines()[-1])["accuracy"]
    assert main(["import", "--project", str(project), str(own)]) == 0
    assert main(["train", "--project", str(project)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "v0002"  # v0001 is the start: the digits model's learned layers
    assert "5-fold estimate" in err  # 10 a class: judged by k-fold, never by a 4-drawing split

    assert main(["evaluate", "--project", str(project), str(fresh), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["n"] == 200 and report["accuracy"] >= 0.9, report
    assert before < 0.5  # the untrained output layer: about chance, so the figure above is learned
    with Project.open(project, read_only=True) as opened:
        record = opened.record("v0002")
    assert record["parent"] == "v0001" and record["validation"]["method"] == "kfold"
    print(f"\n4 shapes, 10 drawings each: {before:.1%} before training, {report['accuracy']:.1%} after "
          f"on 200 new drawings; k-fold estimate {record['validation']['accuracy']:.1%}")
