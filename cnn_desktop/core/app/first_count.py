"""The first count of a large project, off the window's thread.

Counting a collection checks each drawing once (a file that cannot be read must not be counted), and
keeps what it learnt in the class folders' saved listing (core/data/store_index.py), so that later
openings read nothing. The first opening of a project of tens of thousands of drawings has no such
listing, and checking them all took 6 s on the window's thread before the window could appear. So
when a project has no saved listing and more than ``BACKGROUND_ABOVE`` entries, a thread of its own
counts it with a store of its own and saves the listing; the window shows at once, says the counts
are coming, and then counts from the saved listing in milliseconds. Small projects are counted at
once, as before: their first count is quicker than a thread's start.

The count keeps what it decoded in the inputs cache (``DrawingStore.first_count``): checking a drawing
is all of decoding it but undoing its row filters, which numpy does for all of them at once, so the
first Train reads no file. (A thread that went on to decode every drawing after the count, reading
each file again, made things worse: it competed with the label keys (p95 8.8 -> 14.4 ms, max 327 ms)
and with a Train that came before it had finished (first step 8.5 -> 15.2 s).)
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable, Sequence

from cnn_desktop.core.app.messages import DrawingsCounted
from cnn_desktop.core.data.store_index import INDEX_NAME

# Entries in the class folders above which a first count goes to a thread. At about 0.1 ms per file
# checked, 5,000 drawings are half a second on the window's thread: the most a first opening may cost.
BACKGROUND_ABOVE = 5000


def wants_background(root: Path, class_ids: Sequence[str], above: int | None = None) -> bool:
    """Whether the first count of this collection is long: no saved listing, and many entries. Costs
    one listing of names per class folder (no stat, no read): ~30 ms for 60,000."""
    limit = BACKGROUND_ABOVE if above is None else above
    if (root / INDEX_NAME).exists():
        return False  # later counts read the saved listing: only folders changed since are listed
    entries = 0
    for class_id in class_ids:
        try:
            with os.scandir(root / class_id) as found:
                entries += sum(1 for _ in found)
        except OSError:
            continue  # missing or unreadable: the count itself says so
        if entries > limit:
            return True
    return False


def count_in_background(root: Path, class_ids: Sequence[str], deliver: Callable[[object], None]) -> threading.Thread:
    """Count the collection with a store of its own (which saves the listing), then ``deliver`` a
    ``DrawingsCounted`` for the window's thread, whatever happened: a failure is found again, and said,
    by the count that follows on that thread."""
    from cnn_desktop.core.data.store import DrawingStore

    def count() -> None:
        try:
            DrawingStore(root, tuple(class_ids)).first_count()
        except Exception:  # noqa: BLE001 - the window's own count will meet the same problem and say it
            pass
        deliver(DrawingsCounted(root))

    thread = threading.Thread(target=count, name="cnn-desktop-first-count", daemon=True)
    thread.start()
    return thread
