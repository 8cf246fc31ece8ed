"""Model files: round trip, and every way a file can be wrong refused with one line, running nothing."""

import json
import os
import pickle
import struct
import time

import pytest
import torch
from safetensors.torch import save as save_tensors

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
