"""Model files: round trip, and every way a file can be wrong refused with one line, running nothing."""

import json
import os
import pickle
import struct
import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as save_tensors

from cnn_desktop.core.network import checkpoint
from cnn_desktop.core.network.checkpoint import load_model, model_to_bytes, save_model
from cnn_desktop.core.errors import ModelFileError
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network.spec import Conv, Flatten, ReLU, MaxPool, ModelSpec, lenet_spec


@pytest.fixture
def model():
    return build_model(lenet_spec(("tick", "cross")), seed=2)


def test_round_trip_keeps_weights_spec_classes_history_and_info(tmp_path, model):
    path = tmp_path / "m.safetensors"
    history = [{"epoch": 1, "val_accuracy": 0.9}, {"epoch": 2, "val_accuracy": 0.95}]
    save_model(path, model, history, {"data": "somewhere", "seed": 3})
    saved = load_model(path, expected_classes=("tick", "cross"))
    assert saved.spec == model.spec and saved.model.classes == ("tick", "cross")
    assert saved.history == tuple(history) and saved.info == {"data": "somewhere", "seed": 3}
    for (name, a), b in zip(model.state_dict().items(), saved.model.state_dict().values()):
        assert torch.equal(a, b), name
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_saving_replaces_atomically_and_a_failed_save_keeps_the_old_file(tmp_path, model, monkeypatch):
    path = tmp_path / "m.safetensors"
    save_model(path, model)
    before = path.read_bytes()

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(ModelFileError, match="No space left"):
        save_model(path, build_model(model.spec, seed=9))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def _refused(tmp_path, data: bytes, match: str) -> str:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match=match) as caught:
        load_model(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message
    return message


def test_a_save_clears_the_temp_files_an_interrupted_save_left_but_spares_recent_and_other_ones(tmp_path, model):
    old_leftover = tmp_path / ".digits.safetensors.0badf00d.tmp"  # a save killed midway, long ago
    recent = tmp_path / ".digits.safetensors.12345678.tmp"  # maybe another process writing right now
    other = tmp_path / ".notes.txt.0badf00d.tmp"  # not this file's: not ours to judge
    for temp in (old_leftover, recent, other):
        temp.write_bytes(b"half a model")
    an_hour_ago = time.time() - 3600
    for temp in (old_leftover, other):
        os.utime(temp, (an_hour_ago, an_hour_ago))
    save_model(tmp_path / "digits.safetensors", model)
    assert not old_leftover.exists() and recent.exists() and other.exists()
    assert load_model(tmp_path / "digits.safetensors").model.spec == model.spec


def test_empty_file(tmp_path):
    _refused(tmp_path, b"", "empty")


@pytest.mark.parametrize("keep", [3, 8, 40, 0.5, 0.99])
def test_truncated_files(tmp_path, model, keep):
    data = model_to_bytes(model)
    cut = keep if isinstance(keep, int) else int(len(data) * keep)
    _refused(tmp_path, data[:cut], "truncated|only")


def test_random_bytes(tmp_path):
    _refused(tmp_path, os.urandom(5000), "not a cnn-desktop model|truncated")


def test_absurdly_large_header(tmp_path):
    _refused(tmp_path, struct.pack("<Q", 2**62) + b"{}", "header claims")


def test_foreign_safetensors_file(tmp_path):
    _refused(tmp_path, save_tensors({"w": torch.zeros(3)}), "not a cnn-desktop model")


def test_model_of_another_architecture(tmp_path, model):
    other = build_model(ModelSpec(classes=model.classes, layers=(Conv(6), ReLU(), MaxPool(), Flatten())), seed=0)
    data = bytearray(model_to_bytes(other))
    # Graft the other model's weights under this model's description: the shapes no longer agree.
    header_size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + header_size])
    header["__metadata__"]["spec"] = model.spec.to_json()
    new_header = json.dumps(header).encode()
    new_header += b" " * (-len(new_header) % 8)
    _refused(tmp_path, struct.pack("<Q", len(new_header)) + new_header + data[8 + header_size :],
             "do not fit the model's description")


def test_model_with_another_number_of_classes(tmp_path):
    path = tmp_path / "digits.safetensors"
    save_model(path, build_model(lenet_spec(), seed=0))
    with pytest.raises(ModelFileError, match="10 classes.*expected 2 classes"):
        load_model(path, expected_classes=("tick", "cross"))


def test_newer_format_version(tmp_path, model):
    data = model_to_bytes(model).replace(b'"format_version":"1"', b'"format_version":"9"')
    _refused(tmp_path, data, "newer cnn-desktop")


def test_non_finite_weights(tmp_path, model):
    with torch.no_grad():
        model.layers.conv1.weight[0, 0, 0, 0] = float("inf")
    _refused(tmp_path, model_to_bytes(model), "not finite")


class _PlantsAMarker:
    """Unpickling this object creates a file: proof that code ran."""

    marker = ""

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("writer", ["pickle", "torch.save"])
def test_a_malicious_pickle_is_refused_without_running_its_code(tmp_path, writer):
    marker = tmp_path / "pwned"
    payload = _PlantsAMarker()
    payload.marker = str(marker)
    path = tmp_path / "evil.safetensors"
    if writer == "pickle":
        path.write_bytes(pickle.dumps(payload))
    else:
        torch.save({"weights": payload}, path)
    with pytest.raises(ModelFileError, match="never opened"):
        load_model(path)
    assert not marker.exists()


def test_the_malicious_payload_really_would_run(tmp_path):
    marker = tmp_path / "pwned"
    payload = _PlantsAMarker()
    payload.marker = str(marker)
    pickle.loads(pickle.dumps(payload)).close()
    assert marker.exists()  # so the refusal test above proves something


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "nope.safetensors")
    with pytest.raises(ModelFileError, match="is a folder"):
        load_model(tmp_path)


# --- only regular files are read, and never more than the cap ------------------------------------------


@pytest.fixture
def fifo(tmp_path):
    """A FIFO with no writer. Should a reader block on it (the bug), a writer opened after 5 s releases
    it, so the failing test ends instead of hanging the run."""
    path = tmp_path / "fifo.safetensors"
    os.mkfifo(path)
    done = threading.Event()

    def release():
        if not done.wait(5):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # succeeds only with a reader waiting
            except OSError:
                pass

    threading.Thread(target=release, daemon=True).start()
    yield path
    done.set()


def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(fifo):
    # Before: `cnn-desktop predict --model fifo` waited forever; in the app, the compute thread did.
    started = time.perf_counter()
    message = _refused_path(fifo, "not a regular file (a FIFO)")
    assert time.perf_counter() - started < 2, message


@pytest.mark.parametrize("device, kind", [("/dev/null", "a character device"), ("/dev/zero", "a character device")])
def test_a_device_is_refused_without_reading_it(tmp_path, device, kind, monkeypatch):
    # Before: /dev/zero was read until memory ran out (24 GB for `info`; MemoryError in the app).
    # os.read is never called for it now; if it were, it would stop after a few MB here.
    link = tmp_path / "model.safetensors"
    link.symlink_to(device)
    reads = _count_reads(monkeypatch)
    monkeypatch.setattr(checkpoint, "MAX_FILE_BYTES", 4 << 20)
    _refused_path(link, f"not a regular file ({kind})")
    assert reads == []


def test_a_socket_is_refused_as_one(monkeypatch):
    import socket
    import tempfile

    with tempfile.TemporaryDirectory(dir="/tmp") as folder:  # socket paths must stay under 108 bytes
        path = Path(folder) / "s.safetensors"
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        try:
            _refused_path(path, "not a regular file (a socket)")
        finally:
            server.close()


def test_the_size_is_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.safetensors"
    with open(path, "wb") as file:
        file.truncate(checkpoint.MAX_FILE_BYTES + 1)  # sparse: nothing is written
    reads = _count_reads(monkeypatch)
    _refused_path(path, "far too large")
    assert reads == []


def test_a_file_that_grows_while_it_is_read_is_read_no_further_than_the_cap(tmp_path, monkeypatch):
    # fstat says 10 bytes; by the time it is read the file holds 5000. Only cap + 1 bytes are read.
    path = tmp_path / "growing.safetensors"
    path.write_bytes(b"x" * 5000)
    monkeypatch.setattr(checkpoint, "MAX_FILE_BYTES", 1000)
    real_fstat = os.fstat

    def stale_fstat(fd):
        status = list(real_fstat(fd))
        status[6] = 10  # st_size
        return os.stat_result(status)

    monkeypatch.setattr(os, "fstat", stale_fstat)
    reads = _count_reads(monkeypatch)
    _refused_path(path, "grew while being read")
    assert sum(reads) == 1001


def _count_reads(monkeypatch) -> list[int]:
    """Records the size of every os.read of a model file (the loader reads with os.read)."""
    reads: list[int] = []
    real_read = os.read

    def counting_read(fd, size):
        data = real_read(fd, size)
        reads.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    return reads


def _refused_path(path: Path, words: str) -> str:
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message and words in message, message
    return message
