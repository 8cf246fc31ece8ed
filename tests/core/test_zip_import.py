"""Importing from a zip of label folders (`cnn-desktop import --project DIR drawings.zip`), and one
unreadable image among many in a folder or a zip: left out and listed, the others imported.

A zip is hostile input: every unsafe member is skipped with one line, and nothing is extracted."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnn_desktop.cli import main
from cnn_desktop.core.data import zip_images
from cnn_desktop.core.data.datasets import load_dataset
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.synth import generate_ticks_crosses
from cnn_desktop.core.projects.project import Project


@pytest.fixture(scope="module")
def pngs() -> dict[str, list[bytes]]:
    """12 ticks and 12 crosses as PNG bytes, dark ink on white, 56x56."""
    drawings, labels = generate_ticks_crosses(12, seed=3)
    out: dict[str, list[bytes]] = {"tick": [], "cross": []}
    for strokes, label in zip(drawings, labels):
        buffer = io.BytesIO()
        Image.fromarray(255 - (preprocess(strokes) * 255).astype(np.uint8)).resize((56, 56)).save(buffer, "PNG")
        out[("tick", "cross")[label]].append(buffer.getvalue())
    return out


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def new_project(tmp_path: Path, capsys) -> Path:
    folder = tmp_path / "marks"
    assert main(["project", "new", str(folder), "--start", "scratch", "--classes", "tick,cross"]) == 0
    capsys.readouterr()
    return folder


def counts(folder: Path) -> dict[str, int]:
    with Project.open(folder, read_only=True) as project:
        return project.counts()


def test_a_folder_zipped_by_hand_with_mac_junk_and_one_broken_image(tmp_path, pngs, capsys):
    members = {"my shapes/": b"", "__MACOSX/my shapes/tick/._0.png": b"\0\5\26\7junk", "my shapes/.DS_Store": b"x"}
    for label, images in pngs.items():
        for i, data in enumerate(images):
            members[f"my shapes/{label}/{i}.png"] = data
    members["my shapes/tick/broken.png"] = b"not a png at all"
    members["my shapes/README.txt"] = b"drawn by class 3b"
    source = make_zip(tmp_path / "shapes.zip", members)
    project = new_project(tmp_path, capsys)
    assert main(["import", "--project", str(project), str(source)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"imported 24 drawings into {project}: tick 12, cross 12; 1 left out (listed above)\n"
    assert captured.err.splitlines() == [f"skipped {source}:my shapes/tick/broken.png: not an image "
                                         "(or a format Pillow cannot read)"]
    assert counts(project) == {"tick": 12, "cross": 12}
    # The app's reader of folders leaves the same broken file out, where it used to refuse the lot.
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(source) as archive:
        archive.extractall(folder)  # the test's own zip: safe to extract
    dataset = load_dataset(folder / "my shapes", ("tick", "cross"))
    assert len(dataset) == 24 and len(dataset.skipped) == 1 and "broken.png" in dataset.skipped[0]


def test_an_image_export_zip_comes_back_pixel_for_pixel_with_its_strokes(tmp_path, capsys):
    source = tmp_path / "source"
    drawings, labels = generate_ticks_crosses(3, seed=8)
    with Project.create(source, "source", ["tick", "cross"]) as project:
        project.store.add_many([(("tick", "cross")[l], preprocess(s), s) for s, l in zip(drawings, labels)])
    exported = tmp_path / "marks.zip"
    assert main(["export", "--data", str(source), "--format", "images", "--out", str(exported)]) == 0
    project = new_project(tmp_path, capsys)
    assert main(["import", "--project", str(project), str(exported)]) == 0
    assert capsys.readouterr().out == f"imported 6 drawings into {project}: tick 3, cross 3\n"
    with Project.open(source, read_only=True) as a, Project.open(project, read_only=True) as b:
        before = sorted(a.store.raster(e.id).tobytes() for e in a.store.examples())
        after = sorted(b.store.raster(e.id).tobytes() for e in b.store.examples())
        assert before == after  # stored inputs, not preprocessed a second time
        assert all(b.store.strokes(e.id) is not None for e in b.store.examples())


def _patched(data: bytes, name: str, size: int | None = None, encrypted: bool = False) -> bytes:
    """The zip with ``name``'s declared size changed, or its encryption flag set, in its local header
    and its central record (zipfile itself writes neither lie)."""
    data = bytearray(data)
    encoded = name.encode()
    for signature, name_length_at, name_at, flags_at, size_at in ((b"PK\x03\x04", 26, 30, 6, 22),
                                                                   (b"PK\x01\x02", 28, 46, 8, 24)):
        start = data.find(signature)
        while start >= 0:
            length = struct.unpack_from("<H", data, start + name_length_at)[0]
            if data[start + name_at:start + name_at + length] == encoded:
                if size is not None:
                    struct.pack_into("<L", data, start + size_at, size)
                if encrypted:
                    data[start + flags_at] |= 0x1
            start = data.find(signature, start + 4)
    return bytes(data)


def test_unsafe_members_are_each_skipped_with_one_line(tmp_path, pngs, capsys):
    good, other = pngs["tick"][0], pngs["cross"][0]
    path = tmp_path / "hostile.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tick/good.png", good)
        archive.writestr("cross/good.png", other)
        archive.writestr("/etc/tick/abs.png", good)
        archive.writestr("tick/../../up.png", good)
        link = zipfile.ZipInfo("tick/link.png")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")
        archive.writestr("tick/secret.png", good)  # marked encrypted below
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("tick/good.png", other)
        archive.writestr("tick/huge.bmp", bytes(zip_images.MAX_MEMBER_BYTES + 1))
        archive.writestr("tick/bomb.bmp", bytes(2 << 20))
        archive.writestr("tick/liar.png", good * 3)
        archive.writestr("tick/deep/x.png", good)
    path.write_bytes(_patched(path.read_bytes(), "tick/liar.png", size=len(good)))
    path.write_bytes(_patched(path.read_bytes(), "tick/secret.png", encrypted=True))
    project = new_project(tmp_path, capsys)
    assert main(["import", "--project", str(project), str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"imported 2 drawings into {project}: tick 1, cross 1; 9 left out (listed above)\n"
    lines = captured.err.splitlines()
    expected = {
        "/etc/tick/abs.png": "an absolute path; skipped",
        "tick/../../up.png": "a path leading out of the zip's folder ('..'); skipped",
        "tick/link.png": "a symbolic link; skipped",
        "tick/secret.png": "encrypted; skipped",
        "tick/good.png": "a second member of the same name; the first is used; skipped",
        "tick/huge.bmp": f"more than the {zip_images.MAX_MEMBER_BYTES >> 20} MiB an image may have; skipped",
        "tick/bomb.bmp": "(more than 100:1, a zip bomb?); skipped",
        "tick/liar.png": "data does not match its declared size or checksum",
        "tick/deep/x.png": "not in a <label>/<image> place; skipped",
    }
    assert len(lines) == len(expected), lines
    for name, words in expected.items():
        assert any(line.startswith(f"skipped {path}:{name}: ") and words in line for line in lines), (name, lines)
    assert counts(project) == {"tick": 1, "cross": 1}
    assert not (tmp_path / "up.png").exists() and not (project.parent / "up.png").exists()


@pytest.mark.parametrize("case", ["too-many", "not-a-zip", "no-images", "unknown-label"])
def test_a_zip_that_cannot_be_imported_is_refused_in_one_line(tmp_path, pngs, capsys, monkeypatch, case):
    project = new_project(tmp_path, capsys)
    path = tmp_path / f"{case}.zip"
    if case == "too-many":
        monkeypatch.setattr(zip_images, "MAX_MEMBERS", 5)
        make_zip(path, {f"tick/{i}.png": pngs["tick"][i] for i in range(10)})
        words = "holds 10 members, more than the 5 read from a zip; refused before reading"
    elif case == "not-a-zip":
        path.write_bytes(b"PK\x03\x04 this is no zip" * 10)
        words = "not a zip file, or a damaged one"
    elif case == "no-images":
        make_zip(path, {"notes.txt": b"hello", "__MACOSX/tick/._a.png": b"x"})
        words = "no images"
    else:
        make_zip(path, {"tick/a.png": pngs["tick"][0], "banana/b.png": pngs["tick"][1]})
        words = "label ['banana'] is not a class of the project ['tick', 'cross']; nothing imported"
    assert main(["import", "--project", str(project), str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert captured.err.splitlines() == [captured.err.strip()]
    assert captured.err.startswith(f"cnn-desktop: error: {path}: ") and words in captured.err, captured.err
    assert counts(project) == {"tick": 0, "cross": 0}


def test_a_zip_into_a_project_open_elsewhere_is_refused(tmp_path, pngs, capsys):
    project = new_project(tmp_path, capsys)
    path = make_zip(tmp_path / "a.zip", {"tick/a.png": pngs["tick"][0]})
    with Project.open(project):
        assert main(["import", "--project", str(project), str(path)]) == 2
    assert "open in another window or command" in capsys.readouterr().err
