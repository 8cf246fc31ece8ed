"""The session's counts of the mode's drawings: counted again after every change, and a large project's
first count done in a thread of its own (core/app/first_count.py). Part of the Session, kept apart to
be read on its own."""

from __future__ import annotations

from cnn_desktop.core.app.messages import DrawingsCounted
from cnn_desktop.core.errors import CnnDesktopError


class Counting:
    """Mixed into ``Session``: uses its task, store, signals and ``_deliver``."""

    def refresh_counts(self) -> None:
        """Re-count the collection (after a label, a delete, a relabel or an import), by display name."""
        if self.store is None or self._counting == self.store.root:
            return  # a first count runs in a thread; its end counts again (``_counted``)
        try:
            by_id = self.store.counts()
        except CnnDesktopError as error:  # a read-only project whose folder would need tidying first
            self.problem.emit(str(error))
            return
        self.counts_changed.emit({name: by_id.get(cid, 0) for name, cid in zip(self.task.classes, self.task.class_ids)})
        skipped = tuple(self.store.skipped)  # the scan behind counts() found them: every skip is shown
        if skipped != self._skipped:
            self._skipped = skipped
            self.skipped_changed.emit(skipped)

    def _count_first(self) -> None:
        """The first count of the mode's drawings: at once, or for a large project that was never
        counted, in a thread (core/app/first_count.py), the counts following when it is done."""
        from cnn_desktop.core.app.first_count import count_in_background, wants_background

        self._counting = None
        store = self.store
        if (store is not None and self._deliver is not None and not self.read_only
                and wants_background(store.root, self.task.class_ids)):
            self._counting = store.root
            self.status.emit(f"Counting the drawings of {self.task.title}…")
            count_in_background(store.root, self.task.class_ids, self._deliver)
        else:
            self.refresh_counts()

    @property
    def counting(self) -> bool:
        """Whether a first count runs in a thread (counts and the collection come when it is done)."""
        return self._counting is not None

    def _counted(self, message: DrawingsCounted) -> None:
        if self._counting is not None and self._counting == message.root:
            self._counting = None
            self.refresh_counts()

