"""How many examples each class folder holds, kept up to date from the folders' times (``FolderTally``).

Split from ``store_scan`` (which lists folders and judges files) because it is the part that makes a
label key cost the same at 60 drawings and at 60,000.
"""

from __future__ import annotations

import bisect
import heapq
import os
import stat
import time
from pathlib import Path
from typing import Sequence

from cnn_desktop.core.errors import at
from cnn_desktop.core.data import store_scan
from cnn_desktop.core.data.store_index import Listings, load_listings, save_listings
from cnn_desktop.core.data.store_scan import FolderScanner, id_of

# Listings are saved for the next opening (store_index) once this many names were learnt: reading that
# many files again would take a noticeable ~0.1 s, and saving 60,000 names takes ~30 ms.
SAVE_AFTER = 1000


class _Listing:
    """What one class folder held when it was last listed: each visible name's verdict (None: an
    example; else the line saying why it is left out) and the folder's (inode, mtime) then."""

    __slots__ = ("signature", "settled", "verdicts", "left_out", "names")

    def __init__(self, signature: tuple[int, int], settled: bool, verdicts: dict[str, str | None]) -> None:
        self.signature, self.settled, self.verdicts = signature, settled, verdicts
        self.left_out = sum(1 for verdict in verdicts.values() if verdict is not None)
        # The examples' names, sorted: ids sort by creation time, so the newest are at the end.
        self.names = sorted(name for name, verdict in verdicts.items() if verdict is None)


class FolderTally:
    """How many examples each class has, kept up to date without reading every file again.

    Adding, removing or renaming an entry changes its folder's mtime; rewriting a file in place does
    not. So a class folder is listed again only when its (inode, mtime) moved since it was last listed,
    and then only the names not seen before are stat'ed and checked; a label key (``added``) changes
    the count by one. Counting therefore costs one stat per class folder while nothing changes, however
    many drawings there are. Two limits, both of the folder's time stamp, and why they are safe enough:

    * mtimes are only as fine as the kernel's clock tick, so another process adding a file in the same
      tick as ours leaves the time as our add left it. A folder whose mtime is younger than
      ``SETTLED_NS`` is therefore listed once more when it has settled (a names-only listing, compared
      with the names known: about a millisecond per 6,000 drawings).
    * a file rewritten in place, or replaced under the same name, keeps its verdict here until a full scan (``scan``:
      ``arrays()``, which training reads, or ``counts(check=True)``) sees it and calls ``check``. The app never
      rewrites a drawing in place; another tool may, and is then caught at the next full scan.
    """

    def __init__(self, scanner: FolderScanner, keep_on_disk: bool) -> None:
        self._scanner = scanner
        self._listings: dict[str, _Listing] = {}
        self._result: tuple[dict[str, int], list[str]] | None = None  # counts, skipped lines
        self._keep_on_disk = keep_on_disk  # save the listings for the next opening (store_index)
        self._saved: Listings | None = None  # what the last opening saved; read at the first count
        self._unsaved = 0  # names learnt since the listings were last saved

    def _restore(self, label: str) -> _Listing | None:
        """The listing of this folder saved by the last opening, if any: used as it is while the folder
        has not changed since, else as what is known of its names (only new ones are read)."""
        if self._saved is None:
            self._saved = load_listings(self._scanner.root)
        saved = self._saved.pop(label, None)
        if saved is None:
            return None
        self._listings[label] = _Listing(saved[0], True, saved[1])
        self._result = None
        return self._listings[label]

    def _save(self) -> None:
        """Keep the listings on disk once enough was learnt and every folder's time has settled."""
        if not self._keep_on_disk or self._unsaved < SAVE_AFTER or not all(l.settled for l in self._listings.values()):
            return
        try:
            save_listings(self._scanner.root, {label: (listing.signature, listing.verdicts)
                                               for label, listing in self._listings.items()})
        except OSError:
            pass  # a cache: without it the next opening lists the folders again
        self._unsaved = 0

    def counts(self, labels: Sequence[str]) -> tuple[dict[str, int], list[str]]:
        """{label: examples} in ``labels`` order, and one line for each entry left out."""
        now = time.time_ns()
        uncached: list[str] = []  # folders that are links or odd: listed in full every time
        for label in labels:
            folder = self._scanner.root / label
            signature = _plain_folder(folder)
            if signature is None:
                uncached.append(label)
                if self._listings.pop(label, None) is not None:
                    self._result = None
                continue
            listing = self._listings.get(label) or self._restore(label)
            settled = now - signature[1] > store_scan.SETTLED_NS
            if listing is None or listing.signature != signature or (settled and not listing.settled):
                if not self._list(label, folder, signature, settled, listing):
                    uncached.append(label)
        self._save()
        if uncached or self._result is None or list(self._result[0]) != list(labels):
            self._result = self._tally(labels, uncached)
        counts, skipped = self._result
        return dict(counts), list(skipped)

    def added(self, label: str, path: Path, before: tuple[int, int] | None) -> None:
        """The store wrote the example ``path`` into ``label``'s folder, whose signature was ``before``
        just before: if nothing else had changed the folder, count it without listing the folder."""
        listing = self._listings.get(label)
        if listing is None or before is None or listing.signature != before or self._result is None:
            return  # listed (or listed again) at the next count
        after = _plain_folder(path.parent)
        if after is None:
            return
        listing.verdicts[path.name] = None  # written by the store just now: it decodes
        bisect.insort(listing.names, path.name)  # a new id is the largest: this appends
        listing.signature, listing.settled = after, False
        self._result[0][label] = self._result[0].get(label, 0) + 1
        self._unsaved += 1

    def newest(self, labels: Sequence[str], count: int) -> list[tuple[str, str]]:
        """The newest ``count`` examples of these classes as (label, file name), newest first; call
        ``counts`` first. Costs O(classes + count), not O(examples)."""
        tails = []
        for label in labels:
            listing = self._listings.get(label)
            if listing is not None:
                names = listing.names[-count:]
            else:  # a folder listed in full every time (a link, or one that cannot be listed)
                found, _ = self._scanner.scan([label], deep=True, everything=False)
                names = sorted(os.path.basename(path) for _, path in found.values())[-count:]
            tails.append([(name, label) for name in reversed(names)])
        newest, seen = [], set()
        for name, label in heapq.merge(*tails, reverse=True):
            if name not in seen:  # an id in two class folders counts in the first only
                seen.add(name)
                newest.append((label, name))
                if len(newest) == count:
                    break
        return newest

    def signature(self, label: str) -> tuple[int, int] | None:
        return _plain_folder(self._scanner.root / label)

    def check(self, counts: dict[str, int]) -> None:
        """A full scan counted ``counts``: if the tally disagrees (a file changed in place), every
        folder is listed and checked again at the next count."""
        if self._result is not None and self._result[0] != counts:
            self._listings.clear()
            self._result = None
            self._saved = {}  # and what was saved is no more to be trusted than what was kept
            self._unsaved = SAVE_AFTER  # save the listings found next, over the ones saved

    def _list(self, label: str, folder: Path, signature: tuple[int, int], settled: bool,
              old: _Listing | None) -> bool:
        """List the folder again (False: it cannot be listed; a full scan will say why)."""
        try:
            names = [name for name in os.listdir(folder) if not name.startswith(".")]
        except FileNotFoundError:
            names = []
        except OSError:
            self._listings.pop(label, None)
            self._result = None
            return False
        known = old.verdicts if old is not None else {}
        if old is not None and not old.left_out and len(names) == len(known) and known.keys() == set(names):
            old.signature, old.settled = signature, settled  # the same names: nothing changed
            return True
        # A name left out before is looked at again: it may have been caught half-written.
        verdicts = {name: known[name] for name in names if known.get(name, "") is None}
        new = set(names) - verdicts.keys()
        if new:
            now = time.time_ns()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                self._listings.pop(label, None)
                self._result = None
                return False
            for entry in entries:
                if entry.name in new:
                    verdicts[entry.name] = self._scanner.entry_problem(entry, now)
            self._unsaved += len(new)
        self._listings[label] = _Listing(signature, settled, verdicts)
        self._result = None
        return True

    def _tally(self, labels: Sequence[str], uncached: list[str]) -> tuple[dict[str, int], list[str]]:
        """Counts and skipped lines from the listings, in class order; an id in two folders counts in
        the first (as in a full scan)."""
        counts = dict.fromkeys(labels, 0)
        skipped: list[str] = []
        owner: dict[str, str] = {}
        for label in labels:
            folder = self._scanner.root / label
            if label in uncached:
                found, lines = self._scanner.scan([label], deep=True, everything=False)
                skipped += lines
                for example_id, (_, path) in found.items():
                    if example_id in owner:
                        skipped.append(at(path, f"same id as {owner[example_id]}; ignored"))
                    else:
                        owner[example_id] = path
                        counts[label] += 1
                continue
            listing = self._listings.get(label)
            if listing is None:
                continue
            for name, problem in listing.verdicts.items():
                path = os.path.join(folder, name)
                if problem is not None:
                    skipped.append(at(path, problem))
                    continue
                example_id = id_of(name[: -len(".png")])
                if example_id in owner:
                    skipped.append(at(path, f"same id as {owner[example_id]}; ignored"))
                    continue
                owner[example_id] = path
                counts[label] += 1
        return counts, skipped


def _plain_folder(folder: Path) -> tuple[int, int] | None:
    """(inode, mtime) of a class folder that is a plain folder or missing ((0, 0)); None for a link or
    anything else (those are listed in full every time, with what is wrong with them)."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return (0, 0)
    except OSError:
        return None
    return (info.st_ino, info.st_mtime_ns) if stat.S_ISDIR(info.st_mode) else None
