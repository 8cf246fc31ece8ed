"""The command line given bad model files, images, data and training settings: every case has one exact
outcome. A refusal is exit status 2 with ONE stderr line "cnn-desktop: error: <file>: <problem>" and no
traceback, and it never writes or changes a file; odd but valid input gives an answer (status 0).

Cases run through ``cli.main`` in-process (cheap); ``test_real_processes_*`` runs one case of each
category as a real ``python -m cnn_desktop`` process, all at once, to prove the exit status and stderr.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import fault_files
from cnn_desktop.cli import main
from cnn_desktop.core.network.checkpoint import load_model
from cnn_desktop.core.data.store import DrawingStore
from fault_files import BAD_MODEL_WORDS, SPECIAL_MODEL_WORDS, TICKS, bar, tick_pixels

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Every input the cases use, made once."""
    root = tmp_path_factory.mktemp("bad-input")
    f = {**fault_files.model_files(root), **fault_files.image_files(root), **fault_files.idx_folders(root)}
    f["model"] = f["ticks"]
    for name, labels_here in [("images", ["tick", "cross"]), ("unknown-label", ["tick", "banana"])]:
        for label in labels_here:
            (root / name / label).mkdir(parents=True)
            Image.fromarray(tick_pixels()).save(root / name / label / "0.png")
        f[name] = root / name
    (root / "empty-folder").mkdir()
    f["empty-folder"] = root / "empty-folder"
    (root / "no-images" / "tick").mkdir(parents=True)
    (root / "no-images" / "tick" / "notes.txt").write_text("no pictures here")
    f["no-images"] = root / "no-images"
    both = DrawingStore(root / "collection", TICKS)
    both.add_many(("tick" if i % 2 else "cross", bar(i % 2 == 1), None) for i in range(40))
    f["collection"] = both.root
    one = DrawingStore(root / "one-class", TICKS)
    one.add_many(("tick", bar(True), None) for _ in range(5))
    f["one-class"] = one.root
    f["no-examples"] = DrawingStore(root / "no-examples", TICKS).root
    return f


def run(capsys, *args) -> tuple[int, str, list[str]]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def is_progress(line: str) -> bool:
    """What `train` reports on stderr before it fails (stdout stays for results)."""
    return line.startswith("training ") or (line.startswith("epoch ") and "  loss " in line)


def refused(capsys, args, path, *words, progress: bool = False) -> str:
    """The command exits 2 with one line naming ``path`` and saying ``words`` (after the progress lines
    of a training that started, when ``progress``)."""
    code, out, err = run(capsys, *args)
    assert code == 2, (out, err)
    if progress:
        assert err[:-1] and all(is_progress(line) for line in err[:-1]), err
        err = err[-1:]
    assert len(err) == 1, err
    assert err[0].startswith(f"cnn-desktop: error: {path}: "), err[0]
    assert all(word in err[0] for word in words), err[0]
    return err[0]


# --- model files ------------------------------------------------------------------------------------

BAD_MODELS = BAD_MODEL_WORDS
COMMANDS = {
    "predict": lambda f, model: ["predict", "--model", model, f["tick.png"]],
    "evaluate": lambda f, model: ["evaluate", "--model", model, f["images"]],
    "info": lambda f, model: ["info", "--model", model],
    "train --init": lambda f, model: ["train", "--preset", "ticks-crosses", "--data", f["collection"], "--epochs", "1",
                                      "--init", model, "--out", f["model"].parent / "never-written.safetensors"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("bad", list(BAD_MODELS))
def test_a_bad_model_file_is_refused_by_every_command(capsys, files, command, bad):
    line = refused(capsys, COMMANDS[command](files, files[bad]), files[bad], *BAD_MODELS[bad])
    assert line.isprintable() and len(line) < 300, line  # no escape code from the file, no 90 kB list
    assert not files["marker"].exists()  # the pickle's code never ran
    assert not (files["model"].parent / "never-written.safetensors").exists()


def test_a_model_of_another_number_of_classes_answers_in_its_own_classes_where_it_can(capsys, files):
    code, out, err = run(capsys, *COMMANDS["predict"](files, files["digits"]), "--json")
    assert code == 0 and err == [] and set(json.loads(out)["probabilities"]) == set("0123456789")
    code, out, _ = run(capsys, *COMMANDS["info"](files, files["digits"]))
    assert code == 0 and out.startswith("classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9\n")
    # ...but it cannot be evaluated on ticks and crosses, nor fine-tuned into a ticks model.
    refused(capsys, COMMANDS["evaluate"](files, files["digits"]), files["images"] / "cross",
            "unknown label 'cross'; expected one of '0', '1', '2'")
    refused(capsys, COMMANDS["train --init"](files, files["digits"]), files["digits"],
            "a model of 10 classes", "expected 2 classes ['tick', 'cross']")


# Runs cli.main on each argument list (JSON in argv[1]) and prints [status, stderr] per call, one line
# each, as soon as it is answered.
_MAIN_IN_A_PROCESS = """
import contextlib, io, json, sys
from cnn_desktop.cli import main
for args in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    print(json.dumps([code, err.getvalue()]), flush=True)
"""


def test_a_fifo_or_dev_zero_as_the_model_is_refused_at_once_by_every_command(files, tmp_path):
    # Before: a FIFO blocked `predict` forever; `info --model /dev/zero` read until the process held
    # 24 GB. Run in a process of its own, with a deadline and 3 GB of address space, so that the bug
    # fails this test instead of hanging or exhausting the machine.
    special = fault_files.special_model_files(tmp_path)
    cases = [(command, name) for name in SPECIAL_MODEL_WORDS for command in COMMANDS]
    arguments = [[str(a) for a in COMMANDS[command](files, special[name])] for command, name in cases]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    try:
        done = subprocess.run([sys.executable, "-c", _MAIN_IN_A_PROCESS, json.dumps(arguments)], env=env,
                              capture_output=True, text=True, timeout=90, preexec_fn=limit_memory)
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"no answer within 90 s; answered so far: {timeout.stdout!r}")
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(cases), done.stderr[-3000:]
    for (command, name), (code, err) in zip(cases, answers):
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1, (command, name, err)
        assert lines[0].startswith(f"cnn-desktop: error: {special[name]}: "), lines[0]
        assert all(word in lines[0] for word in SPECIAL_MODEL_WORDS[name]), lines[0]
    assert not (files["model"].parent / "never-written.safetensors").exists()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_model_of_another_architecture_that_reads_drawings_works_everywhere(capsys, files, command, tmp_path):
    args = COMMANDS[command](files, files["small"])
    if command == "train --init":
        args[-1] = tmp_path / "tuned.safetensors"
    code, out, err = run(capsys, *args)
    assert code == 0, err
    if command == "train --init":
        assert load_model(tmp_path / "tuned.safetensors").spec == load_model(files["small"]).spec


# --- images ----------------------------------------------------------------------------------------

BAD_IMAGES = {
    "zero.png": ["empty file"],
    "text.png": ["not an image"],
    "cut.png": ["damaged or unreadable image"],
    "folder.png": ["cannot open (Is a directory)"],
    "1x1.png": ["the image is blank"],
    "1x1-black.png": ["the image is blank"],
}


@pytest.mark.parametrize("image", list(BAD_IMAGES))
def test_an_unusable_image_is_refused(capsys, files, image):
    refused(capsys, ["predict", "--model", files["model"], files[image]], files[image], *BAD_IMAGES[image])


def test_one_bad_image_among_good_ones_fails_alone(capsys, files):
    code, out, err = run(capsys, "predict", "--model", files["model"], files["tick.png"], files["zero.png"], files["tick.png"])
    assert code == 2 and len(out.splitlines()) == 2 and len(err) == 1 and str(files["zero.png"]) in err[0]


@pytest.mark.parametrize("image", ["10000.png", "16bit.png", "palette.png", "grey-alpha.png"])
def test_odd_but_valid_images_get_the_same_answer_as_the_plain_one(capsys, files, image):
    """The same tick as a 10000x10000 scan, in 16 bits, as a palette, or as ink in an alpha channel."""
    _, plain, _ = run(capsys, "predict", "--model", files["model"], files["tick.png"], "--json")
    code, out, err = run(capsys, "predict", "--model", files["model"], files[image], "--json")
    assert code == 0 and err == []
    expected, answer = json.loads(plain)["probabilities"], json.loads(out)["probabilities"]
    tolerance = 0.05 if image == "10000.png" else 1e-3  # the scan is resampled from 6000 px
    assert answer == pytest.approx(expected, abs=tolerance)


# --- data sets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, file, words", [
    ("idx-magic", "train-images-idx3-ubyte", ["wrong magic number 0x00000903, expected 0x00000803"]),
    ("idx-counts", "train-labels-idx1-ubyte", ["4 labels for 6 images"]),
    ("idx-truncated", "train-images-idx3-ubyte", ["truncated", "found 4654"]),
    ("unknown-label", "banana", ["unknown label 'banana'"]),
    ("empty-folder", "", ["no label folders"]),
    ("no-images", "", ["no images (.png, .jpg, .jpeg, .bmp)"]),
])
@pytest.mark.parametrize("command", ["evaluate", "train"])
def test_unusable_data_is_refused_by_evaluate_and_train(capsys, files, data, file, words, command, tmp_path):
    path = files[data] / file if file else files[data]
    out = tmp_path / "never.safetensors"
    if command == "evaluate":
        model = files["digits"] if data.startswith("idx") else files["model"]
        args = ["evaluate", "--model", model, files[data]]
    else:
        preset = "digits" if data.startswith("idx") else "ticks-crosses"
        args = ["train", "--preset", preset, "--data", files[data], "--epochs", "1", "--out", out]
    refused(capsys, args, path, *words)
    assert not out.exists()


@pytest.mark.parametrize("data, words", [
    ("one-class", ["training needs examples of at least two classes; there are only 'tick' examples (5)"]),
    ("no-examples", ["nothing to train on: the collection has no examples"]),
])
def test_training_on_a_collection_it_cannot_learn_from_says_why(capsys, files, data, words, tmp_path):
    out = tmp_path / "never.safetensors"
    refused(capsys, ["train", "--preset", "ticks-crosses", "--data", files[data], "--out", out], files[data], *words)
    assert not out.exists()


# --- training settings -------------------------------------------------------------------------------


def test_a_diverging_run_stops_says_so_and_leaves_the_output_file_as_it_was(capsys, files, tmp_path):
    out = tmp_path / "previous.safetensors"
    out.write_bytes(files["model"].read_bytes())  # a model saved earlier: it must survive the failed run
    refused(capsys, ["train", "--preset", "ticks-crosses", "--data", files["collection"], "--epochs", "3",
                     "--lr", "1000", "--out", out], out, "not written: training stopped: the",
            "loss diverged to ", "(learning rate 1000 is probably too high); the weights went back to",
            progress=True)
    assert out.read_bytes() == files["model"].read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["previous.safetensors"]  # no temp file either


def test_a_batch_larger_than_the_data_trains_on_all_of_it_in_one_step_per_epoch(capsys, files, tmp_path):
    out = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "train", "--preset", "ticks-crosses", "--data", files["collection"], "--epochs", "2",
                       "--batch-size", "100000", "--no-augment", "--out", out)
    assert code == 0, err
    saved = load_model(out, expected_classes=TICKS)
    assert [h["step"] for h in saved.history] == [1, 2]  # the whole training split in each step
    assert saved.info["config"]["batch_size"] == 100000 and saved.info["train_size"] == 36


# --- real processes: exit status, stderr, no traceback ------------------------------------------------


@pytest.mark.slow
def test_real_processes_exit_2_with_one_line_per_category(files, tmp_path):
    # (Faults have theirs in tests/core/test_faults.py: a real full disk and a read-only mount.)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    cases = {  # category -> (arguments, the file named, a word of the problem)
        "model": (["info", "--model", files["evil.safetensors"]], files["evil.safetensors"], "never opened"),
        "images and data": (["evaluate", "--model", files["digits"], files["idx-truncated"]],
                            files["idx-truncated"] / "train-images-idx3-ubyte", "truncated"),
        "training": (["train", "--preset", "ticks-crosses", "--data", files["collection"], "--epochs", "2",
                      "--lr", "1000", "--out", tmp_path / "diverged.safetensors"],
                     tmp_path / "diverged.safetensors", "diverged"),
    }
    processes = {
        name: subprocess.Popen([sys.executable, "-m", "cnn_desktop", *map(str, args)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, (args, _, _) in cases.items()
    }
    for name, process in processes.items():
        _, stderr = process.communicate(timeout=120)
        _, path, word = cases[name]
        assert process.returncode == 2, (name, stderr)
        assert "Traceback" not in stderr, stderr
        lines = stderr.splitlines()
        if name == "training":  # it trained one epoch before diverging, and said so
            assert lines[:-1] and all(is_progress(line) for line in lines[:-1]), stderr
            lines = lines[-1:]
        assert len(lines) == 1, (name, stderr)
        assert lines[0].startswith(f"cnn-desktop: error: {path}: ") and word in lines[0], (name, lines[0])
    assert not files["marker"].exists()
    assert not list(tmp_path.iterdir())
