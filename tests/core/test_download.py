"""download_mnist against a scripted HTTP server on 127.0.0.1 (never the real mirrors): mirror fail-over,
checksums, resume with Range, and that no partial file ever looks complete."""

from __future__ import annotations

import gzip
import hashlib
import os
import socket
import time
import urllib.request

import numpy as np
import pytest

from cnn_desktop.core.data import download
from cnn_desktop.core.data.download import (
    MNIST_FILES, RemoteFile, default_mnist_folder, download_mnist, mnist_available, part_path,
)
from cnn_desktop.core.errors import DownloadError
from cnn_desktop.core.data.readers import find_mnist_pair, read_idx, read_mnist_folder
from mirror_server import MirrorServer


def _idx(magic: int, array: np.ndarray) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def _data() -> dict[str, bytes]:
    """Tiny valid MNIST files: 5 noisy images (a few KB gzipped, so several small chunks) and 5 labels."""
    rng = np.random.default_rng(0)
    data = {}
    for split in ("train", "t10k"):
        data[f"{split}-images-idx3-ubyte.gz"] = _idx(0x803, rng.integers(0, 256, (5, 28, 28)))
        data[f"{split}-labels-idx1-ubyte.gz"] = _idx(0x801, rng.integers(0, 10, 5))
    return data


DATA = _data()
FILES = tuple(RemoteFile(name, hashlib.md5(body).hexdigest(), len(body)) for name, body in DATA.items())
NAMES = [remote.name for remote in FILES]
IMAGES = "train-images-idx3-ubyte.gz"
# No proxy, whatever the environment says: test traffic must stay on this machine.
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def server():
    mirror = MirrorServer(DATA)
    yield mirror
    mirror.close()


def fetch(server, folder, mirrors=("a", "b"), **options):
    return download_mnist(folder, mirrors=[server.url(m) for m in mirrors], files=FILES, opener=LOCAL,
                          **options)


def landed(folder, names=NAMES) -> bool:
    """Every named file is in place with the served bytes, and nothing hidden is left behind."""
    return (all((folder / n).read_bytes() == DATA[n] for n in names)
            and not [p for p in os.listdir(folder) if p.startswith(".")])


def test_happy_path_lands_four_verified_readable_files(server, tmp_path):
    report = fetch(server, tmp_path / "mnist")
    folder = tmp_path / "mnist"
    assert landed(folder) and sorted(os.listdir(folder)) == sorted(NAMES)
    assert report.fetched == NAMES and report.skipped == [] and report.failures == []
    assert report.sources[IMAGES] == server.url("a") + IMAGES
    assert [path for path, _, _ in server.log] == [f"/a/{n}" for n in NAMES]
    assert all(agent.startswith("cnn-desktop/") for agent in server.agents)
    assert find_mnist_pair(folder) == (folder / IMAGES, folder / "train-labels-idx1-ubyte.gz")
    images, labels = read_mnist_folder(folder)
    assert images.shape == (5, 28, 28) and labels.shape == (5,)
    assert not mnist_available(folder)  # the real checksums: these tiny files are not MNIST
    assert read_idx(folder / "t10k-images-idx3-ubyte.gz", kind="images").shape == (5, 28, 28)
    assert mnist_available(folder, files=FILES)


SIZE = len(DATA[IMAGES])


# starts: transfers begun (progress from 0). A size the headers already show to be wrong is refused
# before a byte is read.
@pytest.mark.parametrize("step, reason, starts", [
    ("404", "HTTP 404", 1), ("500", "HTTP 500", 1), ("wrong", "checksum mismatch", 2),
    ("short", f"size {SIZE - 10} bytes, expected {SIZE}", 1)])
def test_a_failing_first_mirror_falls_over_to_the_second(server, tmp_path, step, reason, starts):
    server.script[f"/a/{IMAGES}"] = [step]
    calls = []
    report = fetch(server, tmp_path, progress=lambda *call: calls.append(call))
    assert landed(tmp_path)
    assert report.sources[IMAGES] == server.url("b") + IMAGES
    assert report.failures == [f"{IMAGES}: 127.0.0.1:{server.httpd.server_port}: {reason}"]
    assert [call for call in calls if call[0] == IMAGES and call[1] == 0] == [(IMAGES, 0, SIZE)] * starts


def test_a_truncated_transfer_is_resumed_from_the_next_mirror(server, tmp_path):
    server.script[f"/a/{IMAGES}"] = ["truncate"]
    report = fetch(server, tmp_path)
    assert landed(tmp_path)
    half = len(DATA[IMAGES]) // 2
    assert f"connection closed after {half} of {len(DATA[IMAGES])} bytes" in report.failures[0]
    assert server.requests(f"/b/{IMAGES}") == [(f"/b/{IMAGES}", f"bytes={half}-", len(DATA[IMAGES]) - half)]


def test_a_silent_mirror_times_out_and_the_next_one_is_used(server, tmp_path):
    server.script[f"/a/{IMAGES}"] = ["stall"]
    started = time.monotonic()
    report = fetch(server, tmp_path, timeout=0.3)
    assert landed(tmp_path) and time.monotonic() - started < 1.0
    assert report.failures[0].endswith(": timed out")


def test_a_server_streaming_more_than_the_file_is_cut_off(server, tmp_path):
    server.script[f"/a/{IMAGES}"] = ["endless"]
    report = fetch(server, tmp_path)
    assert landed(tmp_path) and f"more than {len(DATA[IMAGES])} bytes" in report.failures[0]
    # Without a known size, the general limit applies.
    server.script[f"/a/{IMAGES}"] = ["endless"]
    (tmp_path / IMAGES).unlink()
    unsized = [RemoteFile(r.name, r.md5) for r in FILES]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(download, "MAX_BYTES", 2 * len(DATA[IMAGES]))
        report = download_mnist(tmp_path, mirrors=[server.url("a"), server.url("b")], files=unsized, opener=LOCAL)
    assert landed(tmp_path) and f"more than {2 * len(DATA[IMAGES])} bytes" in report.failures[0]


def test_when_every_mirror_fails_one_line_names_each_reason_and_no_file_appears(server, tmp_path):
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{refused.getsockname()[1]}/d/"
    refused.close()  # nothing listens there now: connection refused
    for mirror, step in (("a", "404"), ("b", "wrong"), ("c", "truncate")):
        server.script[f"/{mirror}/{IMAGES}"] = [step]
    with pytest.raises(DownloadError) as caught:
        download_mnist(tmp_path, mirrors=[server.url(m) for m in "abc"] + [dead], files=FILES, opener=LOCAL)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{IMAGES}: no mirror worked (")
    for reason in ("HTTP 404", "checksum mismatch", "connection closed after", "refused"):
        assert reason in message
    assert not (tmp_path / IMAGES).exists()
    assert [p for p in os.listdir(tmp_path) if not p.startswith(".")] == []


def test_an_existing_part_is_resumed_with_a_range_request(server, tmp_path):
    body = DATA[IMAGES]
    part_path(tmp_path / IMAGES).write_bytes(body[:1000])
    fetch(server, tmp_path)
    assert landed(tmp_path)
    assert server.requests(f"/a/{IMAGES}") == [(f"/a/{IMAGES}", "bytes=1000-", len(body) - 1000)]


def test_a_complete_part_is_checked_and_renamed_without_a_request(server, tmp_path):
    part_path(tmp_path / IMAGES).write_bytes(DATA[IMAGES])  # interrupted between the last byte and the rename
    fetch(server, tmp_path)
    assert landed(tmp_path) and server.requests(f"/a/{IMAGES}") == []


def test_a_server_ignoring_range_restarts_the_file_from_zero(server, tmp_path):
    part_path(tmp_path / IMAGES).write_bytes(DATA[IMAGES][:1000])
    server.script[f"/a/{IMAGES}"] = ["no-range"]
    report = fetch(server, tmp_path)
    assert landed(tmp_path) and report.failures == []
    assert server.requests(f"/a/{IMAGES}") == [(f"/a/{IMAGES}", "bytes=1000-", len(DATA[IMAGES]))]


def test_a_resumed_part_that_fails_the_checksum_is_fetched_again_from_zero(server, tmp_path):
    part_path(tmp_path / IMAGES).write_bytes(b"\0" * 1000)  # not the file's start: the result cannot verify
    report = fetch(server, tmp_path)
    assert landed(tmp_path) and report.failures == []
    assert [rng for _, rng, _ in server.requests(f"/a/{IMAGES}")] == ["bytes=1000-", None]


def test_an_interrupt_leaves_only_the_hidden_part_and_the_next_run_resumes(server, tmp_path, monkeypatch):
    monkeypatch.setattr(download, "CHUNK", 512)
    monkeypatch.setattr(download, "PROGRESS_INTERVAL", 0)

    def ctrl_c(name, done, total):
        if done >= 1024:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch(server, tmp_path, progress=ctrl_c)
    assert os.listdir(tmp_path) == [part_path(tmp_path / IMAGES).name]
    assert find_mnist_pair(tmp_path) is None and not mnist_available(tmp_path, files=FILES)
    kept = part_path(tmp_path / IMAGES).stat().st_size
    assert 1024 <= kept < len(DATA[IMAGES])
    server.log.clear()
    fetch(server, tmp_path)
    assert landed(tmp_path) and server.log[0][:2] == (f"/a/{IMAGES}", f"bytes={kept}-")


def test_verified_files_are_not_requested_again(server, tmp_path):
    fetch(server, tmp_path)
    server.log.clear()
    skipped = []
    report = fetch(server, tmp_path, on_skip=skipped.append)
    assert server.log == [] and report.skipped == skipped == NAMES and report.fetched == []


def test_a_present_file_with_a_wrong_checksum_is_replaced_only_by_a_verified_one(server, tmp_path):
    fetch(server, tmp_path)
    (tmp_path / IMAGES).write_bytes(b"not mnist")
    server.script[f"/a/{IMAGES}"] = ["wrong"]
    server.script[f"/b/{IMAGES}"] = ["truncate"]
    server.log.clear()
    with pytest.raises(DownloadError):
        fetch(server, tmp_path)
    assert (tmp_path / IMAGES).read_bytes() == b"not mnist"  # never replaced by something unverified
    assert not mnist_available(tmp_path, files=FILES)
    server.log.clear()
    report = fetch(server, tmp_path)
    assert landed(tmp_path) and report.fetched == [IMAGES]
    assert {path.rsplit("/", 1)[1] for path, _, _ in server.log} == {IMAGES}


def test_progress_reports_growing_byte_counts_and_is_throttled(server, tmp_path, monkeypatch):
    monkeypatch.setattr(download, "CHUNK", 512)
    calls = []
    monkeypatch.setattr(download, "PROGRESS_INTERVAL", 0)
    fetch(server, tmp_path / "all", progress=lambda *call: calls.append(call))
    size = len(DATA[IMAGES])
    counts = [done for name, done, _ in calls if name == IMAGES]
    assert counts[0] == 0 and counts[-1] == size and len(counts) > size // 512
    assert counts == sorted(counts)
    assert {total for name, _, total in calls if name == IMAGES} == {size}
    assert {name for name, _, _ in calls} == set(NAMES)

    calls.clear()
    monkeypatch.setattr(download, "PROGRESS_INTERVAL", 0.05)
    started = time.monotonic()
    fetch(server, tmp_path / "throttled", progress=lambda *call: calls.append(call))
    elapsed = time.monotonic() - started
    counts = [done for name, done, _ in calls if name == IMAGES]
    assert counts[-1] == size and len(counts) <= 3 + elapsed / 0.05  # start and end always, else 20/s


def test_a_file_in_place_of_the_folder_is_a_one_line_error_naming_it(server, tmp_path):
    blocker = tmp_path / "mnist"
    blocker.write_text("x")
    with pytest.raises(DownloadError, match=f"^{blocker}: not a folder") as caught:
        fetch(server, blocker)
    assert "\n" not in str(caught.value) and server.log == []
    with pytest.raises(DownloadError, match=f"^{blocker / 'sub'}: cannot create the folder"):
        fetch(server, blocker / "sub")


def test_a_local_write_failure_stops_at_once_instead_of_trying_other_mirrors(server, tmp_path):
    part_path(tmp_path / IMAGES).mkdir()  # the .part cannot be opened as a file (works even as root)
    with pytest.raises(DownloadError, match=f"^{tmp_path}: cannot write"):
        fetch(server, tmp_path)
    assert len(server.log) == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions, not root")
def test_an_unwritable_folder_is_a_one_line_error_naming_it(server, tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(DownloadError, match=f"^{tmp_path}: folder is not writable"):
            fetch(server, tmp_path)
    finally:
        tmp_path.chmod(0o700)


def test_default_folder_is_under_the_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_DESKTOP_HOME", str(tmp_path))
    assert default_mnist_folder() == tmp_path / "mnist"
    assert not mnist_available()  # missing folder
    (tmp_path / "mnist").mkdir()
    assert not mnist_available()  # empty folder


def test_the_checksum_table_matches_the_real_mnist_test_split(mnist_dir):
    known = {remote.name: remote for remote in MNIST_FILES}
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert (mnist_dir / name).stat().st_size == known[name].size
    assert mnist_available(mnist_dir)  # hashes both real files against the table
