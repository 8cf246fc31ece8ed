"""The command line for projects: project new/info/versions/use, import --project, and train, evaluate,
predict and info with --project. Tiny data (20 generated ticks and 20 crosses, 2 epochs): these check
the flow, the lock and the one-line errors, not accuracy."""

import gzip
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnn_desktop.cli import build_parser, main
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.synth import generate_ticks_crosses
from cnn_desktop.core.projects.project import Project
from bars import make_bars


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory) -> Path:
    """<root>/tick/*.png and <root>/cross/*.png: 20 generated drawings each, dark ink on white."""
    root = tmp_path_factory.mktemp("images")
    drawings, labels = generate_ticks_crosses(20, seed=5)
    for index, (strokes, label) in enumerate(zip(drawings, labels)):
        folder = root / ("tick", "cross")[label]
        folder.mkdir(exist_ok=True)
        ink = (preprocess(strokes) * 255).astype(np.uint8)
        Image.fromarray(255 - ink).resize((84, 84)).save(folder / f"{index:02d}.png")
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory, image_folder) -> Path:
    """A project of ticks and crosses with their drawings and one trained version, v0001."""
    folder = tmp_path_factory.mktemp("projects") / "marks"
    assert main(["project", "new", str(folder), "--start", "scratch", "--classes", "tick,cross"]) == 0
    assert main(["import", "--project", str(folder), str(image_folder)]) == 0
    assert main(["train", "--project", str(folder), "--epochs", "2"]) == 0
    return folder


def _lines(text: str) -> list[str]:
    return text.rstrip("\n").splitlines()


def _snapshot(folder: Path, lock_taken: bool = False) -> dict[str, tuple]:
    """Every file and folder under ``folder``: content hash, size and modification time. With
    ``lock_taken``, a project's .lock may have been touched (a writer that takes the lock writes its pid
    there) and folders' times are left out (creating and removing the .lock of a new project)."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            status = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
            touched = lock_taken and (name == ".lock" or not digest)
            seen[str(path.relative_to(folder))] = (digest, status.st_size if digest else None,
                                                  None if touched else status.st_mtime_ns)
    return seen


def _one_line_error(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cnn-desktop"), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


# --- the whole flow ------------------------------------------------------------------------------------


def test_new_import_train_info_evaluate_predict_then_train_again_and_go_back(tmp_path, image_folder, capsys):
    folder = tmp_path / "marks"
    assert main(["project", "new", str(folder), "--start", "scratch", "--classes", "tick, cross", "--keys", ",X", "--name", "Marks"]) == 0
    assert _lines(capsys.readouterr().out) == [f"made project Marks in {folder}: tick (T), cross (X); "
                                               "the first 'train' starts from fresh weights"]

    assert main(["import", "--project", str(folder), str(image_folder)]) == 0
    assert _lines(capsys.readouterr().out) == [f"imported 40 drawings into {folder}: tick 20, cross 20"]

    # A held-out split asked for: 20 a class is a small project, judged by k-fold unless told otherwise
    # (test_a_small_project_trains_on_every_drawing_and_prints_the_kfold_estimate).
    assert main(["train", "--project", str(folder), "--epochs", "2", "--validation-fraction", "0.1"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "v0001\n"
    assert "from fresh weights" in captured.err and "epoch 2/2" in captured.err

    with Project.open(folder, read_only=True) as project:
        record = project.record("v0001")
        ids = {example.id for example in project.store.examples()}
    assert record["reason"] == "trained" and record["parent"] is None and record["epochs"] == 2
    assert record["settings"]["epochs"] == 2 and record["data"] == {"examples": 40, "train_size": 36, "val_size": 4}
    assert len(record["held_out_ids"]) == 4 and set(record["held_out_ids"]) <= ids
    assert record["validation"]["accuracy"] is not None

    assert main(["project", "info", str(folder)]) == 0
    out = _lines(capsys.readouterr().out)
    assert out[0] == f"project: Marks ({folder})"
    assert out[1] == "classes: 2, drawings: 40"
    assert out[2].split() == ["tick", "key", "T", "20", "drawings"]
    assert out[3].split() == ["cross", "key", "X", "20", "drawings"]
    assert out[4] == "versions: 1, current v0001"
    assert out[5].startswith("  v0001  ") and " trained  2 epochs  validation accuracy " in out[5]
    assert out[5].endswith("(4 held out)  current") and len(out) == 6

    assert main(["evaluate", "--project", str(folder)]) == 0
    out = _lines(capsys.readouterr().out)
    assert out[0] == "evaluating v0001 on the 4 drawings v0001 held out from its training"
    assert out[-1].startswith("accuracy ") and out[-1].endswith(" n=4")
    assert main(["evaluate", "--project", str(folder), "--split", "all", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["data"].startswith("evaluating v0001 on all 40 drawings") and report["n"] == 40
    assert main(["evaluate", "--project", str(folder), str(image_folder)]) == 0
    assert _lines(capsys.readouterr().out)[-1].endswith(" n=40")

    tick, cross = sorted((image_folder / "tick").iterdir())[0], sorted((image_folder / "cross").iterdir())[0]
    assert main(["predict", "--project", str(folder), str(tick), str(cross), "--json"]) == 0
    answers = [json.loads(line) for line in _lines(capsys.readouterr().out)]
    assert [a["image"] for a in answers] == [str(tick), str(cross)]
    assert all(set(a["probabilities"]) == {"tick", "cross"} for a in answers)

    assert main(["train", "--project", str(folder), "--epochs", "1", "--lr", "0.0005"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "v0002\n" and "from v0001's learned layers" in captured.err
    with Project.open(folder, read_only=True) as project:
        assert project.current_version() == "v0002"
        assert project.record("v0002")["parent"] == "v0001"
        assert project.record("v0002")["settings"]["learning_rate"] == 0.0005
        assert project.config.learning_rate != 0.0005  # a one-run setting, not saved in the project

    assert main(["project", "use", str(folder), "v0001"]) == 0
    assert capsys.readouterr().out == f"{folder}: current version is now v0001 (was v0002)\n"
    assert main(["project", "versions", str(folder)]) == 0
    out = _lines(capsys.readouterr().out)
    assert [line.split()[0] for line in out] == ["v0001", "v0002"]
    assert out[0].endswith("  current") and out[1].endswith("from v0001")


def test_from_scratch_starts_afresh_and_records_no_parent(trained, tmp_path, capsys):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(trained, folder)
    assert main(["train", "--project", str(folder), "--epochs", "1", "--from-scratch"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "v0002\n" and "from fresh weights" in captured.err
    with Project.open(folder, read_only=True) as project:
        assert project.record("v0002")["parent"] is None and project.current_version() == "v0002"


# --- one writer; readers never write ------------------------------------------------------------------


def test_writes_to_a_project_open_elsewhere_are_refused_and_reads_still_work(trained, image_folder, capsys):
    with Project.open(trained):  # the app (or another command) has it open for writing
        before = _snapshot(trained)
        for args in (["import", "--project", str(trained), str(image_folder)],
                     ["train", "--project", str(trained), "--epochs", "1"],
                     ["project", "use", str(trained), "v0001"]):
            assert main(args) == 2, args
            _one_line_error(capsys, f"{trained}: open in another window or command (pid {os.getpid()})")
        assert _snapshot(trained) == before
        assert main(["project", "info", str(trained)]) == 0
        assert main(["evaluate", "--project", str(trained)]) == 0
        capsys.readouterr()


def test_read_only_commands_never_write_a_byte(trained, image_folder, capsys):
    tick = sorted((image_folder / "tick").iterdir())[0]
    before = _snapshot(trained)
    for args in (["project", "info", str(trained)],
                 ["project", "versions", str(trained)],
                 ["info", "--project", str(trained)],
                 ["evaluate", "--project", str(trained)],
                 ["evaluate", "--project", str(trained), "--split", "train"],
                 ["evaluate", "--project", str(trained), str(trained)],
                 ["predict", "--project", str(trained), str(tick)]):
        assert main(args) == 0, args
    capsys.readouterr()
    assert _snapshot(trained) == before


# --- what import reads ---------------------------------------------------------------------------------


def test_import_leaves_out_blank_and_unreadable_images_and_lists_them(tmp_path, image_folder, capsys):
    source = tmp_path / "source"
    (source / "tick").mkdir(parents=True)
    Image.open(sorted((image_folder / "tick").iterdir())[0]).save(source / "tick" / "good.png")
    Image.new("L", (40, 40), 255).save(source / "tick" / "blank.png")
    (source / "tick" / "broken.png").write_bytes(b"not a png at all")
    folder = tmp_path / "p"
    assert main(["project", "new", str(folder), "--start", "scratch", "--classes", "tick,cross"]) == 0
    capsys.readouterr()
    assert main(["import", "--project", str(folder), str(source)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"imported 1 drawing into {folder}: tick 1; 2 left out (listed above)\n"
    skipped = _lines(captured.err)
    assert len(skipped) == 2 and all(line.startswith("skipped ") for line in skipped)
    assert any("blank.png" in line for line in skipped) and any("broken.png" in line for line in skipped)
    with Project.open(folder, read_only=True) as project:
        assert project.counts() == {"tick": 1, "cross": 0}


def test_import_from_another_project_keeps_the_drawings_and_from_mnist_files(trained, tmp_path, capsys):
    other = tmp_path / "other"
    assert main(["project", "new", str(other), "--start", "scratch", "--classes", "cross,tick,circle"]) == 0
    assert main(["import", "--project", str(other), str(trained)]) == 0
    assert capsys.readouterr().out.endswith(f"into {other}: cross 20, tick 20\n")
    with Project.open(trained, read_only=True) as source, Project.open(other, read_only=True) as copy:
        assert copy.counts() == {"cross": 20, "tick": 20, "circle": 0}
        first = source.store.examples("tick")[0]
        assert any(np.array_equal(copy.store.raster(e.id), source.store.raster(first.id))
                   for e in copy.store.examples("tick"))

    idx = tmp_path / "idx"
    idx.mkdir()
    images, labels = make_bars(12)
    for name, magic, array in (("train-images-idx3-ubyte.gz", 0x803, images * 255),
                               ("train-labels-idx1-ubyte.gz", 0x801, labels)):
        header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
        (idx / name).write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))
    digits = tmp_path / "digits"
    assert main(["project", "new", str(digits), "--start", "scratch", "--classes", "0,1"]) == 0
    assert main(["import", "--project", str(digits), str(idx)]) == 0
    assert capsys.readouterr().out.endswith(f"into {digits}: 0 6, 1 6\n")


# --- bad input: one line, exit 2, nothing changed -------------------------------------------------------


def test_unknown_labels_are_named_and_nothing_is_imported(tmp_path, image_folder, capsys):
    source = tmp_path / "animals"
    for label in ("cat", "dog", "tick"):
        (source / label).mkdir(parents=True)
        Image.open(sorted((image_folder / "tick").iterdir())[0]).save(source / label / "a.png")
    folder = tmp_path / "p"
    assert main(["project", "new", str(folder), "--start", "scratch", "--classes", "tick,cross"]) == 0
    capsys.readouterr()
    before = _snapshot(folder, lock_taken=True)
    assert main(["import", "--project", str(folder), str(source)]) == 2
    _one_line_error(capsys, f"{source}: labels ['cat', 'dog'] are not classes of the project ['tick', 'cross']")
    assert _snapshot(folder, lock_taken=True) == before


@pytest.mark.parametrize("args, fragment", [
    (["project", "new", "{tmp}/n", "--start", "scratch", "--classes", "a"], "{tmp}/n: a project has 2 to 50 classes, not 1"),
    (["project", "new", "{tmp}/n", "--start", "scratch", "--classes", ",".join(f"c{i}" for i in range(51))], "not 51"),
    (["project", "new", "{tmp}/n", "--start", "scratch", "--classes", "a,b", "--keys", "A"], "{tmp}/n: 1 keys for 2 classes"),
    (["project", "new", "{tmp}/n", "--start", "scratch", "--classes", "a,b", "--keys", "A,A"], "keys must differ"),
    (["project", "new", "{tmp}/n", "--start", "scratch", "--classes", "a,A"], "class names must differ"),
    (["project", "new", "{project}", "--start", "scratch", "--classes", "a,b"], "{project}: already exists"),
    (["project", "new", "{tmp}/n", "--start", "scratch"], "the following arguments are required: --classes"),
    (["project", "info", "{tmp}/nowhere"], "{tmp}/nowhere: no such project folder"),
    (["project", "info", "{tmp}"], "{tmp}: not a cnn-desktop project (no project.json)"),
    (["project", "use", "{project}", "v0009"], "v0009: no such version"),
    (["project", "use", "{project}", "latest"], "{project}: no version 'latest'"),
    (["project", "frobnicate", "{project}"], "invalid choice: 'frobnicate'"),
    (["import", "--project", "{project}", "{tmp}/nothing"], "{tmp}/nothing: no such file or folder"),
    (["import", "--project", "{project}", "{project}/drawings"], "is part of the project"),
    (["import", "--project", "{tmp}/nowhere", "{project}"], "{tmp}/nowhere: no such project folder"),
    (["train", "--project", "{project}"], "{project}: nothing to train on"),
    (["train", "--project", "{project}", "--out", "m.safetensors"], "--out applies to --preset"),
    (["train", "--project", "{project}", "--preset", "digits"], "--preset: not allowed with argument --project"),
    (["train", "--preset", "ticks-crosses"], "train --preset needs --out MODEL"),
    (["train", "--preset", "ticks-crosses", "--from-scratch", "--out", "m"], "--from-scratch applies to --project"),
    (["evaluate", "--project", "{project}"], "{project}: no model version yet"),
    (["predict", "--project", "{project}", "--preset", "digits", "x.png"], "give --project or --preset, not both"),
    (["predict", "--project", "{project}", "--model", "m", "x.png"], "not allowed with argument --project"),
])
def test_bad_input_is_one_line_and_exit_2_and_changes_nothing(tmp_path, monkeypatch, capsys, args, fragment):
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "empty"
    Project.create(project, "Empty", ["tick", "cross"]).close()
    before = _snapshot(tmp_path, lock_taken=True)
    filled = [a.format(tmp=tmp_path, project=project) for a in args]
    assert main(filled) == 2
    _one_line_error(capsys, fragment.format(tmp=tmp_path, project=project))
    assert _snapshot(tmp_path, lock_taken=True) == before


def test_evaluate_says_when_the_version_did_not_record_its_held_out_drawings(trained, tmp_path, capsys):
    folder = tmp_path / "imported"
    Project.create(folder, "Imported", ["tick", "cross"]).close()
    assert main(["import", "--project", str(folder), str(trained)]) == 0
    with Project.open(trained, read_only=True) as source:
        model = source.load_version().model
    with Project.open(folder) as project:
        project.add_version(model, reason="imported")  # held-out drawings unknown
    capsys.readouterr()
    assert main(["evaluate", "--project", str(folder)]) == 0
    out = _lines(capsys.readouterr().out)
    assert out[0] == ("evaluating v0001 on all 40 drawings of the project; v0001 did not record which drawings "
                      "it held out, so this includes those it trained on")
    assert main(["evaluate", "--project", str(folder), "--split", "validation"]) == 2
    _one_line_error(capsys, "did not record which drawings it held out; use --split all")


def test_every_project_subcommand_option_says_its_default_and_its_help_ends_with_examples(capsys):
    project = next(a for a in build_parser()._actions if a.dest == "command").choices["project"]
    subcommands = next(a for a in project._actions if a.dest == "action").choices
    assert set(subcommands) == {"new", "info", "versions", "use", "export", "import"}
    for name, parser in subcommands.items():
        for action in parser._actions:
            if action.option_strings and action.dest != "help" and not action.required:
                assert "default" in action.help, f"project {name} {action.option_strings}"
        text = parser.format_help().rstrip().splitlines()
        at = text.index("examples:")
        assert all(line.startswith(f"  cnn-desktop project {name} ") for line in text[at + 1:])
