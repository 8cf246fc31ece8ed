"""A whole project as one zip, so that a teacher can hand a symbol set (drawings and models) to a class.

The zip holds the project's own layout (project.py), nothing else::

    project.json
    drawings/cnn-desktop-collection.json, drawings/<class id>/<id>.png
    models/<version>/model.safetensors, models/<version>/record.json, models/current

Left out: the lock, hidden and temporary files (a write in progress), and ``trash/`` (classes the
author deleted: a class handed on should not carry them; the author's own folder keeps them).

Importing treats the zip as hostile. Every member name must be one of the names above, else it is
refused (a path out of the folder, a link, an encrypted member, a name seen twice, a member larger than
it may be); nothing is executed or unpickled (model files are safetensors and are only hashed here).
Members are streamed into a hidden temp folder beside DEST, checked there (project.json must read as a
project; each version's model must have the sha256 its record gives), then the folder is renamed to
DEST in one step. An existing DEST is refused, never merged into or replaced.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import zipfile
import zlib
from pathlib import Path

from cnn_desktop.core.atomic import fsync_folder
from cnn_desktop.core.data.collection_marker import MARKER_NAME
from cnn_desktop.core.data.example_png import MAX_EXAMPLE_BYTES
from cnn_desktop.core.data.files import open_regular_file
from cnn_desktop.core.data.zip_images import MAX_MEMBERS, declared_member_count, member_problem
from cnn_desktop.core.errors import CnnDesktopError, at, describe_error, shown
from cnn_desktop.core.network.model_header import MAX_FILE_BYTES
from cnn_desktop.core.projects.lock import ProjectError
from cnn_desktop.core.projects.manifest import PROJECT_FILE, is_folder_name, read_manifest
from cnn_desktop.core.projects.versions import (
    CURRENT_FILE, MODEL_FILE, MODELS, RECORD_FILE, read_current, read_record, version_names, version_number,
)

DRAWINGS = "drawings"  # project.py's name; not imported from there, which imports this layer's neighbours
_PNG = re.compile(r"^[^./\\][^/\\]*\.png$")
_JSON_BYTES = 16 << 20  # project.json, a record, the marker: far beyond any real one
_CHUNK = 1 << 20


def archive_members(folder: Path) -> list[tuple[str, Path]]:
    """(name in the zip, file) for everything a project zip carries, in a stable order."""
    members = [(PROJECT_FILE, folder / PROJECT_FILE)]
    drawings = folder / DRAWINGS
    if (drawings / MARKER_NAME).is_file():
        members.append((f"{DRAWINGS}/{MARKER_NAME}", drawings / MARKER_NAME))
    for class_folder in sorted(p for p in _entries(drawings) if p.is_dir() and not p.is_symlink()
                               and is_folder_name(p.name)):
        for png in sorted(p for p in _entries(class_folder) if _PNG.match(p.name) and p.is_file()
                          and not p.is_symlink()):
            members.append((f"{DRAWINGS}/{class_folder.name}/{png.name}", png))
    models = folder / MODELS
    for version in version_names(models):
        for name in (MODEL_FILE, RECORD_FILE):
            members.append((f"{MODELS}/{version}/{name}", models / version / name))
    if read_current(models) is not None:
        members.append((f"{MODELS}/{CURRENT_FILE}", models / CURRENT_FILE))
    return members


def export_project(folder: str | os.PathLike[str], out: str | os.PathLike[str]) -> tuple[int, int]:
    """Write the project in ``folder`` as the zip ``out`` (which must not exist): it appears whole or not
    at all. Only reads the project, so it may be open elsewhere. Returns (drawings, versions)."""
    folder, out = Path(folder), Path(out)
    read_manifest(folder)  # a project, readable, before anything is written
    if os.path.lexists(out):
        raise ProjectError(at(out, "already exists; exports never overwrite (choose another name, or remove it)"))
    if not out.parent.is_dir():
        raise ProjectError(at(out.parent, "no such folder"))
    members = archive_members(folder)
    temp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        with zipfile.ZipFile(temp, "x", zipfile.ZIP_DEFLATED) as archive:
            for name, path in members:
                archive.write(path, name)  # streamed from the file, never read whole
        with open(temp, "rb") as file:
            os.fsync(file.fileno())
        os.link(temp, out)  # fails if ``out`` appeared meanwhile: never replaced
        fsync_folder(out.parent)
    except FileExistsError:
        raise ProjectError(at(out, "already exists; exports never overwrite")) from None
    except OSError as error:
        raise ProjectError(at(out, f"cannot write ({describe_error(error)})")) from None
    finally:
        try:
            os.unlink(temp)
        except OSError:
            pass
    drawings = sum(1 for name, _ in members if name.startswith(f"{DRAWINGS}/") and name.endswith(".png"))
    return drawings, sum(1 for name, _ in members if name.endswith(f"/{MODEL_FILE}"))


def import_project(archive_path: str | os.PathLike[str], dest: str | os.PathLike[str]) -> tuple[int, int]:
    """Make the project of the zip ``archive_path`` in ``dest`` (which must not exist), checked before it
    appears there. Returns (drawings, versions)."""
    archive_path, dest = Path(archive_path), Path(dest)
    if os.path.lexists(dest):
        raise ProjectError(at(dest, "already exists; a project is imported into a new folder"))
    if not dest.parent.is_dir():
        raise ProjectError(at(dest.parent, "no such folder"))
    temp = dest.parent / f".{dest.name}.{secrets.token_hex(4)}.tmp"
    file = os.fdopen(open_regular_file(archive_path), "rb")
    try:
        count = declared_member_count(file)
        if count is not None and count > MAX_MEMBERS:
            raise ProjectError(at(archive_path, f"holds {count:,} members, more than the {MAX_MEMBERS:,} read from a "
                                                "zip; refused before reading"))
        with zipfile.ZipFile(file) as archive:
            temp.mkdir()
            drawings, versions = _extract(archive, archive_path, temp)
        _check(archive_path, temp)
        if os.path.lexists(dest):  # checked again: os.rename would replace an empty folder
            raise ProjectError(at(dest, "already exists; a project is imported into a new folder"))
        os.rename(temp, dest)
        fsync_folder(dest.parent)
        return drawings, versions
    except zipfile.BadZipFile as error:
        raise ProjectError(at(archive_path, f"not a zip file, or a damaged one ({describe_error(error)})")) from None
    except OSError as error:
        raise ProjectError(at(dest, f"cannot import ({describe_error(error)})")) from None
    finally:
        file.close()
        shutil.rmtree(temp, ignore_errors=True)


def _extract(archive: zipfile.ZipFile, archive_path: Path, temp: Path) -> tuple[int, int]:
    seen: set[str] = set()
    drawings = versions = 0
    for info in archive.infolist():
        where = f"{archive_path}:{info.filename}"
        parts = tuple(info.filename.split("/"))
        if info.is_dir():
            continue
        problem = member_problem(info, parts) or _name_problem(parts, info.file_size)
        if problem is None and info.filename in seen:
            problem = "a second member of the same name"
        if problem:
            raise ProjectError(at(where, f"{problem}; nothing imported"))
        seen.add(info.filename)
        target = temp.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_member(archive, info, target, where)
        drawings += parts[0] == DRAWINGS and parts[-1].endswith(".png")
        versions += parts[-1] == MODEL_FILE
    if PROJECT_FILE not in seen:
        raise ProjectError(at(archive_path, f"not a project zip (no {PROJECT_FILE} at its top)"))
    return drawings, versions


def _name_problem(parts: tuple[str, ...], size: int) -> str | None:
    """Why a member has no place in a project zip (None: it has one), and the size it may have there."""
    limit = None
    if parts == (PROJECT_FILE,) or parts == (DRAWINGS, MARKER_NAME) or parts == (MODELS, CURRENT_FILE):
        limit = _JSON_BYTES
    elif len(parts) == 3 and parts[0] == DRAWINGS and is_folder_name(parts[1]) and _PNG.match(parts[2]):
        limit = MAX_EXAMPLE_BYTES
    elif len(parts) == 3 and parts[0] == MODELS and version_number(parts[1]) is not None:
        limit = {MODEL_FILE: MAX_FILE_BYTES, RECORD_FILE: _JSON_BYTES}.get(parts[2])
    if limit is None:
        return "not part of a project's layout (project.json, drawings/<class>/<id>.png, models/<version>/...)"
    if size > limit:
        return f"declares {size:,} bytes, more than such a file may have ({limit:,})"
    return None


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, where: str) -> None:
    """Stream one member into a new file, at most its declared size, checking its CRC on the way (zipfile
    alone misses a member that inflates past its declared size)."""
    crc, size = 0, 0
    try:
        with archive.open(info) as member, open(target, "xb") as out:
            while chunk := member.read(min(_CHUNK, info.file_size - size + 1)):
                size += len(chunk)
                if size > info.file_size:
                    break
                crc = zlib.crc32(chunk, crc)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except zipfile.BadZipFile as error:
        raise ProjectError(at(where, f"damaged ({describe_error(error)}); nothing imported")) from None
    except (NotImplementedError, RuntimeError, ValueError, EOFError) as error:
        raise ProjectError(at(where, f"cannot be read ({describe_error(error)}); nothing imported")) from None
    if size != info.file_size or crc != info.CRC:
        raise ProjectError(at(where, "data does not match its declared size or checksum; nothing imported"))


def _check(archive_path: Path, temp: Path) -> None:
    """The unpacked project must read as one: its project.json, and every version's model hashing to
    what its record says. Problems name the member in the zip, not the temp folder."""
    try:
        read_manifest(temp)
        models = temp / MODELS
        for version in version_names(models):
            record = read_record(models, version)
            model = models / version / MODEL_FILE
            if not model.is_file():
                raise ProjectError(at(f"{MODELS}/{version}", f"has a record but no {MODEL_FILE}"))
            if record.get("model_sha256") != _sha256(model):
                raise ProjectError(at(f"{MODELS}/{version}/{MODEL_FILE}",
                                      f"does not have the sha256 its record gives ({shown(record.get('model_sha256'))})"))
            if not (models / version / RECORD_FILE).is_file():
                raise ProjectError(at(f"{MODELS}/{version}", f"has no {RECORD_FILE}"))
        for orphan in models.glob(f"*/{MODEL_FILE}") if models.is_dir() else ():
            if not (orphan.parent / RECORD_FILE).is_file():
                raise ProjectError(at(f"{MODELS}/{orphan.parent.name}", f"has a model but no {RECORD_FILE}"))
    except CnnDesktopError as error:
        text = str(error).replace(f"{temp}{os.sep}", "").replace(str(temp), PROJECT_FILE)
        raise ProjectError(at(archive_path, f"{text}; nothing imported")) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entries(folder: Path) -> list[Path]:
    try:
        return [Path(entry.path) for entry in os.scandir(folder) if not entry.name.startswith(".")]
    except FileNotFoundError:
        return []
    except OSError as error:
        raise ProjectError(at(folder, f"cannot list ({describe_error(error)})")) from None
