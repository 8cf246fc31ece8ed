"""Faults: diverging training, the process killed while saving, a full disk, a read-only folder.

Whatever happens, the collection and the model files always load, nothing whose save had returned is
lost, and the person gets one clear line. tests/core/test_store.py already kills a writer of drawings
25 times; here one writer saves drawings AND overwrites a model in the same loop, and the disk faults
are checked through the command line as well as the store.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnn_desktop import cli
from cnn_desktop.core.data import store as store_module
from cnn_desktop.core.network.checkpoint import load_model, save_model
from cnn_desktop.core.errors import TrainingError
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import TrainConfig, lenet_spec
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.training.trainer import Trainer

REPO = Path(__file__).resolve().parents[2]
TICKS = ("tick", "cross")
KILLS = int(os.environ.get("CNN_DESKTOP_FAULT_KILLS", "50"))


def bar(vertical: bool) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[5:23, 12:16] = 1
    return image.T.copy() if vertical else image


def bars(n: int) -> tuple[np.ndarray, np.ndarray]:
    labels = np.arange(n) % 2
    return np.stack([bar(label == 1) for label in labels]), labels


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- training that diverges -------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_weights_whose_validation_loss_exploded_are_not_kept_as_good(optimizer):
    # 36 training examples, batch 64: one step per epoch, so the step losses never see the damage the
    # last update did; only the validation loss at the end of the epoch does (3e17 for Adam here).
    # Before the fix those weights became the "last good" ones: rolled back to, or saved after a
    # last epoch.
    model = build_model(lenet_spec(TICKS), seed=0)
    start = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    images, labels = bars(40)
    trainer = Trainer(model, images, labels, TrainConfig(epochs=3, learning_rate=1000, optimizer=optimizer))
    with pytest.raises(TrainingError) as caught:
        trainer.fit()
    message = str(caught.value)
    assert message.startswith("training stopped: the validation loss diverged to ") and " after epoch 1 " in message
    assert message.endswith("(learning rate 1000 is probably too high); the weights went back to where training started")
    assert trainer.history == [] and trainer.finished and trainer.step() is None
    assert all(torch.equal(model.state_dict()[name], tensor) for name, tensor in start.items())


# --- kill -9 while saving drawings and models ----------------------------------------------------

# A helper process imports everything once, then for each line "<collection>\t<model>\t<out>" on stdin
# forks a writer with stdout to <out>, prints the writer's pid, and once it is dead its signal number.
# The writer adds a drawing, then overwrites the model with the next version, forever, printing each
# step only once the call has returned. Forking makes a kill cost milliseconds, not a Python start-up.
WRITER = r"""
import os, sys
import numpy as np
import torch
from cnn_desktop.core.network.checkpoint import load_model, save_model
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import lenet_spec
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes

def write_forever(collection, model_path):
    store = DrawingStore(collection, ["tick", "cross"])
    if os.path.exists(model_path):
        saved = load_model(model_path)
        model, version = saved.model, saved.info["version"]
    else:
        model, version = build_model(lenet_spec(("tick", "cross")), seed=0), 0
    rng = np.random.default_rng(version)
    raster = rng.random((28, 28), dtype=np.float32)
    strokes = Strokes.from_points([rng.random((200, 2)) * 280])
    print("ready", version, flush=True)
    while True:
        example = store.add(("tick", "cross")[version % 2], raster, strokes)
        print("drawing", example.id, flush=True)
        version += 1
        with torch.no_grad():
            model.layers.out.bias.fill_(version)  # the weights carry the version too
        save_model(model_path, model, history=[{"epoch": version}], info={"version": version})
        print("model", version, flush=True)

# Everything imported so far is permanent: a full garbage collection in a writer would walk it all,
# copying every page the fork shares (0.1-0.2 s, as long as a writer lives), and when one falls due
# depends on how many objects the imports made.
import gc
gc.freeze()
for line in sys.stdin:
    collection, model_path, out = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            write_forever(collection, model_path)
        finally:
            os._exit(1)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1, flush=True)
"""


def confirmed_lines(path: Path) -> list[str]:
    """The writer's complete lines: a line cut by the kill confirms nothing."""
    text = path.read_text()
    lines = text.splitlines()
    return lines if text.endswith("\n") else lines[:-1]


def wait_until_ready(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text.startswith("ready") and "\n" in text:  # the whole line: a kill now cannot cut it
            return
        time.sleep(0.002)
    pytest.fail(f"writer not ready after {timeout}s: {path.read_text() if path.exists() else 'no output'}")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"), reason="needs fork and SIGKILL (POSIX)")
def test_kill_9_while_saving_drawings_and_models_loses_nothing(tmp_path, monkeypatch, record_property):
    collection, model_path = tmp_path / "collection", tmp_path / "models" / "ticks.safetensors"
    model_path.parent.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    helper = subprocess.Popen([sys.executable, "-c", WRITER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env)
    rng = random.Random(2024)
    confirmed_ids: list[str] = []
    version = 0  # the newest model version whose save had returned
    mid_model_save = mid_drawing_save = 0
    checked: set[Path] = set()
    drawing_temps: set[Path] = set()
    started = time.perf_counter()
    try:
        for run in range(KILLS):
            out = tmp_path / f"writer{run}.out"
            helper.stdin.write(f"{collection}\t{model_path}\t{out}\n")
            helper.stdin.flush()
            pid = int(helper.stdout.readline())
            wait_until_ready(out)
            time.sleep(rng.uniform(0.0, 0.06))
            os.kill(pid, signal.SIGKILL)
            assert helper.stdout.readline().strip() == str(int(signal.SIGKILL)), out.read_text()

            lines = confirmed_lines(out)
            assert lines[0] == f"ready {version}"  # it resumed from the newest confirmed model
            for line in lines[1:]:
                kind, value = line.split()
                if kind == "drawing":
                    confirmed_ids.append(value)
                else:
                    version = int(value)
            # Where the kill landed: a temp file left behind names the write it interrupted.
            mid_model_save += len(list(model_path.parent.glob(".*.tmp")))
            new_temps = {p for p in collection.rglob(".*.tmp") if p.parent != collection} - drawing_temps
            mid_drawing_save += len(new_temps)
            drawing_temps |= new_temps  # left for the store to clean when it is next opened
            for temp in model_path.parent.glob(".*.tmp"):
                temp.unlink()  # debris of the interrupted save (nobody else cleans the models folder)

            # The model file loads, and is the newest confirmed version or the one being saved.
            if model_path.exists() or version > 0:
                saved = load_model(model_path, expected_classes=TICKS)
                assert saved.info["version"] in (version, version + 1)
                assert torch.all(saved.model.layers.out.bias == saved.info["version"])
                version = saved.info["version"]  # the next writer resumes from what is on disk
            # Every drawing visible in the collection is complete (checked once each).
            for path in sorted(collection.rglob("[!.]*.png")):
                if path not in checked:
                    with Image.open(path) as image:
                        assert np.asarray(image).shape == (28, 28), path  # decodes: complete
                    checked.add(path)
    finally:
        helper.stdin.close()
        helper.wait(timeout=10)

    monkeypatch.setattr(store_module, "STALE_TEMP_SECONDS", 0)  # every writer is dead: temps are debris
    store = DrawingStore(collection, TICKS)
    found = {example.id for example in store.examples()}
    images, labels = store.arrays()
    lost = [example_id for example_id in confirmed_ids if example_id not in found]
    seconds = time.perf_counter() - started
    print(f"\n{KILLS} kills in {seconds:.1f}s: {len(confirmed_ids)} drawings and {version} model versions "
          f"confirmed, {mid_model_save} kills during a model save, {mid_drawing_save} during a drawing save, "
          f"{len(lost)} drawings lost")
    record_property("kills", KILLS)
    record_property("kills_mid_model_save", mid_model_save)
    record_property("kills_mid_drawing_save", mid_drawing_save)
    assert lost == []
    assert store.problems == [] and len(images) == len(found) >= len(confirmed_ids) >= KILLS // 2
    assert not list(collection.rglob(".*.tmp"))
    assert mid_model_save > 0  # the kills really did land inside model saves


# --- a full disk, a read-only folder: through the command line --------------------------------------


@pytest.fixture
def collection(tmp_path) -> Path:
    store = DrawingStore(tmp_path / "collection", TICKS)
    images, labels = bars(40)
    store.add_many((TICKS[label], image, None) for image, label in zip(images, labels))
    return store.root


def failing(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    return fail


def cli_run(capsys, *args) -> tuple[int, list[str]]:
    code = cli.main([str(a) for a in args])
    err = [line for line in capsys.readouterr().err.splitlines()
           if not line.startswith(("training ", "epoch "))]  # progress lines of a training that ran
    return code, err


@pytest.mark.parametrize("where, code, words", [
    ("fsync", errno.ENOSPC, "No space left on device"),  # the disk filled up while writing
    ("replace", errno.ENOSPC, "No space left on device"),
    ("replace", errno.EROFS, "Read-only file system"),
    ("replace", errno.EACCES, "Permission denied"),
])
def test_train_cannot_save_says_so_and_keeps_the_previous_model(capsys, tmp_path, monkeypatch, collection,
                                                                   where, code, words):
    out = tmp_path / "m.safetensors"
    save_model(out, build_model(lenet_spec(TICKS), seed=7), info={"previous": True})
    before = out.read_bytes()
    monkeypatch.setattr(os, where, failing(code))
    status, err = cli_run(capsys, "train", "--preset", "ticks-crosses", "--data", collection, "--epochs", "1",
                          "--out", out)
    monkeypatch.undo()
    assert status == 2 and err == [f"cnn-desktop: error: {out}: cannot save the model ({words})"]
    assert out.read_bytes() == before and load_model(out).info == {"previous": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["collection", "m.safetensors"]  # no temp file


def test_a_read_only_collection_still_evaluates_and_trains(capsys, tmp_path, monkeypatch, collection):
    model = tmp_path / "m.safetensors"
    save_model(model, build_model(lenet_spec(TICKS), seed=0))
    before = snapshot(collection)
    out = tmp_path / "elsewhere"
    out.mkdir()
    real_replace, real_mkdir = os.replace, os.mkdir

    def replace(src, dst, *args, **kwargs):  # writes outside the collection still work
        if Path(dst).is_relative_to(collection):
            failing(errno.EROFS)()
        return real_replace(src, dst, *args, **kwargs)

    def mkdir(path, *args, **kwargs):
        if Path(path).is_relative_to(collection):
            failing(errno.EROFS)()
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "mkdir", mkdir)
    status, err = cli_run(capsys, "evaluate", "--model", model, collection)
    assert status == 0 and err == []
    status, err = cli_run(capsys, "train", "--preset", "ticks-crosses", "--data", collection, "--epochs", "1",
                          "--out", out / "new.safetensors")
    monkeypatch.undo()
    assert status == 0 and err == [] and load_model(out / "new.safetensors").info["examples"] == 40
    assert snapshot(collection) == before


# A real full disk and a real read-only folder: tmpfs mounts in a private mount namespace, which vanish
# with the process, so nothing needs unmounting and nothing leaks to the machine if the test dies.
NAMESPACE_SCRIPT = r"""
set -u
mount -t tmpfs -o size={small_kb}k tmpfs "$FULL"
cp "$MODEL" "$FULL/m.safetensors"
mount -t tmpfs -o size=8m tmpfs "$RO"
cp -r "$COLLECTION" "$RO/collection"
cp "$MODEL" "$RO/m.safetensors"
mount -o remount,ro "$RO"
run() {{ name=$1; shift; "$PYTHON" -m cnn_desktop "$@" > "$OUT/$name.out" 2> "$OUT/$name.err"; echo $? > "$OUT/$name.rc"; }}
run full train --preset ticks-crosses --data "$COLLECTION" --epochs 1 --out "$FULL/m.safetensors" &
run ro-save train --preset ticks-crosses --data "$RO/collection" --epochs 1 --out "$RO/new.safetensors" &
wait
md5sum "$FULL/m.safetensors" "$RO/m.safetensors" | cut -d' ' -f1 > "$OUT/md5"
ls -A "$FULL" "$RO" "$RO/collection" "$RO/collection/tick" > "$OUT/ls"
"""


@pytest.mark.slow
def test_real_full_disk_and_read_only_folder_in_a_private_mount_namespace(tmp_path, collection):
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare, "--mount", "--propagation", "private", "sh", "-c",
                            f"mount -t tmpfs -o size=64k tmpfs {tmp_path}"], capture_output=True) if unshare else None
    if probe is None or probe.returncode != 0:
        pytest.skip("mounting a tmpfs in a private mount namespace needs root or CAP_SYS_ADMIN; "
                    "the monkeypatched ENOSPC/EROFS tests cover the same code paths")
    model = tmp_path / "m.safetensors"
    save_model(model, build_model(lenet_spec(TICKS), seed=3))
    folders = {name: tmp_path / name for name in ("full", "ro", "out")}
    for folder in folders.values():
        folder.mkdir()
    # Room for the old model but not for a second copy beside it (the atomic save's temp file).
    small_kb = model.stat().st_size * 3 // 2 // 1024
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "FULL": str(folders["full"]), "RO": str(folders["ro"]), "OUT": str(folders["out"]),
           "MODEL": str(model), "COLLECTION": str(collection), "PYTHON": sys.executable}
    result = subprocess.run([unshare, "--mount", "--propagation", "private", "bash", "-c",
                             NAMESPACE_SCRIPT.format(small_kb=small_kb)], env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr
    out = folders["out"]

    def outcome(name):
        err = (out / f"{name}.err").read_text()
        assert "Traceback" not in err, err
        lines = [line for line in err.splitlines() if not line.startswith(("training ", "epoch "))]
        return int((out / f"{name}.rc").read_text()), lines

    assert outcome("full") == (2, [f"cnn-desktop: error: {folders['full']}/m.safetensors: "
                                   "cannot save the model (No space left on device)"])
    assert outcome("ro-save") == (2, [f"cnn-desktop: error: {folders['ro']}/new.safetensors: "
                                      "cannot save the model (Read-only file system)"])
    assert "training ticks-crosses: 36 examples" in (out / "ro-save.err").read_text()  # it read the collection
    expected = subprocess.run(["md5sum", str(model)], capture_output=True, text=True).stdout.split()[0]
    assert (out / "md5").read_text().split() == [expected, expected]  # both old models intact
    listing = (out / "ls").read_text()
    assert ".tmp" not in listing  # the failed saves left nothing behind


# --- start while already training ---------------------------------------------------------------------


@pytest.mark.parametrize("paused", [False, True])
def test_starting_again_reports_where_training_really_stands(collection, paused):
    from cnn_desktop.core.app.engine import Engine
    from cnn_desktop.core.app.messages import PauseTraining, StartTraining, TrainingState, UseModel

    messages = []
    engine = Engine(messages.append)
    engine.submit(UseModel(None, lenet_spec(TICKS), "fresh"))
    engine.submit(StartTraining(collection, TrainConfig(epochs=100, batch_size=8)))
    if paused:
        engine.submit(PauseTraining())
    engine.run_once()
    trainer = engine.trainer
    engine.submit(StartTraining(collection, TrainConfig(epochs=100, batch_size=8)))
    engine.run_once()
    # Before the fix a paused run was reported "running": the window showed Pause while nothing trained.
    assert [m for m in messages if isinstance(m, TrainingState)][-1] == TrainingState(
        "paused" if paused else "running", "already training")
    assert engine.trainer is trainer and trainer.paused == paused


# --- load: a burst of drawings --------------------------------------------------------------------------


@pytest.mark.slow
def test_a_burst_of_1000_drawings_are_all_kept_and_counted(tmp_path, record_property):
    from cnn_desktop.core.data.strokes import Strokes

    store = DrawingStore(tmp_path / "collection", TICKS)
    rng = np.random.default_rng(0)
    strokes = [Strokes.from_points([rng.random((40, 2)) * 280]) for _ in range(10)]
    started = time.perf_counter()
    added = [store.add(TICKS[i % 2], bar(i % 2 == 1), strokes[i % 10]) for i in range(1000)]
    seconds = time.perf_counter() - started
    print(f"\n1000 drawings added in {seconds:.1f}s ({seconds:.1f} ms each)")
    record_property("burst_seconds", round(seconds, 2))
    reopened = DrawingStore(store.root, TICKS)
    assert reopened.counts() == {"tick": 500, "cross": 500}
    assert [e.id for e in reopened.examples()] == [e.id for e in added]  # all there, in order of adding
    images, labels = reopened.arrays()
    assert len(images) == 1000 and reopened.problems == [] and np.bincount(labels).tolist() == [500, 500]
