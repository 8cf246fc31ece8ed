"""Model files crafted to hurt: descriptions the app cannot run, absurd sizes, deep JSON, wrong types.

tests/core/test_checkpoint.py covers the plain cases (empty, truncated, random bytes, foreign tensors,
grafted weights, pickles). These are the files a curious or malicious person can still build by hand
around a valid safetensors frame; each must end in one ModelFileError line naming the file, quickly,
without allocating what the file claims. The fuzz tests at the end try arbitrary bytes, mutated model
files and random descriptions.
"""

from __future__ import annotations

import json
import resource
import struct
import time

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save as save_tensors

from cnn_desktop.core.network.checkpoint import load_model, model_from_bytes, model_to_bytes
from cnn_desktop.core.errors import ModelFileError
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.network import spec as spec_module
from cnn_desktop.core.network.spec import Conv, Dense, Flatten, MaxPool, ModelSpec, ReLU, lenet_spec

CLASSES = ("tick", "cross")


def split(data: bytes) -> tuple[dict, bytes]:
    """(header dict, tensor bytes) of a safetensors file."""
    size = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8 : 8 + size]), data[8 + size :]


def join(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + body


VALID = model_to_bytes(build_model(lenet_spec(CLASSES), seed=1), history=[{"epoch": 1}], info={"seed": 1})


def with_metadata(**changes) -> bytes:
    """The valid ticks model with some metadata entries replaced by ``changes``."""
    header, body = split(VALID)
    header["__metadata__"].update(changes)
    return join(header, body)


def described_as(spec_dict: dict) -> bytes:
    """A tiny file (one 1-element tensor) whose description is ``spec_dict``: what a forger would write."""
    metadata = {"format": "cnn-desktop-model", "format_version": "1", "spec": json.dumps(spec_dict)}
    return save_tensors({"x": torch.zeros(1)}, metadata=metadata)


def lenet_dict(**changes) -> dict:
    spec = lenet_spec(CLASSES).to_dict()
    for key, value in changes.items():
        if key[5:].isdigit():  # layer<i>={"field": value}
            spec["layers"][int(key[5:])].update(value)
        else:
            spec[key] = value
    return spec


def refused(tmp_path, data: bytes, *words: str) -> str:
    path = tmp_path / "crafted.safetensors"
    path.write_bytes(data)
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    for word in words:
        assert word in message, message
    return message


# --- descriptions the app cannot run ---------------------------------------------------------------


@pytest.mark.parametrize("size, channels", [(30, 1), (32, 3), (28, 3), (14, 1), (10**6, 1)])
def test_a_model_for_other_inputs_than_28x28_grey_is_refused(tmp_path, size, channels):
    # A legitimate network, but every drawing reaches it as one 28x28 grey channel (padded to 32x32 for
    # a LeNet-5 style network): before the fix, `predict` ran 28x28 through it and died with a shape
    # error and a traceback.
    spec = lenet_dict(layers=[{"kind": "conv", "filters": 4, "kernel": 5}, {"kind": "flatten"}],
                      input_size=size, in_channels=channels)
    message = refused(tmp_path, described_as(spec), f"{size}x{size}", "28x28")
    assert f"{channels} channel" in message


def test_a_model_of_another_architecture_with_the_right_input_loads_and_runs(tmp_path):
    # Not every other architecture is wrong: one that reads 28x28 drawings is a valid model.
    spec = ModelSpec(CLASSES, (Conv(4, 3), ReLU(), MaxPool(), Flatten(), Dense(8), ReLU()))
    path = tmp_path / "small.safetensors"
    path.write_bytes(model_to_bytes(build_model(spec, seed=0)))
    saved = load_model(path, expected_classes=CLASSES)
    assert saved.spec == spec
    assert saved.model(torch.zeros(1, 28, 28)).shape == (1, 2)


@pytest.mark.parametrize("layers, words", [
    ([{"kind": "conv", "filters": 16, "kernel": 5}, {"kind": "flatten"}, {"kind": "fc", "units": 2_000_000}],
     ["do not fit"]),  # 25 billion weights claimed by a 200-byte file
    ([{"kind": "flatten"}, {"kind": "fc", "units": 10**12}], ["too large"]),
    ([{"kind": "conv", "filters": 10**9, "kernel": 1}, {"kind": "flatten"}], ["too large"]),
    ([{"kind": "conv", "filters": 200_000, "kernel": 1}, {"kind": "flatten"}], ["too large"]),  # 600 MB per drawing
])
def test_a_tiny_file_describing_a_huge_network_is_refused_without_allocating_it(tmp_path, layers, words):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    refused(tmp_path, described_as(lenet_dict(layers=layers)), *words)
    assert time.perf_counter() - started < 2.0  # before the fix: 27 s and 4.7 GB for the first one
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200


@pytest.mark.parametrize("change", [
    {"layer0": {"filters": "16"}},
    {"layer0": {"filters": 16.5}},
    {"layer0": {"filters": True}},
    {"layer0": {"kernel": 5.0}},
    {"layer0": {"padding": None}},
    {"layer2": {"stride": 1.5}},
    {"layer7": {"units": [64]}},
    {"layer9": {"p": "0.25"}},
    {"layer9": {"p": float("inf")}},
    {"classes": {"tick": 0, "cross": 1}},
    {"classes": [["tick"], ["cross"]]},
    {"classes": "tc"},
    {"input_size": "28"},
    {"in_channels": 1.0},
    {"layers": [{"kind": "flatten", "extra": 1}]},
    {"layers": [["kind", "flatten"]]},
    {"layers": "conv"},
])
def test_mistyped_descriptions_are_refused(tmp_path, change):
    # Before the fix, strings, floats, bools and huge numbers reached torch and escaped as TypeError,
    # ValueError or RuntimeError (a traceback in the CLI, an "internal error" in the app).
    refused(tmp_path, described_as(lenet_dict(**change)), "model description")


# --- class names, and how many ----------------------------------------------------------------------


@pytest.mark.parametrize("name, words", [
    ("\x1b[2J\x1b[31mcross", [r"'\x1b[2J\x1b[31mcross'", "cannot be shown"]),  # clears the terminal, turns it red
    ("cross\ncnn-desktop: error: fake", [r"'cross\ncnn-desktop: error: fake'", "cannot be shown"]),
    ("\u202essorc", [r"'\u202essorc'", "cannot be shown"]),  # right-to-left override: shown as "cross"
    ("tab\there", [r"'tab\there'"]),
    ("", ["class name '' is empty"]),
    ("   ", ["is empty"]),
    ("x" * 100_000, ["(100,000 characters)", "longer than the limit of 40 characters"]),
    ("tick", ["class names must be distinct; repeated: ['tick']"]),
])
def test_class_names_that_cannot_be_shown_as_they_are_are_refused(tmp_path, name, words):
    # `predict` printed class names raw: an escape code in a model file reached the terminal.
    message = refused(tmp_path, described_as(lenet_dict(classes=["tick", name])), *words)
    assert message.isprintable() and len(message) < 300, message


def test_names_that_are_fine_stay_fine():
    for classes in [("tick", "cross"), ("é", "ß", "日本", "🙂", "a b", "x" * 40)]:
        assert ModelSpec(classes, lenet_spec().layers).classes == classes


def many_classes(count: int) -> tuple[str, ...]:
    return tuple(f"class {i}" for i in range(count))


def test_a_model_of_10000_classes_is_refused_in_one_short_line(tmp_path):
    # A real, well-formed model: before, opening it in the app (which expects its mode's classes) gave a
    # message of about 90 kB listing all 10,000 names, shown whole in the message box.
    path = tmp_path / "many.safetensors"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spec_module, "MAX_CLASSES", 10**6)  # what any other program could write
        path.write_bytes(model_to_bytes(build_model(lenet_spec(many_classes(10_000)), seed=0)))
    with pytest.raises(ModelFileError) as caught:
        load_model(path, expected_classes=CLASSES)
    message = str(caught.value)
    assert message == f"{path}: a model of 10,000 classes; cnn-desktop handles at most 1,000"


def test_a_class_mismatch_lists_the_first_names_only(tmp_path):
    path = tmp_path / "many.safetensors"
    path.write_bytes(model_to_bytes(build_model(lenet_spec(many_classes(1000)), seed=0)))
    assert load_model(path).spec.classes == many_classes(1000)  # the most a model may have
    with pytest.raises(ModelFileError) as caught:
        load_model(path, expected_classes=CLASSES)
    assert str(caught.value) == (f"{path}: a model of 1000 classes ['class 0', 'class 1', 'class 2', 'class 3', "
                                 f"'class 4', ... and 995 more]; expected 2 classes ['tick', 'cross']")


def tensors_named(names) -> bytes:
    spec = lenet_spec(CLASSES).to_json()
    metadata = {"format": "cnn-desktop-model", "format_version": "1", "spec": spec}
    return save_tensors({name: torch.zeros(1) for name in names}, metadata=metadata)


LONG_ECHOES = {  # files made to put something long, or a control character, into the message
    "10,000 foreign tensors": (tensors_named(f"w\x1b[31m{i}\n" for i in range(10_000)),
                               r"missing 8 ('layers.conv1.bias', ...); unexpected 10,000 ('w\x1b[31m0\n', ...)"),
    "a tensor name of 100 kB": (tensors_named(["w" * 100_000]), "unexpected 1 ('wwww"),
    "a layer kind of 100 kB": (described_as(lenet_dict(layers=[{"kind": "\n" * 100_000}])), "unknown layer kind"),
    "a 4,000-digit filter count": (described_as(lenet_dict(layer0={"filters": 10**4000})), "4,001-digit number"),
    "a 4,000-digit padding": (described_as(lenet_dict(layer0={"padding": -10**4000})),
                              "padding a 4,001-digit negative number is out of range"),
    "a 4,000-digit kernel": (described_as(lenet_dict(layer0={"kernel": 10**4000})), "is too large (at most 1,000,000,000)"),
    "a huge network": (described_as(lenet_dict(layer0={"filters": 10**9, "padding": 10**9})), "far too large"),
    "a 4,000-digit input size": (described_as(lenet_dict(input_size=10**4000)), "4,001-digit number"),
    "a 4,000-digit format version": (with_metadata(format_version="9" * 4000), "newer cnn-desktop"),
    "unknown parameters": (described_as(lenet_dict(layer1={f"p{i}\x07": 1 for i in range(10_000)})),
                           "unknown parameters"),
    "a string of 100 kB as a size": (described_as(lenet_dict(layer0={"filters": "\x1b" * 100_000})),
                                      "whole number"),
    "10,000 repeated classes": (described_as(lenet_dict(classes=["a\x1b"] * 999)), "class name"),
    "a corrupt tensor table": (join({**split(VALID)[0], "w\n" * 1000: {"dtype": "F32", "shape": [1],
                                                                      "data_offsets": [0, 10**9]}},
                                    split(VALID)[1]), "corrupt or truncated weights"),
}


@pytest.mark.parametrize("case", list(LONG_ECHOES))
def test_no_message_grows_with_the_file_or_passes_on_its_control_characters(tmp_path, case):
    data, words = LONG_ECHOES[case]
    message = refused(tmp_path, data, words)
    assert message.isprintable() and len(message) < 300, (len(message), message[:1000])


def test_a_path_with_a_line_break_is_named_on_one_line(tmp_path):
    path = tmp_path / "two\nlines.safetensors"
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match="the file is empty") as caught:
        load_model(path)
    assert str(caught.value).startswith(ascii(str(path))) and "\n" not in str(caught.value)


# --- weights that are finite but overflow ---------------------------------------------------------------


@pytest.mark.parametrize("value", [3e38, -3e38, 1e30])
def test_weights_that_overflow_on_a_blank_or_full_drawing_are_refused(tmp_path, value):
    # Every weight finite, yet a drawing's outputs were inf/NaN: the app's panels failed on each refresh
    # ("Cannot set range [0.0, inf]") and `predict` printed nan.
    model = build_model(lenet_spec(CLASSES), seed=0)
    with torch.no_grad():
        for tensor in model.parameters():
            tensor.fill_(value)
    refused(tmp_path, model_to_bytes(model),
            "weights overflow: a blank or full drawing gives non-finite outputs (from ")


def test_large_weights_that_do_not_overflow_still_load(tmp_path):
    model = build_model(lenet_spec(CLASSES), seed=0)
    with torch.no_grad():
        for tensor in model.parameters():
            tensor.mul_(100)
    path = tmp_path / "loud.safetensors"
    path.write_bytes(model_to_bytes(model))
    assert load_model(path, expected_classes=CLASSES).spec == model.spec


# --- JSON that breaks parsers ------------------------------------------------------------------------


def test_a_deeply_nested_header_is_refused(tmp_path):
    header = b"[" * 200_000
    refused(tmp_path, struct.pack("<Q", len(header)) + header, "not a cnn-desktop model")


@pytest.mark.parametrize("key", ["spec", "history", "info"])
def test_deeply_nested_metadata_is_refused(tmp_path, key):
    # json.loads raises RecursionError (not ValueError) past ~1000 levels: it escaped every handler.
    refused(tmp_path, with_metadata(**{key: "[" * 100_000 + "]" * 100_000}), key if key != "spec" else "description")


@pytest.mark.parametrize("value", [5, None, ["[]"], {"a": "b"}])
def test_metadata_entries_that_are_not_text_are_refused(tmp_path, value):
    # safetensors itself only writes text there, but the header is plain JSON anyone can edit; a list
    # as format_version was a TypeError from int().
    refused(tmp_path, with_metadata(format_version=value), "malformed metadata")
    refused(tmp_path, with_metadata(spec=value), "malformed metadata")


@pytest.mark.parametrize("history", ["[1, 2]", '["epoch"]', "[[]]", '[{"epoch": 1}, null]'])
def test_history_entries_must_be_records(tmp_path, history):
    # `cnn-desktop info` reads history[-1].get(...): a number there was an AttributeError traceback.
    refused(tmp_path, with_metadata(history=history), "malformed history")


@pytest.mark.parametrize("config", ["[]", '"adam"', "3"])
def test_the_recorded_training_config_must_be_an_object(tmp_path, config):
    # `evaluate --split` and `evaluate --generated` read info["config"] as a dict.
    refused(tmp_path, with_metadata(info=f'{{"config": {config}}}'), "malformed info")


# --- fuzzing: arbitrary bytes, mutated files, random descriptions ------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def only_model_file_errors(data: bytes) -> None:
    try:
        model_from_bytes(data, "fuzzed.safetensors")
    except ModelFileError as error:
        message = str(error)
        assert message.startswith("fuzzed.safetensors: ") and message.isprintable() and len(message) < 400, message


@st.composite
def mutated_model(draw) -> bytes:
    """The valid file with a few bytes changed, some inserted or deleted, maybe cut short."""
    data = bytearray(VALID)
    header_end = 8 + struct.unpack("<Q", VALID[:8])[0]
    for _ in range(draw(st.integers(1, 6))):
        # Mostly in the header, where the parsing happens; sometimes in the length or the weights.
        at = draw(st.one_of(st.integers(0, header_end - 1), st.integers(0, len(data) - 1)))
        action = draw(st.sampled_from(["set", "insert", "delete"]))
        if action == "set":
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at : at + draw(st.integers(1, 8))]
    return bytes(data[: draw(st.integers(0, len(data)))]) if draw(st.booleans()) else bytes(data)


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated_model()))
def test_fuzz_model_bytes_raise_only_model_file_error(data):
    only_model_file_errors(data)


json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 40), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4),
)
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)), max_leaves=6)
layer_kind = st.sampled_from(["conv", "relu", "pool", "flatten", "fc", "dropout", "softmax"])
layer_field = st.sampled_from(["filters", "kernel", "stride", "padding", "window", "units", "p", "bogus"])
layer = st.builds(lambda kind, fields: {"kind": kind, **fields}, layer_kind,
                  st.dictionaries(layer_field, st.one_of(st.integers(0, 70), json_leaf), max_size=3))
description = st.fixed_dictionaries(
    {"classes": st.one_of(st.just(list(CLASSES)), st.lists(st.text(max_size=3), max_size=3), json_value)},
    optional={"layers": st.one_of(st.lists(layer, max_size=6), json_value),
              "input_size": st.one_of(st.just(28), json_leaf), "in_channels": st.one_of(st.just(1), json_leaf)},
)


@FUZZ
@given(description)
def test_fuzz_random_descriptions_raise_only_model_file_error_and_fast(spec):
    started = time.perf_counter()
    only_model_file_errors(described_as(spec))
    assert time.perf_counter() - started < 1.0  # no huge network is ever built


@settings(FUZZ, max_examples=80)  # each example loads a whole model: slower than the others
@given(st.dictionaries(st.sampled_from(["format", "format_version", "spec", "history", "info", "other"]),
                       st.one_of(st.text(max_size=20), json_value.map(json.dumps)), max_size=4))
def test_fuzz_metadata_entries_raise_only_model_file_error(changes):
    only_model_file_errors(with_metadata(**changes))


# --- a real model must never look like a pickle -------------------------------------------------------


def starting_with(start: bytes) -> bytes:
    """A valid model whose info is padded until the file starts with ``start`` (its header length)."""
    model = build_model(lenet_spec(CLASSES), seed=0)
    base = struct.unpack("<Q", model_to_bytes(model, info={"pad": ""})[:8])[0]
    low = int.from_bytes(start, "little")
    step = 1 << (8 * len(start))
    target = base + 16 + (low - base - 16) % step  # the first length above base with those low bytes
    for n in range(target - base - 24, target - base + 8):
        data = model_to_bytes(model, info={"pad": "x" * n})
        if data.startswith(start):
            return data
    raise AssertionError(f"no padding makes a file starting with {start!r}")


@pytest.mark.parametrize("start", [b"\x80", b"PK"], ids=["pickle-like", "zip-like"])
def test_a_model_whose_header_length_looks_like_a_pickle_or_zip_still_loads(tmp_path, start):
    # A safetensors file starts with its header's length, little-endian: whenever that length is
    # 0x..80 (1 save in 25: the header grows with the training info), the file began like a pickle and
    # was refused as one: the app and the CLI saved models they could never open again.
    data = starting_with(start)
    path = tmp_path / "m.safetensors"
    path.write_bytes(data)
    assert load_model(path, expected_classes=CLASSES).info["pad"].startswith("x")
