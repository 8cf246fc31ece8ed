"""A project's models: ``models/<version>/`` folders, immutable once written, and ``models/current``.

Exact layout::

    models/v0001/model.safetensors   the model file (checkpoint.py's format, readable on its own)
    models/v0001/record.json         why and how it was made (see ``make_record``)
    models/current                   the current version's name and a newline; absent: none yet

Names are "v" and at least four digits, so that they sort as text in every file manager. A version
folder is written complete under a hidden temp name (".v0001.<8 hex>.tmp") and renamed into place, so
a reader or a crash sees all of it or none of it; a name that exists is never written again. Only the
project's writer (who holds its lock) writes here, so any temp folder it finds is a crashed write's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from cnn_desktop.core.atomic import TEMP_NAME, fsync_folder, write_atomically
from cnn_desktop.core.errors import at, shown
from cnn_desktop.core.projects.lock import ProjectError

MODELS = "models"
MODEL_FILE = "model.safetensors"
RECORD_FILE = "record.json"
CURRENT_FILE = "current"
RECORD_FORMAT = "cnn-desktop-model-record"
RECORD_VERSION = 1
VERSION_NAME = re.compile(r"^v(\d{4,9})$")
# Why a version exists. A fixed list, so that other tools (and the versions list) can rely on it.
# "start" is a new project's first network (its ``note`` says which start: the digits model's layers or
# none); "network changed" is a new design's fresh weights (core/app/network_editing.py); "quick fix"
# is a few seconds' fine-tune on a person's corrections (core/app/quick_fix.py); a record's optional
# ``note`` says in words what the reason alone does not.
REASONS = ("bundled", "trained", "stopped early", "imported", "migrated", "classes changed", "start",
           "network changed", "quick fix")


def version_name(number: int) -> str:
    return f"v{number:04d}"


def version_number(name: object) -> int | None:
    match = VERSION_NAME.match(name) if isinstance(name, str) else None
    return int(match.group(1)) if match else None


def version_names(models: Path) -> list[str]:
    """Every written version, oldest first (by number, so v10000 follows v9999)."""
    try:
        names = [e.name for e in os.scandir(models) if version_number(e.name) is not None and e.is_dir()]
    except FileNotFoundError:
        return []
    except OSError as error:
        raise ProjectError(at(models, f"cannot list the models ({error.strerror or error})")) from None
    return sorted(names, key=version_number)


def next_version_name(models: Path) -> str:
    names = version_names(models)
    return version_name(version_number(names[-1]) + 1 if names else 1)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def validation_record(history: Sequence[dict[str, Any]], info: dict[str, Any]) -> dict[str, Any] | None:
    """How the version's accuracy was measured, and the figure. A run on few drawings measures it by
    k-fold cross-validation after training, or not at all (``info["validation"]``, from
    core/training/run_plan.py); a run with a held-out split has its last epoch's figures. None: unknown."""
    measured = info.get("validation")
    if isinstance(measured, dict) and measured.get("method") in ("kfold", "none"):
        return dict(measured)
    last = history[-1] if history else {}
    if last.get("val_accuracy") is None:
        return None
    return {"method": "holdout", "loss": last.get("val_loss"), "accuracy": last.get("val_accuracy")}


def make_record(name: str, reason: str, parent: str | None, classes: Sequence[dict[str, str]],
                network: dict[str, Any], history: Sequence[dict[str, Any]], info: dict[str, Any],
                held_out_ids: Sequence[str] | None, model_bytes: bytes,
                source: dict[str, Any] | None = None, note: str | None = None) -> dict[str, Any]:
    """What record.json holds. Figures come from the model's own history and info (as the trainer and
    the engine write them); what is unknown is null, never guessed."""
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {REASONS}, not {reason!r}")
    return {
        "format": RECORD_FORMAT,
        "format_version": RECORD_VERSION,
        "version": name,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "reason": reason,
        "parent": parent,
        "classes": [dict(c) for c in classes],  # {"id", "name"} in output order, as when it was made
        "network": network,
        "settings": info.get("config"),
        "data": {key: info.get(key) for key in ("examples", "train_size", "val_size")},
        "epochs": len(history),
        "validation": validation_record(history, info),
        "held_out_ids": None if held_out_ids is None else sorted(held_out_ids),
        "model_sha256": sha256(model_bytes),
        "source": source,
        "note": note,
    }


def write_version(models: Path, name: str, model_bytes: bytes, record: dict[str, Any]) -> Path:
    """Write ``models/<name>/`` complete, or nothing; a version that exists is an error."""
    final = models / name
    if version_number(name) is None:
        raise ProjectError(at(models, f"bad version name {shown(name)} (expected v0001, v0002, ...)"))
    if os.path.lexists(final):
        raise ProjectError(at(final, "already exists; a version is never overwritten"))
    temp = models / f".{name}.{secrets.token_hex(4)}.tmp"
    try:
        models.mkdir(exist_ok=True)
        temp.mkdir()
        write_atomically(temp / MODEL_FILE, model_bytes, sync_folder=False)
        text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
        write_atomically(temp / RECORD_FILE, text.encode("utf-8"), sync_folder=False)
        fsync_folder(temp)
        if os.path.lexists(final):  # checked again: POSIX would rename onto an empty folder
            raise FileExistsError(f"{final} exists")
        os.rename(temp, final)
        fsync_folder(models)
    except OSError as error:
        shutil.rmtree(temp, ignore_errors=True)
        if isinstance(error, FileExistsError) and os.path.lexists(final):
            raise ProjectError(at(final, "already exists; a version is never overwritten")) from None
        raise ProjectError(at(final, f"cannot write this version ({error.strerror or error})")) from None
    return final


def read_record(models: Path, name: str) -> dict[str, Any]:
    path = models / name / RECORD_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(at(models / name, "no such version")) from None
    except (OSError, ValueError, RecursionError) as error:
        raise ProjectError(at(path, f"unreadable ({getattr(error, 'strerror', None) or error})")) from None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        raise ProjectError(at(path, f"not a version record (expected \"format\": \"{RECORD_FORMAT}\")"))
    if not isinstance(record.get("format_version"), int) or record["format_version"] > RECORD_VERSION:
        raise ProjectError(at(path, f"record format {shown(record.get('format_version'))}; "
                                    f"this app reads {RECORD_VERSION}"))
    classes = record.get("classes")
    if not isinstance(classes, list) or not all(isinstance(c, dict) and isinstance(c.get("id"), str)
                                                and isinstance(c.get("name"), str) for c in classes):
        raise ProjectError(at(path, "malformed \"classes\" (expected a list of {\"id\", \"name\"})"))
    return record


def read_current(models: Path) -> str | None:
    """The current version's name, or None when there is none (no file, or one naming nothing)."""
    try:
        text = (models / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ProjectError(at(models / CURRENT_FILE, f"unreadable ({getattr(error, 'strerror', None) or error})")) from None
    if version_number(text) is None or not (models / text).is_dir():
        return None  # written by hand, or naming a version deleted by hand: as if none were current
    return text


def write_current(models: Path, name: str) -> None:
    try:
        write_atomically(models / CURRENT_FILE, f"{name}\n".encode("ascii"))
    except OSError as error:
        raise ProjectError(at(models / CURRENT_FILE, f"cannot write ({error.strerror or error})")) from None


def remove_unfinished_versions(models: Path) -> None:
    """Delete the temp folders and files of writes that crashed (the caller holds the project's lock)."""
    try:
        names = [name for name in os.listdir(models) if TEMP_NAME.match(name)]
    except OSError:
        return
    for name in names:
        path = models / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                path.unlink()
            except OSError:
                pass
