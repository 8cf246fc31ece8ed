"""The class folders' listings kept on disk between runs, so that opening a large collection lists nothing.

Counting 60,000 drawings the first time means reading every file (is it a drawing that decodes?): about
8 s. ``FolderTally`` keeps what it learnt per class folder (the names that are examples, the ones left
out and why) with the folder's (inode, mtime); this module saves those listings in a hidden file of the
collection folder, ``.cnn-desktop-listing.json``, and gives them back at the next opening for every
folder whose (inode, mtime) is still the same. A folder that changed since is listed again, and only
its new names are read.

It is a cache, never a source of truth: a missing, damaged or foreign file is ignored (everything is
listed as without it); it is written atomically (``write_atomically``) and only by a store that may
write (never in a read-only collection); a copy or a restored backup has other inodes, so its listings
are not used. Only listings whose folder time had settled are saved (see ``store_scan.SETTLED_NS``).
Hidden names are not part of a collection (listings skip them), so the file is invisible to every reader.
"""

from __future__ import annotations

import json
from pathlib import Path

from cnn_desktop.core.atomic import write_atomically

INDEX_NAME = ".cnn-desktop-listing.json"
_FORMAT, _VERSION = "cnn-desktop-listing", 1
_MAX_BYTES = 64 << 20  # 60,000 names are ~2 MB; anything far larger is not ours


Listings = dict[str, tuple[tuple[int, int], dict[str, str | None]]]  # label -> (signature, verdicts)


def load_listings(root: Path) -> Listings:
    """The listings saved in ``root``, {label: ((inode, mtime), {name: None or why left out})}; {} when
    there is no usable file."""
    try:
        with open(root / INDEX_NAME, "rb") as file:
            raw = file.read(_MAX_BYTES + 1)
        data = json.loads(raw) if len(raw) <= _MAX_BYTES else None
        if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("version") != _VERSION:
            return {}
        listings: Listings = {}
        for label, folder in data["folders"].items():
            inode, mtime = folder["signature"]
            verdicts: dict[str, str | None] = dict.fromkeys(folder["names"])
            for name, problem in folder["left_out"].items():
                verdicts[str(name)] = str(problem)
            if isinstance(inode, int) and isinstance(mtime, int) and all(isinstance(n, str) for n in verdicts):
                listings[str(label)] = ((inode, mtime), verdicts)
        return listings
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return {}  # no file, or not one this version wrote: list the folders as without it


def save_listings(root: Path, listings: Listings) -> None:
    """Save these (settled) listings in ``root``; OSError (a full disk) is the caller's to ignore."""
    folders = {
        label: {"signature": list(signature),
                "names": [name for name, verdict in verdicts.items() if verdict is None],
                "left_out": {name: verdict for name, verdict in verdicts.items() if verdict is not None}}
        for label, (signature, verdicts) in listings.items()
    }
    text = json.dumps({"format": _FORMAT, "version": _VERSION, "folders": folders}, separators=(",", ":"))
    write_atomically(root / INDEX_NAME, text.encode("ascii"))  # ensure_ascii: odd names are escaped
