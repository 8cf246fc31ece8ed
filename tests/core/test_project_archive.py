"""A project as one zip: `cnn-desktop project export DIR --out F.zip` and `project import F.zip DEST`.

The round trip keeps every drawing, version, record and the current pointer, and nothing else (no
lock, no temp files, no trash). Import treats the zip as hostile: anything outside a project's layout,
a model that does not hash to its record, a bad project.json, an existing DEST: one line, exit 2, and
no DEST and no temp folder left behind."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from cnn_desktop.cli import main
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.data.synth import generate_ticks_crosses
from cnn_desktop.core.network.model import build_model
from cnn_desktop.core.projects.project import Project


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """Ticks and crosses: 6 drawings, two versions (v0001 current), a deleted class in the trash."""
    folder = tmp_path_factory.mktemp("p") / "marks"
    drawings, labels = generate_ticks_crosses(3, seed=2)
    with Project.create(folder, "marks", ["tick", "cross", "circle"]) as p:
        p.store.add_many([(("tick", "cross")[l], preprocess(s), s) for s, l in zip(drawings, labels)])
        p.delete_class("circle")
        first = p.add_version(build_model(p.spec, seed=0))
        p.add_version(build_model(p.spec, seed=1))
        p.make_current(first)
    (folder / "models" / ".v0009.0123abcd.tmp").mkdir()  # a crashed write's leftover
    return folder


def files_of(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line_error(capsys, start: str) -> str:
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cnn-desktop: error: {start}"), captured.err
    return lines[0]


def test_export_then_import_gives_the_same_project(project, tmp_path, capsys):
    out = tmp_path / "marks.zip"
    assert main(["project", "export", str(project), "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: project {project} with 6 drawings and 2 model versions\n"
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
    assert "project.json" in names and "models/current" in names and "models/v0002/record.json" in names
    assert not [n for n in names if n.startswith("trash/") or n.endswith(".lock") or ".tmp" in n], names

    dest = tmp_path / "copy"
    assert main(["project", "import", str(out), str(dest)]) == 0
    assert capsys.readouterr().out == f"imported project into {dest}: 6 drawings, 2 model versions\n"
    expected = {k: v for k, v in files_of(project).items() if not k.startswith(("trash", ".lock"))
                and ".tmp" not in k}
    assert files_of(dest) == expected
    with Project.open(dest) as copy:  # opens for writing: a whole project
        assert copy.current_version() == "v0001" and copy.counts() == {"tick": 3, "cross": 3}
        assert copy.load_version().model.classes == ("tick", "cross")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _members(project: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "good.zip"
    if not out.exists():
        assert main(["project", "export", str(project), "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("case", ["tampered-model", "bad-project-json", "stranger", "slip", "no-project",
                                  "dest-exists", "not-a-zip"])
def test_a_zip_that_is_no_sound_project_is_refused_and_leaves_nothing(project, tmp_path, capsys, case):
    members = _members(project, tmp_path)
    capsys.readouterr()
    dest = tmp_path / "dest"
    path = tmp_path / f"{case}.zip"
    start = f"{path}: "
    if case == "tampered-model":
        members["models/v0002/model.safetensors"] += b"\0"
        words = "models/v0002/model.safetensors: does not have the sha256 its record gives"
    elif case == "bad-project-json":
        members["project.json"] = json.dumps({"format": "cnn-desktop-project", "version": 99}).encode()
        words = "project format version 99"
    elif case == "stranger":
        members["drawings/tick/run.sh"] = b"#!/bin/sh\nrm -rf ~\n"
        start = f"{path}:drawings/tick/run.sh: "
        words = "not part of a project's layout"
    elif case == "slip":
        members["../evil.png"] = b"x"
        start = f"{path}:../evil.png: "
        words = "('..')"
    elif case == "no-project":
        del members["project.json"]
        words = "not a project zip (no project.json at its top)"
    elif case == "dest-exists":
        dest.mkdir()
        start = f"{dest}: "
        words = "already exists"
    if case == "not-a-zip":
        path.write_bytes(b"not a zip at all" * 100)
        words = "not a zip file"
    else:
        _zip(path, members)
    assert main(["project", "import", str(path), str(dest)]) == 2
    line = one_line_error(capsys, start)
    assert words in line, line
    assert dest.exists() == (case == "dest-exists")
    assert not (tmp_path / "evil.png").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folder left


def test_export_refuses_an_existing_file_and_reads_a_project_open_elsewhere(project, tmp_path, capsys):
    out = tmp_path / "taken.zip"
    out.write_bytes(b"someone's work")
    assert main(["project", "export", str(project), "--out", str(out)]) == 2
    one_line_error(capsys, f"{out}: already exists")
    assert out.read_bytes() == b"someone's work"
    with Project.open(project):  # the app has it open: exporting only reads, so it works
        assert main(["project", "export", str(project), "--out", str(tmp_path / "while-open.zip")]) == 0
    assert os.path.getsize(tmp_path / "while-open.zip") > 0
