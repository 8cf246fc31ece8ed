"""The compute engine: the one place that owns the model and the optimiser.

It runs in a single thread of its own (the app's worker thread; a test's or benchmark's thread), so no
lock ever guards the weights. Its loop:

1. take the queued commands in order (use a model, start/pause/stop training, save...);
2. answer the newest prediction request, if any (older ones were overwritten: latest wins);
3. when training, run one training step (or one of the k-fold estimate after it: accuracy_check.py), and
   a few times a second re-run the current drawing and send the filters, so they move with the weights;
4. with nothing to do, sleep on an event: an idle engine burns no CPU.

Everything it reports goes through ``emit`` as a message from ``core/app/messages.py``. What the window
looks at (a prediction with its feature maps, the filters, the training timeline and its snapshots)
is built by ``core/app/looking.py``; a run's record and the collection check live in the layers below.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable

from cnn_desktop.core.app.accuracy_check import AccuracyCheck, prepare_run
from cnn_desktop.core.app.looking import Looking
from cnn_desktop.core.app.quick_fix import blend, fix_data
from cnn_desktop.core.app.messages import (
    CollectionEvaluation,
    ModelOrigin,
    Command,
    EngineError,
    EvaluateCollection,
    ModelReady,
    ModelSaved,
    PauseTraining,
    Predict,
    QuickFix,
    ResumeTraining,
    SaveModel,
    ShowSnapshot,
    StartTraining,
    StopTraining,
    TrainingEpoch,
    TrainingStarted,
    TrainingState,
    TrainingSteps,
    UseModel,
)
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.inspection.evaluation import evaluate_collection
from cnn_desktop.core.network.checkpoint import load_model, save_model
from cnn_desktop.core.network.model import CNN, build_model, configure_torch
from cnn_desktop.core.network.summary import summarise
from cnn_desktop.core.training.device import choose_device, step_macs
from cnn_desktop.core.training.runs import run_info
from cnn_desktop.core.training.trainer import EpochInfo, StepInfo, Trainer

# While training, the current drawing's feature maps and the filters are re-sent at this rate: fast
# enough to watch them move, slow enough to cost a few percent of the training time.
REFRESH_SECONDS = 0.25
# Training steps are reported in batches at this interval: the curves and the status line cannot show
# more than a few updates a second anyway, and each message costs the window's thread time (and the GIL).
STEP_REPORT_SECONDS = 0.1
_IDLE_WAIT_SECONDS = 1.0


class Engine:
    def __init__(self, emit: Callable[[object], None], step_report_seconds: float = STEP_REPORT_SECONDS):
        self._emit = emit
        self._step_report_seconds = step_report_seconds
        self._unreported_steps: list[StepInfo] = []
        self._last_step_report = 0.0
        self._commands: deque[Command] = deque()
        self._latest_request: Predict | None = None
        self._lock = threading.Lock()  # guards only the two inboxes above, never the model
        self._wake = threading.Event()
        self._shutdown = threading.Event()
        self.model: CNN | None = None
        self.model_version = 0
        self.history: list[dict[str, Any]] = []
        self.info: dict[str, Any] = {}
        self.label = ""
        self.trainer: Trainer | None = None  # set from the start of a run to its end (estimate included)
        self._check: AccuracyCheck | None = None  # a small collection's k-fold estimate, after training
        self._shown_request: Predict | None = None  # the drawing on screen, re-run as weights change
        self._last_refresh = 0.0
        self._run_facts: dict[str, Any] = {}  # what the current training run records besides the trainer's
        self._blend: tuple[dict, float] | None = None  # a quick fix: the weights it started from, the share kept
        self.looking = Looking()  # the live weights or a snapshot of the last training, on screen
        self._handlers = self._command_handlers()

    # --- called from any thread (the window's) ---

    def submit(self, command: Command) -> None:
        with self._lock:
            if isinstance(command, Predict):
                self._latest_request = command
            else:
                self._commands.append(command)
        self._wake.set()

    def request_shutdown(self) -> None:
        """Finish the queued commands (a last save, say), then leave ``run``; a running training step
        completes first, so this takes at most one step's time after the queue is done."""
        self._shutdown.set()
        for part in (self.trainer, self._check):
            if part is not None:
                part.stop()
        self._wake.set()

    # --- the engine's own thread ---

    def run(self) -> None:
        configure_torch()
        while True:
            self._wake.clear()  # cleared before looking for work, so a submit() in between is not lost
            busy = self.run_once()
            if self._shutdown.is_set() and not self._has_commands():
                return
            if not busy:
                self._wake.wait(_IDLE_WAIT_SECONDS)

    def run_once(self) -> bool:
        """One round of the loop; True when there was work (so the loop should not sleep)."""
        did_work = False
        while (command := self._next_command()) is not None:
            self._guarded(self._handle, command)
            did_work = True
        request = self._take_request()
        if request is not None:
            self._guarded(self._predict, request)
            did_work = True
        if self._training_active():
            self._guarded(self._train_step)
            did_work = True
        return did_work

    # --- inboxes ---

    def _next_command(self) -> Command | None:
        with self._lock:
            return self._commands.popleft() if self._commands else None

    def _has_commands(self) -> bool:
        with self._lock:
            return bool(self._commands)

    def _take_request(self) -> Predict | None:
        with self._lock:
            request, self._latest_request = self._latest_request, None
        return request

    def _guarded(self, action: Callable, *args) -> None:
        """Run an action; a user-caused problem becomes a message, and so does a bug (the engine must
        keep running: a dead compute thread would leave the window silently frozen)."""
        try:
            action(*args)
        except CnnDesktopError as error:
            self._emit(EngineError(str(error)))
        except Exception as error:  # noqa: BLE001 - reported, not swallowed
            self._emit(EngineError(f"internal error: {type(error).__name__}: {error}"))

    # --- commands ---

    def _handle(self, command: Command) -> None:
        self._handlers[type(command)](command)

    def _command_handlers(self) -> dict[type, Callable[[Any], None]]:
        """What each command does: one entry per command type of core/app/messages.py."""
        return {
            UseModel: self._use_model,
            StartTraining: self._start_training,
            QuickFix: self._start_quick_fix,
            PauseTraining: self._pause_training,
            ResumeTraining: self._resume_training,
            StopTraining: lambda _: self._stop_training("stopped"),
            SaveModel: self._save,
            EvaluateCollection: self._evaluate_collection,
            ShowSnapshot: lambda command: self._show_snapshot(command.index),
        }

    def _running_part(self) -> Trainer | AccuracyCheck | None:
        """What a run is doing now: training, or estimating its accuracy afterwards; None when idle."""
        if self._check is not None and self._check.running:
            return self._check
        return self.trainer if self.trainer is not None and not self.trainer.finished else None

    def _pause_training(self, _: PauseTraining) -> None:
        if part := self._running_part():
            part.pause()
            self._report_steps()
            self._emit(TrainingState("paused"))

    def _resume_training(self, _: ResumeTraining) -> None:
        if part := self._running_part():
            part.resume()
            self._emit(TrainingState("running"))

    def _use_model(self, command: UseModel) -> None:
        expected = command.spec.classes if command.spec is not None else None
        if command.path is not None:
            try:
                saved = load_model(command.path, expected_classes=expected)
            except CnnDesktopError as error:
                if command.spec is None or not command.fallback_to_fresh:
                    raise  # reported as an EngineError; the current model stays
                if command.fallback is not None:
                    self._emit(EngineError(f"{error} (starting with the {command.fallback.label} instead)"))
                    self._use_model(command.fallback)
                    return
                self._emit(EngineError(f"{error} (starting with an untrained network instead)"))
            else:
                self._stop_training("stopped")
                self._set_model(
                    saved.model, list(saved.history), dict(saved.info), command.label or command.path.name, command.path
                )
                return
        if command.spec is None:
            raise CnnDesktopError("no model given")
        self._stop_training("stopped")
        self._set_model(build_model(command.spec, seed=0), [], {}, command.label or "untrained network")

    def _set_model(self, model: CNN, history: list, info: dict, label: str, path: Path | None = None) -> None:
        model.eval()
        self.model, self.history, self.info, self.label = model, history, info, label
        self._forget_timeline()
        self._weights_changed()
        origin = ModelOrigin.FILE if path is not None else ModelOrigin.FRESH
        trained = path is not None or bool(history)  # a model file holds trained weights, history or not
        self._emit(ModelReady(model.spec, label, trained, tuple(history), model.parameter_count(), origin, path))

    def _start_training(self, command: StartTraining) -> None:
        if self.model is None:
            raise CnnDesktopError("no model to train")
        if part := self._running_part():
            # Say where it really stands: "running" for a paused run left the window showing Pause
            # (and a running status) while nothing trained.
            self._emit(TrainingState("paused" if part.paused else "running", "already training"))
            return
        # The plan (core/training/run_plan.py): a held-out split only for a collection large enough to
        # judge by one, else every drawing trained on and a k-fold estimate afterwards, or no figure.
        run = prepare_run(command, self.model)
        dataset, model = run.dataset, run.model
        try:
            # The device, checked before anything moves: one that is missing fails the run in one line.
            work = step_macs(summarise(model.spec).totals.macs, run.plan.config.batch_size, training=True)
            device = choose_device(command.device, work)
            trainer = Trainer(model, dataset.images, dataset.labels, run.plan.config,
                              on_step_end=self._step_ended, on_epoch_end=self._epoch_ended, device=device.device)
        except CnnDesktopError as error:
            self._emit(TrainingState("failed", str(error)))
            return
        self._forget_timeline()
        if command.from_scratch:
            self.model, self.history = model, []
            self._weights_changed()
        # What the run records; saved with the model, and read by the next EvaluateCollection.
        self._begin_run(trainer, run.check, {
            "data": str(command.collection),
            "examples": len(dataset),
            "init": None if command.from_scratch else self.label,
            "from_scratch": command.from_scratch,
            "validation": run.plan.record(),  # the k-fold estimate replaces it once it is in
        })
        self._emit(TrainingStarted(trainer.train_size, trainer.val_size, trainer.total_steps, run.plan.config,
                                   run.plan.kind, run.plan.opening_line(trainer.val_size), run.plan.warning,
                                   device.device.type, device.line))
        self._emit(TrainingState("running"))

    def _begin_run(self, trainer: Trainer, check: AccuracyCheck | None, facts: dict[str, Any]) -> None:
        self.trainer, self._check = trainer, check
        self._unreported_steps.clear()
        self._last_step_report = 0.0  # the run's first step is reported at once
        self.looking.snapshots.start(trainer.total_steps)
        self._take_snapshot(0, 0.0, None)
        self._run_facts = facts
        self.info = run_info(trainer, **facts)

    def _start_quick_fix(self, command: QuickFix) -> None:
        """A few dozen steps on the person's corrections mixed with replay drawings (drawn or read here,
        in this thread), then kept like a finished run."""
        if self.model is None:
            raise CnnDesktopError("no model to fine-tune")
        if part := self._running_part():
            self._emit(TrainingState("paused" if part.paused else "running", "already training"))
            return
        plan = command.plan
        images, labels = fix_data(plan, self.model.classes, self.model)
        config = plan.train_config()
        try:
            trainer = Trainer(self.model, images, labels, config,
                              on_step_end=self._step_ended, on_epoch_end=self._epoch_ended)
        except CnnDesktopError as error:
            self._emit(TrainingState("failed", str(error)))
            return
        self._forget_timeline()
        self._blend = ({k: v.detach().clone() for k, v in self.model.state_dict().items()}, plan.blend)
        self._begin_run(trainer, None, {
            "data": f"quick fix: {len(plan.labels)} corrected drawings and {plan.replay_words()}",
            "examples": len(labels),
            "init": self.label,
            "from_scratch": False,
            "quick_fix": {"corrections": len(plan.labels), "replay": plan.replay, "steps": plan.steps,
                          "blend": plan.blend},
            "validation": {"method": "none", "note": "a quick fix: too few drawings to judge by"},
        })
        self._emit(TrainingStarted(trainer.train_size, 0, trainer.total_steps, config, "none", plan.opening_line()))
        self._emit(TrainingState("running"))

    def _training_active(self) -> bool:
        return (part := self._running_part()) is not None and not part.paused

    def _train_step(self) -> None:
        if self._check is not None and self._check.running:  # a small collection's estimate, after training
            if (message := self._check.step()) is not None:
                self._emit(message)
            if not self._check.running:
                self._end_training("finished", self._check.ended.line)
            return
        trainer = self.trainer
        try:
            info = trainer.step()
        except CnnDesktopError as error:  # diverged: the trainer already restored the last good weights
            self._weights_changed()
            self._end_training("failed", str(error))
            return
        self.model_version += 1
        if info is not None and self.looking.snapshots.wants(info.step, trainer.finished):
            self._take_snapshot(info.step, info.step / info.steps_per_epoch, info.loss)
        if trainer.finished and self._check is not None:  # the estimate next; the trained model on screen
            self._report_steps()
            self._refresh()
            self._emit(self._check.begin())
        elif trainer.finished:
            self._end_training("finished")
        elif time.monotonic() - self._last_refresh > REFRESH_SECONDS:
            self._refresh()

    def _step_ended(self, info: StepInfo) -> None:
        self._unreported_steps.append(info)
        if time.monotonic() - self._last_step_report >= self._step_report_seconds:
            self._report_steps()

    def _report_steps(self) -> None:
        """Send the steps not reported yet; before any epoch, state or model message, to keep the order."""
        if self._unreported_steps:
            self._emit(TrainingSteps(tuple(self._unreported_steps)))
            self._unreported_steps.clear()
        self._last_step_report = time.monotonic()

    def _epoch_ended(self, info: EpochInfo) -> None:
        self._report_steps()
        self.history.append(info.to_dict())
        self._emit(TrainingEpoch(info))

    def _stop_training(self, state: str) -> None:
        if self._check is not None and self._check.running:  # the run trained to its end: "finished"
            self._emit(self._check.stop())
            self._end_training("finished", self._check.ended.line)
        elif self.trainer is not None and not self.trainer.finished:
            self.trainer.stop()
            self._end_training(state)

    def _end_training(self, state: str, message: str = "") -> None:
        self._report_steps()
        trainer, self.trainer = self.trainer, None
        check, self._check = self._check, None
        # Back to the CPU after a run on an accelerator: single drawings predict faster there, and
        # every later use (saving, evaluating, snapshots, the next run's choice) starts from one place.
        self.model.to("cpu")
        fixing, self._blend = self._blend, None
        if fixing is not None and state != "failed":  # a quick fix keeps part of its change (quick_fix.py)
            blend(fixing[0], self.model, fixing[1])
        self.model.eval()
        if check is not None:
            self._run_facts["validation"] = check.record()
        if trainer is not None:
            self.info = run_info(trainer, **self._run_facts)
        self.label = "trained in the app"
        self._weights_changed()
        # The model first, then the state: whoever sees "finished" or "stopped" already knows which
        # model the run left (the window saves it then, and names it in its label).
        self._emit(
            ModelReady(self.model.spec, self.label, True, tuple(self.history), self.model.parameter_count(),
                       ModelOrigin.TRAINING)
        )
        self._emit(TrainingState(state, message))

    def _save(self, command: SaveModel) -> None:
        if self.model is None:
            raise CnnDesktopError("no model to save")
        save_model(command.path, self.model, self.history, self.info)
        self._emit(ModelSaved(command.path))

    # --- inference and views of the weights (core/app/looking.py) ---

    def _weights_changed(self) -> None:
        self.model_version += 1
        self._refresh()

    def _refresh(self) -> None:
        """Re-send the filters, and the shown drawing's prediction, for the current weights."""
        self._last_refresh = time.monotonic()
        if self.model is None or self.looking.at_snapshot:
            return  # a snapshot on screen does not change while the live weights train on
        self._show_weights()

    def _show_weights(self) -> None:
        self._emit(self.looking.filters(self.model, self.model_version))
        if self._shown_request is not None:
            self._predict(self._shown_request)

    def _predict(self, request: Predict) -> None:
        if self.model is None:
            return
        self._shown_request = request
        self._emit(self.looking.prediction(self.model, request, self.model_version))

    # --- the training timeline ---

    def _take_snapshot(self, step: int, epoch: float, loss: float | None) -> None:
        self._emit(self.looking.take_snapshot(self.model, step, epoch, loss))

    def _forget_timeline(self) -> None:
        timeline = self.looking.forget()
        if timeline is not None:
            self._emit(timeline)

    def _show_snapshot(self, index: int | None) -> None:
        if index is None:
            timeline = self.looking.show_live()
            if timeline is not None:
                self._emit(timeline)
                self._refresh()
            return
        if self.model is None:
            raise CnnDesktopError(f"no training snapshot {index}; there are {len(self.looking.snapshots)}")
        self._emit(self.looking.show_snapshot(self.model, index))
        self._show_weights()

    # --- the error loop ---

    def _evaluate_collection(self, command: EvaluateCollection) -> None:
        if self.model is None:
            raise CnnDesktopError("no model to evaluate")
        model, _ = self.looking.shown_model(self.model)
        check = evaluate_collection(model, self.info, command.collection)
        self._emit(CollectionEvaluation(command.request_id, self.model_version, check.classes, check.confusion,
                                        check.example_ids, check.split, check.fraction, check.seed, check.note))
