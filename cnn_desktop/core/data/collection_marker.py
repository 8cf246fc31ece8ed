"""The marker file that tells a drawing collection from any other folder, and the names it may list.

``<root>/cnn-desktop-collection.json`` holds {"format": "cnn-desktop-collection", "version": 1,
"classes": [...]}. Without it a folder is never taken for a collection (so a user's own folder is never
adopted), and with it the class order survives classes that have no drawings yet. Class names are
folder names, so they must be usable as one on every platform (``is_safe_name``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Sequence

from cnn_desktop.core.atomic import write_atomically
from cnn_desktop.core.errors import DataError, at, describe_error
from cnn_desktop.core.data.readers import open_regular_file

MARKER_NAME = "cnn-desktop-collection.json"
MARKER_FORMAT = "cnn-desktop-collection"
MARKER_VERSION = 1

# Characters that are path separators or not allowed in file names on some system we run on.
_UNSAFE_CHARS = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_MAX_NAME = 100
_MAX_MARKER_BYTES = 1 << 20  # a marker listing 1,000 classes of 100 characters is 0.1 MiB


def is_safe_name(name: str) -> bool:
    """A name usable as one file or folder name on every platform, and never hidden or special."""
    return (
        bool(name)
        and len(name) <= _MAX_NAME
        and not name.startswith(".")
        and name == name.strip()
        and not _UNSAFE_CHARS.search(name)
    )


def read_marker(root: Path) -> list[str] | None:
    """The classes listed in ``root``'s marker, or None when there is no marker yet."""
    path = root / MARKER_NAME
    if not os.path.lexists(path):
        return None
    try:
        fd = open_regular_file(path)  # never blocks on a FIFO, never reads a device
    except DataError as error:
        raise DataError(at(path, f"unreadable collection marker ({str(error)[len(str(path)) + 2:]})")) from None
    try:
        with os.fdopen(fd, "rb") as file:
            raw = file.read(_MAX_MARKER_BYTES + 1)
        if len(raw) > _MAX_MARKER_BYTES:
            raise ValueError(f"larger than {_MAX_MARKER_BYTES >> 20} MiB")
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError) as error:  # RecursionError: JSON nested too deep
        raise DataError(at(path, f"unreadable collection marker ({describe_error(error)})")) from None
    if not isinstance(data, dict) or data.get("format") != MARKER_FORMAT:
        raise DataError(at(path, f"not a collection marker (expected \"format\": \"{MARKER_FORMAT}\")"))
    version = data.get("version")
    if not isinstance(version, int) or version > MARKER_VERSION:
        raise DataError(at(path, f"collection format version {version!r} is newer than this app "
                                 f"understands ({MARKER_VERSION})"))
    classes = data.get("classes", [])
    if not isinstance(classes, list) or not all(isinstance(c, str) and is_safe_name(c) for c in classes):
        raise DataError(at(path, "malformed \"classes\": expected a list of folder names"))
    return classes


def write_marker(root: Path, classes: Sequence[str]) -> None:
    """Write ``root``'s marker listing ``classes``, atomically; OSError is left to the caller, whose
    policy it is whether failing matters (see ``DrawingStore._update_marker``)."""
    text = json.dumps({"format": MARKER_FORMAT, "version": MARKER_VERSION, "classes": classes}, indent=2)
    write_atomically(root / MARKER_NAME, (text + "\n").encode("utf-8"))
