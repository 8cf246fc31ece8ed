"""IDX headers that promise more than the machine holds are refused from the header, before anything
is allocated; the data is read in chunks. (Issue #13: a 16 MB gzipped pair truthfully promising
5,000,000 images passed the 4 GiB cap, then allocated 14.6 GiB.)"""

from __future__ import annotations

import gzip
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from cnn_desktop.cli import main
from cnn_desktop.core.data import idx
from cnn_desktop.core.data.datasets import load_dataset
from cnn_desktop.core.data.idx import IdxFile, MAX_IDX_ITEMS
from cnn_desktop.core.data.readers import read_mnist_folder
from cnn_desktop.core.errors import DataError

IMAGES, LABELS = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"


def promising_pair(folder: Path, count: int, labels_count: int | None = None, side: int = 28,
                   data: int = 4096) -> tuple[Path, Path]:
    """A gzipped pair whose headers promise ``count`` images (``side``x``side``) and labels, holding only
    ``data`` bytes of pixels: what a refusal from the header never gets to read."""
    folder.mkdir(parents=True, exist_ok=True)
    images = folder / IMAGES
    labels = folder / LABELS
    images.write_bytes(gzip.compress(struct.pack(">IIII", 0x803, count, side, side) + bytes(data)))
    labels.write_bytes(gzip.compress(struct.pack(">II", 0x801, count if labels_count is None else labels_count)
                                     + bytes(min(data, count))))
    return images, labels


def peak_while(call) -> tuple[BaseException | None, int]:
    """What ``call`` raised, and the peak of Python-allocated memory (numpy's arrays included) meanwhile."""
    tracemalloc.start()
    try:
        call()
    except BaseException as error:  # noqa: BLE001 - returned to the test
        return error, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return None, 0


def test_five_million_images_are_refused_from_the_header_without_allocating(tmp_path):
    images, _ = promising_pair(tmp_path / "big", 5_000_000)
    assert images.stat().st_size < 20_000  # the file is tiny; only its header is large
    for call in (lambda: read_mnist_folder(tmp_path / "big"), lambda: load_dataset(tmp_path / "big")):
        error, peak = peak_while(call)
        assert isinstance(error, DataError), error
        text = str(error)
        assert text.startswith(f"{images}: header promises 5,000,000 images"), text
        assert f"more than the {MAX_IDX_ITEMS:,}" in text and "refused before reading" in text
        assert "\n" not in text
        assert peak < 8 << 20, peak  # 3.7 GiB of pixels were promised; not even 8 MB was taken


def test_a_header_beyond_free_memory_is_refused_naming_what_it_needs(tmp_path, monkeypatch):
    images, _ = promising_pair(tmp_path / "pair", 20_000)
    monkeypatch.setattr(idx, "available_memory", lambda: 10 << 20)
    with pytest.raises(DataError) as caught:
        load_dataset(tmp_path / "pair")  # 20,000 images and their float32 inputs: about 75 MB
    text = str(caught.value)
    assert text.startswith(f"{images}: header promises 20,000 images, which need 0.1 GiB of memory; "
                           "only 0.0 GiB is available"), text


def test_counts_that_differ_and_huge_images_are_refused_from_the_headers(tmp_path):
    _, labels = promising_pair(tmp_path / "counts", 900_000, labels_count=10)
    error, peak = peak_while(lambda: read_mnist_folder(tmp_path / "counts"))
    assert str(error) == f"{labels}: 10 labels for 900000 images in {IMAGES}"
    assert peak < 8 << 20
    images, _ = promising_pair(tmp_path / "huge", 10, side=100_000)
    error, peak = peak_while(lambda: read_mnist_folder(tmp_path / "huge"))
    assert str(error) == f"{images}: images are 100000x100000, expected 28x28"
    assert peak < 8 << 20


def test_chunks_hold_one_chunk_and_find_truncation_where_it_is(tmp_path):
    pixels = np.arange(50 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(50, 28, 28)
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(struct.pack(">IIII", 0x803, 50, 28, 28) + pixels.tobytes()))
    with IdxFile(path, "images") as file:
        chunks = list(file.chunks(16))
    assert [len(c) for c in chunks] == [16, 16, 16, 2]
    assert np.array_equal(np.concatenate(chunks), pixels)
    path.write_bytes(gzip.compress(struct.pack(">IIII", 0x803, 50, 28, 28) + pixels.tobytes()[:-100]))
    with IdxFile(path, "images") as file:
        seen = []
        with pytest.raises(DataError, match="truncated"):
            for chunk in file.chunks(16):
                seen.append(len(chunk))
    assert seen == [16, 16, 16]  # the last chunk is the one cut short


def _project(tmp_path: Path, capsys) -> Path:
    folder = tmp_path / "digits"
    assert main(["project", "new", str(folder), "--start", "scratch", "--classes", ",".join(map(str, range(10)))]) == 0
    capsys.readouterr()
    return folder


def _one_line(capsys, start: str) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cnn-desktop: error: {start}"), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_import_refuses_a_five_million_image_header_in_one_line(tmp_path, capsys):
    project = _project(tmp_path, capsys)
    images, _ = promising_pair(tmp_path / "big", 5_000_000)
    assert main(["import", "--project", str(project), str(tmp_path / "big")]) == 2
    _one_line(capsys, f"{images}: header promises 5,000,000 images")
    assert not any((project / "drawings").rglob("*.png"))


def test_import_refuses_a_header_beyond_free_disk(tmp_path, capsys, monkeypatch):
    project = _project(tmp_path, capsys)
    images, _ = promising_pair(tmp_path / "pair", 20_000)
    real = idx.shutil.disk_usage
    monkeypatch.setattr(idx.shutil, "disk_usage", lambda path: real(path)._replace(free=1 << 20))
    assert main(["import", "--project", str(project), str(tmp_path / "pair")]) == 2
    line = _one_line(capsys, f"{images}: header promises 20,000 images, which need about 0.1 GiB of disk")
    assert str(project) in line


def test_import_of_a_truncated_gzipped_pair_writes_nothing(tmp_path, capsys):
    project = _project(tmp_path, capsys)
    folder = tmp_path / "cut"
    folder.mkdir()
    rng = np.random.default_rng(0)
    pixels = ((rng.random((600, 28, 28)) > 0.8) * 255).astype(np.uint8)
    data = struct.pack(">IIII", 0x803, 600, 28, 28) + pixels.tobytes()
    (folder / IMAGES).write_bytes(gzip.compress(data[:-5000]))  # the last few images are missing
    (folder / LABELS).write_bytes(gzip.compress(struct.pack(">II", 0x801, 600) + bytes(600)))
    assert main(["import", "--project", str(project), str(folder)]) == 2
    _one_line(capsys, f"{folder / IMAGES}: truncated")
    assert not any((project / "drawings").rglob("*.png"))  # found before the first batch was written
