"""Two networks trained side by side: the comparison's own compute thread, Qt-free.

It is not the main Engine: that one keeps serving the main window (its model, its live prediction)
while this one trains A and B. Like the Engine it owns its models with no lock around the weights, takes
commands in order, answers only the newest drawing, and reports frozen messages
(comparison_messages.py) through ``emit``.

Both networks train "at once" by taking turns, one optimiser step each, in this one thread. On the
two-core laptops this app is made for, two training threads would fight each other and the window for
the cores (torch's OpenMP teams spin while they wait: see core/training/threads.py), and neither would
finish sooner; one thread alternating keeps one core for the window and moves both curves together, step
for step, which is what a side-by-side comparison wants to show.

What makes the comparison fair: the same drawings, the same train/validation split (the trainer's own
``split_indices`` with one fraction and one seed for both), the same seed for the shuffling, the
augmentation and fresh weights. Only the networks, or their own settings (epochs, learning rate),
differ. Nothing is chosen on the held-out drawings (no early stopping, no best epoch), so the figures
reported on them are honest for both.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from cnn_desktop.core.app.comparison_messages import (
    BothPredictions, ComparisonCommand, ComparisonEpoch, ComparisonError, ComparisonSaved, ComparisonStarted,
    ComparisonState, ComparisonSteps, Contender, Disagreement, Disagreements, PredictBoth, SideStarted,
    StartComparison, StopComparison,
)
from cnn_desktop.core.data.datasets import Dataset, load_dataset
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.errors import CnnDesktopError, EmptyDrawingError
from cnn_desktop.core.network.checkpoint import load_model, save_model
from cnn_desktop.core.network.model import CNN, build_model, predict_proba
from cnn_desktop.core.training.runs import run_info
from cnn_desktop.core.training.trainer import EpochInfo, StepInfo, Trainer, split_indices

STEP_REPORT_SECONDS = 0.1  # as the Engine: the curves cannot show more than a few updates a second
REFRESH_SECONDS = 0.25  # the drawing on screen is re-classified this often while the weights change
MIN_STEPS_PER_EPOCH = 4  # a small collection still gets a few steps an epoch (its batches are cut smaller)
_IDLE_WAIT_SECONDS = 1.0


@dataclass
class _Side:
    """One network being trained, and what it has not reported yet."""

    contender: Contender
    model: CNN
    trainer: Trainer
    unreported: list[StepInfo] = field(default_factory=list)
    last_report: float = 0.0
    failed: str = ""  # why it stopped early (diverged); "" when it did not

    @property
    def done(self) -> bool:
        return self.trainer.finished


class Comparison:
    """The loop that trains A and B; ``run`` in a thread of its own (``ComparisonThread``)."""

    def __init__(self, emit: Callable[[object], None], step_report_seconds: float = STEP_REPORT_SECONDS):
        self._emit = emit
        self._step_report_seconds = step_report_seconds
        self._commands: deque[ComparisonCommand] = deque()
        self._latest_request: PredictBoth | None = None
        self._lock = threading.Lock()  # guards only the two inboxes, never the models
        self._wake = threading.Event()
        self._shutdown = threading.Event()
        self.sides: list[_Side] = []
        self.classes: tuple[str, ...] = ()
        self._data: Dataset | None = None
        self._val: np.ndarray = np.zeros(0, np.int64)
        self._save_to = None
        self._turn = 0
        self._shown: PredictBoth | None = None
        self._last_refresh = 0.0
        self.state = "idle"

    # --- called from any thread ---

    def submit(self, command: ComparisonCommand) -> None:
        with self._lock:
            if isinstance(command, PredictBoth):
                self._latest_request = command
            else:
                self._commands.append(command)
        self._wake.set()

    def request_shutdown(self) -> None:
        """Leave ``run`` after the step in progress; nothing trained is saved."""
        self._shutdown.set()
        for side in list(self.sides):
            side.trainer.stop()
        self._wake.set()

    # --- its own thread ---

    def run(self) -> None:
        while not self._shutdown.is_set():
            self._wake.clear()  # before looking for work, so a submit() in between is not lost
            if not self.run_once():
                self._wake.wait(_IDLE_WAIT_SECONDS)

    def run_once(self) -> bool:
        """One turn: the commands, the newest drawing, then one step of the side whose turn it is."""
        did_work = False
        while not self._shutdown.is_set() and (command := self._next_command()) is not None:
            self._guarded(self._handle, command)
            did_work = True
        with self._lock:
            request, self._latest_request = self._latest_request, None
        if request is not None:
            self._guarded(self._predict, request)
            did_work = True
        if self.state == "running" and not self._shutdown.is_set():
            self._guarded(self._step)
            did_work = True
        return did_work

    def _next_command(self) -> ComparisonCommand | None:
        with self._lock:
            return self._commands.popleft() if self._commands else None

    def _guarded(self, action: Callable, *args) -> None:
        """A problem becomes a message and the loop goes on: a dead thread would leave the window waiting."""
        try:
            action(*args)
        except CnnDesktopError as error:
            self._fail(str(error))
        except Exception as error:  # noqa: BLE001 - reported, not swallowed
            self._fail(f"internal error: {type(error).__name__}: {error}")

    def _fail(self, line: str) -> None:
        if self.state == "running":
            self.state = "failed"
            self._emit(ComparisonState("failed", line))
        else:
            self._emit(ComparisonError(line))

    def _handle(self, command: ComparisonCommand) -> None:
        if isinstance(command, StartComparison):
            self._start(command)
        elif isinstance(command, StopComparison):
            self._stop()

    # --- starting ---

    def _start(self, command: StartComparison) -> None:
        if self.state == "running":
            self._emit(ComparisonError("already comparing: stop it first"))
            return
        data = command.data
        if not isinstance(data, Dataset):
            data = load_dataset(data, command.labels or command.classes)
        images, labels = data.images, data.labels
        train_idx, val_idx = split_indices(labels, command.validation_fraction, command.seed)
        sides = []
        for contender in (command.a, command.b):
            config = replace(contender.config, seed=command.seed, validation_fraction=command.validation_fraction,
                             batch_size=_batch_size(contender.config.batch_size, len(train_idx)))
            model = self._starting_model(contender, command.classes, command.seed)
            trainer = Trainer(model, images, labels, config)
            sides.append(_Side(replace(contender, config=config), model, trainer))
        for index, side in enumerate(sides):  # callbacks know their side
            side.trainer.on_step_end = lambda info, i=index: self._step_ended(i, info)
            side.trainer.on_epoch_end = lambda info, i=index: self._epoch_ended(i, info)
        self.sides, self.classes, self._data, self._val = sides, tuple(command.classes), data, val_idx
        self._save_to, self._turn, self.state = command.save_to, 0, "running"
        counts = tuple(int(np.sum(labels[val_idx] == c)) for c in range(len(self.classes)))
        self._emit(ComparisonStarted(
            self.classes, len(train_idx), len(val_idx), counts, val_idx.copy(),
            tuple(SideStarted(s.contender.label, s.model.spec, s.contender.config, s.model.parameter_count(),
                              s.trainer.total_steps, s.trainer.steps_per_epoch) for s in sides)))
        self._emit(ComparisonState("running"))
        self._refresh()

    def _starting_model(self, contender: Contender, classes: tuple[str, ...], seed: int) -> CNN:
        if contender.start is None:
            if tuple(contender.spec.classes) != tuple(classes):
                contender = replace(contender, spec=contender.spec.with_classes(tuple(classes)))
            return build_model(contender.spec, seed=seed)
        saved = load_model(contender.start)  # ModelFileError names the file
        model = saved.model
        if len(model.classes) != len(classes):
            raise CnnDesktopError(f"{contender.start}: made for {len(model.classes)} classes, not the "
                                  f"{len(classes)} compared; train it for today's classes first")
        if tuple(model.classes) != tuple(classes):  # a class renamed since: same outputs, today's names
            from cnn_desktop.core.projects.transfer import relabelled

            model = relabelled(model, classes)
        return model

    # --- training, one step of one side per turn ---

    def _step(self) -> None:
        live = [i for i, side in enumerate(self.sides) if not side.done]
        if not live:
            self._finish()
            return
        index = next((i for i in live if i >= self._turn), live[0])
        self._turn = (index + 1) % len(self.sides)
        side = self.sides[index]
        try:
            side.trainer.step()
        except CnnDesktopError as error:  # diverged: the trainer rolled its weights back; the other goes on
            side.failed = str(error)
            self._report(index)
            self._emit(ComparisonError(f"{'AB'[index]}: {error}"))
        if all(s.done for s in self.sides):
            self._finish()
        elif time.monotonic() - self._last_refresh > REFRESH_SECONDS:
            self._refresh()

    def _step_ended(self, index: int, info: StepInfo) -> None:
        side = self.sides[index]
        side.unreported.append(info)
        if time.monotonic() - side.last_report >= self._step_report_seconds:
            self._report(index)

    def _report(self, index: int) -> None:
        side = self.sides[index]
        if side.unreported:
            self._emit(ComparisonSteps(index, tuple(side.unreported)))
            side.unreported = []
        side.last_report = time.monotonic()

    def _epoch_ended(self, index: int, info: EpochInfo) -> None:
        self._report(index)
        self._emit(ComparisonEpoch(index, info, self.per_class(index)))

    def per_class(self, index: int) -> tuple[float | None, ...]:
        """Side ``index``'s accuracy on each class's held-out drawings (None: the class has none)."""
        guesses = self._guesses(index)
        truth = self._data.labels[self._val]
        out = []
        for c in range(len(self.classes)):
            members = truth == c
            out.append(float(np.mean(guesses[members] == c)) if members.any() else None)
        return tuple(out)

    def _guesses(self, index: int) -> np.ndarray:
        images = self._data.images[self._val]
        if len(images) == 0:
            return np.zeros(0, np.int64)
        return predict_proba(self.sides[index].model, images).argmax(1)

    # --- the end: stopped or finished ---

    def _stop(self) -> None:
        if self.state != "running":
            return
        for side in self.sides:
            side.trainer.stop()
        self._end("stopped", "Stopped: nothing kept.")

    def _finish(self) -> None:
        failed = [f"{'AB'[i]} failed" for i, s in enumerate(self.sides) if s.failed]
        kept = self._save() if self._save_to is not None else []
        line = "Both trained." if not failed else f"Trained; {', '.join(failed)} (see above)."
        if self._save_to is not None:
            line += f" {' and '.join(kept) or 'Nothing'} kept as new version{'s' if len(kept) > 1 else ''}."
        self._end("finished", line)

    def _save(self) -> list[str]:
        """Save each side that trained to its end where the window asked; it keeps them as versions."""
        kept = []
        for index, (side, path) in enumerate(zip(self.sides, self._save_to)):
            if side.failed:
                continue
            info = run_info(side.trainer, data=self._data.source, examples=len(self._data),
                            init=side.contender.label if side.contender.start is not None else None,
                            from_scratch=side.contender.start is None,
                            compared_as=f"{'AB'[index]}: {side.contender.label}")
            save_model(path, side.model, [e.to_dict() for e in side.trainer.history], info)
            self._emit(ComparisonSaved(index, path))
            kept.append("AB"[index])
        return kept

    def _end(self, state: str, line: str) -> None:
        for index in range(len(self.sides)):
            self._report(index)
            self.sides[index].model.eval()
        self.state = state
        self._emit(self.disagreements())
        self._refresh()
        self._emit(ComparisonState(state, line))

    def disagreements(self) -> Disagreements:
        """The held-out drawings the two networks classify differently, with both guesses."""
        truth = self._data.labels[self._val]
        a, b = self._guesses(0), self._guesses(1)
        items = tuple(Disagreement(int(self._val[k]), int(truth[k]), int(a[k]), int(b[k]),
                                   self._data.images[self._val[k]].copy())
                      for k in np.flatnonzero(a != b))
        return Disagreements(self.classes, items, len(self._val), (int(np.sum(a == truth)), int(np.sum(b == truth))))

    # --- the drawing on screen ---

    def _refresh(self) -> None:
        self._last_refresh = time.monotonic()
        if self._shown is not None:
            self._predict(self._shown)

    def _predict(self, request: PredictBoth) -> None:
        self._shown = request
        try:
            image = preprocess(request.drawing)
        except EmptyDrawingError:
            image = None
        if image is None or not self.sides:
            self._emit(BothPredictions(request.request_id, self.classes, image, None, None))
            return
        a, b = (predict_proba(side.model, image).copy() for side in self.sides)
        self._emit(BothPredictions(request.request_id, self.classes, image, a, b))


def _batch_size(wanted: int, train_size: int) -> int:
    """The settings' batch size, cut down so that an epoch of a small collection has a few steps."""
    return max(1, min(wanted, train_size // MIN_STEPS_PER_EPOCH or 1))


class ComparisonThread:
    """A ``Comparison`` in a daemon thread of its own: ``submit`` never blocks, ``shutdown`` waits with a
    deadline (the window closes within a second, even mid-step)."""

    def __init__(self, emit: Callable[[object], None], step_report_seconds: float = STEP_REPORT_SECONDS):
        self.comparison = Comparison(emit, step_report_seconds)
        self._thread = threading.Thread(target=self.comparison.run, name="cnn-desktop-compare", daemon=True)
        self._thread.start()

    def submit(self, command: ComparisonCommand) -> None:
        self.comparison.submit(command)

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Stop training and wait for the thread; True if it ended in time."""
        self.comparison.request_shutdown()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()
