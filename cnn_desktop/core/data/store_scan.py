"""Reading a collection's class folders: which files are examples, and what is wrong with the others.

``DrawingStore`` decides where files go and how changes are made durable; this module only looks. A
``FolderScanner`` lists class folders and gives each file a verdict (None: an example; else why it is
left out), and remembers each verdict while the file's inode, size and times stay the same, so that
listing the collection again (after every drawing added) costs one stat per file, not one read.
"""

from __future__ import annotations

import bisect
import heapq
import os
import stat
import time
from pathlib import Path
from typing import Sequence

from cnn_desktop.core.errors import at, describe_error
from cnn_desktop.core.data.example_png import example_problems, png_frame_problem
from cnn_desktop.core.data.readers import FILE, FOLDER, entry_kind, links_back, not_regular
from cnn_desktop.core.data.store_index import Listings, load_listings, save_listings

_UNCHECKED = object()  # no verdict on decoding yet, only on the header and end
# A file changed within the last seconds may change again without its times moving (they are only as
# fine as the kernel's clock tick): its verdict is not kept until it has settled.
SETTLED_NS = 2_000_000_000
# Listings are saved for the next opening (store_index) once this many names were learnt: reading that
# many files again would take a noticeable ~0.1 s, and saving 60,000 names takes ~30 ms.
SAVE_AFTER = 1000


class FolderScanner:
    """Lists the class folders of the collection at ``root``, keeping each file's verdict (see above)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # path -> ((inode, size, mtime, ctime), frame verdict, decode verdict or _UNCHECKED)
        self._checked: dict[str, tuple[tuple[int, int, int, int], str | None, object]] = {}

    def scan(self, labels: Sequence[str], deep: bool, everything: bool) -> tuple[dict[str, tuple[str, str]], list[str]]:
        """The examples in these class folders, {id: (label, path)}, and one line for each file left
        out. ``deep``: only drawings that decode (``example_problems``), else only the header and end
        are checked. ``everything``: ``labels`` are all the classes, so verdicts of files not seen are
        forgotten. (Tuples, not Examples: counting after each label key builds no objects.)"""
        skipped: list[str] = []
        found: dict[str, tuple[str, str]] = {}
        seen: set[str] = set()
        now = time.time_ns()
        for label in labels:
            folder = self.root / label
            problem = self.folder_problem(folder)
            if problem is not None:
                skipped.append(at(folder, problem))
                continue
            try:
                entries = list(os.scandir(folder))
            except FileNotFoundError:
                continue  # a class nothing was added to yet has no folder
            except OSError as error:
                skipped.append(at(folder, f"cannot list ({describe_error(error)}); its drawings are left out"))
                continue
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue  # our temp files, .DS_Store...
                if name.endswith(".png"):
                    seen.add(entry.path)
                problem = self.entry_problem(entry, now, deep)
                example_id = id_of(name[: -len(".png")])
                if problem is None and example_id in found:
                    problem = f"same id as {found[example_id][1]}; ignored"
                if problem is not None:
                    skipped.append(at(entry.path, problem))
                    continue
                found[example_id] = (label, entry.path)
        if everything and len(seen) < len(self._checked):  # forget files that are gone
            self._checked = {path: value for path, value in self._checked.items() if path in seen}
        return found, skipped

    def seed(self, decoded: dict[str, tuple[int, int, int, int]]) -> None:
        """Files known to decode while their (inode, size, mtime, ctime) stay these (``store_inputs``):
        a scan then checks them with a stat, without reading them."""
        for path, signature in decoded.items():
            self._checked.setdefault(path, (signature, None, None))

    def signature_of(self, path: str) -> tuple[int, int, int, int] | None:
        """The signature the last scan saw for this file, if its verdict is kept (it had settled)."""
        cached = self._checked.get(path)
        return cached[0] if cached is not None else None

    def entry_problem(self, entry: os.DirEntry, now: int, deep: bool = True) -> str | None:
        """What is wrong with this entry of a class folder as an example (None: nothing)."""
        kind = entry_kind(entry)
        if kind != FILE:
            return "a folder inside a class; ignored" if kind == FOLDER else kind
        if not entry.name.endswith(".png"):
            return "not a drawing (not .png); ignored"
        return self._verdict(entry, deep, now)

    def _verdict(self, entry: os.DirEntry, deep: bool, now: int) -> str | None:
        """What is wrong with this example file (None: nothing), remembered while the file stays the same."""
        try:
            info = entry.stat()
        except OSError as error:
            return f"cannot read ({describe_error(error)})"
        signature = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        cached = self._checked.get(entry.path)
        if cached is not None and cached[0] == signature and (not deep or cached[2] is not _UNCHECKED):
            return cached[2] if deep else cached[1]
        path = Path(entry.path)
        if deep:
            frame, decoded = example_problems(path)
        else:
            frame = png_frame_problem(path)
            decoded = _UNCHECKED if frame is None else frame
        if now - info.st_ctime_ns > SETTLED_NS:
            self._checked[entry.path] = (signature, frame, decoded)
        return decoded if deep else frame

    def folder_problem(self, folder: Path) -> str | None:
        """Why a class folder is not read: a link back to the collection or above it, a loop, a file."""
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            return None  # no drawings yet
        except OSError as error:
            return f"cannot read ({describe_error(error)}); its drawings are left out"
        if stat.S_ISDIR(info.st_mode):
            return None
        if not stat.S_ISLNK(info.st_mode):
            return f"{not_regular(info.st_mode).replace('regular file', 'folder')}; ignored" \
                if not stat.S_ISREG(info.st_mode) else "a file, not a class folder; ignored"
        try:
            target = os.stat(folder).st_mode
        except FileNotFoundError:
            return "a broken link; ignored"
        except OSError as error:
            return f"cannot read ({describe_error(error)}); ignored"
        if not stat.S_ISDIR(target):
            return "a link to something that is not a folder; ignored"
        if links_back(folder, self.root):
            return f"a link to {' '.join(os.readlink(folder).split())}, back to the collection or above it; ignored"
        return None


def id_of(stem: str) -> str:
    """An example's id: its file name without ".png" when that is text (it always is for the ids the
    store makes, and for "a:b" or a 150-character name); a name that is not valid UTF-8 (surrogate
    escapes) would make an id that cannot be printed or passed through Qt, so it becomes "/" and its
    bytes in hex: "/" is never in a file name, so no real name can be taken for it."""
    try:
        stem.encode("utf-8")
        return stem
    except UnicodeEncodeError:
        return "/" + os.fsencode(stem).hex()


def stem_of(example_id: object) -> str | None:
    """The file name (without ".png") of the example with this id, or None when no file can have it."""
    if not isinstance(example_id, str):
        return None
    if example_id.startswith("/"):
        try:
            stem = os.fsdecode(bytes.fromhex(example_id[1:]))
        except ValueError:
            return None
        return stem if id_of(stem) == example_id and "/" not in stem and "\0" not in stem and stem else None
    try:
        example_id.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if not example_id or "/" in example_id or "\0" in example_id or example_id.startswith("."):
        return None
    return example_id


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
            settled = now - signature[1] > SETTLED_NS
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
