"""The app's state, without Qt: the one place between the engine's messages and the widgets.

It owns the current task and its drawing collection, the model in use (and when it is saved: see
``SavePolicy``), where training stands, the latest prediction and filters, and the "not sure"
threshold. Widgets never ask one another for state: they read it here, call its methods for what the
person does, and subscribe to its events, one per fact (psygnal signals, the Qt-free events napari's
models use). The window only builds and wires.

Where a prediction goes: the canvas calls ``drawing_changed``, which sends the one ``Predict``; the
engine's answer comes back through ``handle``, which drops stale answers and emits
``prediction_changed`` once, to every view that shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from psygnal import Signal

from cnn_desktop.core.errors import CnnDesktopError, EmptyDrawingError, describe_error
from cnn_desktop.core.inspection.confidence import DEFAULT_SURE_THRESHOLD
from cnn_desktop.core.app.messages import (
    CollectionEvaluation, Command, EngineError, EvaluateCollection, Filters, ModelReady, ModelSaved,
    PauseTraining, Predict, Prediction, ResumeTraining, SaveModel, ShowSnapshot, StartTraining, StopTraining,
    Timeline, TrainingEpoch, TrainingStarted, TrainingState, TrainingSteps, UseModel,
)
from cnn_desktop.core.tasks import collection_dir, data_home, user_model_path
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.tasks import TASKS, Task
from cnn_desktop.core.app.run_state import RunState
from cnn_desktop.core.app.save_policy import SavePolicy
from cnn_desktop.core.network.spec import TrainConfig
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes


class Session:
    # --- events: one per fact ---
    task_changed = Signal(object)  # Task: classes, keys, hint, spec; the store may be None
    counts_changed = Signal(dict)  # class -> drawings of it in the collection
    drawing_added = Signal(str)  # label: the drawing was stored, the canvas may be cleared
    model_changed = Signal(object)  # ModelReady: the model now in use
    model_described = Signal(str, bool)  # what to call the model in use, and whether it is trained
    run_state_changed = Signal(object, str)  # RunState, and a message (why it failed, say)
    training_started = Signal(object)  # TrainingStarted
    training_steps = Signal(object)  # TrainingSteps
    training_epoch = Signal(object)  # TrainingEpoch
    prediction_changed = Signal(object)  # Prediction of the drawing on screen, by this task's model
    filters_changed = Signal(object)  # Filters
    threshold_changed = Signal(float)  # the "not sure" threshold, in [0, 1]
    timeline_changed = Signal(object)  # Timeline
    evaluation_ready = Signal(object)  # CollectionEvaluation answering the latest request
    model_saved = Signal(object)  # Path
    problem = Signal(str)  # one line the person must see
    status = Signal(str)  # a passing note ("Nothing to add: the canvas is empty.")

    def __init__(self, submit: Callable[[Command], None], home: Path | None = None,
                 tasks: dict[str, Task] = TASKS) -> None:
        self._submit = submit
        self.home = Path(home) if home else data_home()
        self.tasks = tasks
        self.task: Task | None = None
        self.store: DrawingStore | None = None
        self.model: ModelReady | None = None
        self.run_state = RunState.IDLE
        self.prediction: Prediction | None = None
        self.filters: Filters | None = None
        self.threshold = DEFAULT_SURE_THRESHOLD
        self.drawing = Strokes()
        self.saliency: tuple[int | str | None, str] = (None, "gradcam")  # (class, method) of the heat map
        self._save_policy = SavePolicy()
        self._from_scratch = False  # what the last Train asked for, to name the model while it runs
        self._request_id = 0
        self._evaluation_id = 0
        self._handlers: dict[type, Callable] = {
            Prediction: self._prediction,
            Filters: self._filters,
            ModelReady: self._model_ready,
            TrainingStarted: self._training_started,
            TrainingSteps: self.training_steps.emit,
            TrainingEpoch: self.training_epoch.emit,
            TrainingState: self._training_state,
            ModelSaved: lambda message: self.model_saved.emit(message.path),
            EngineError: self._engine_error,
            Timeline: self.timeline_changed.emit,
            CollectionEvaluation: self._evaluation,
        }

    @property
    def last_request_id(self) -> int:
        """The id of the newest drawing sent to the engine."""
        return self._request_id

    @property
    def shown_request_id(self) -> int:
        """The id of the drawing whose prediction is on screen; -1 before any."""
        return self.prediction.request_id if self.prediction is not None else -1

    # --- what the person does ---

    def switch_task(self, name: str) -> None:
        """Make ``name`` the current task: its collection, and its model (theirs, else the bundled one)."""
        if self.task is not None and self._save_policy.interrupted(self.run_state.active):
            self._submit(StopTraining())  # the engine takes commands in order: stop, save, then load
            self._save_model()
        task = self.tasks[name]
        self.task = task
        try:
            self.store = DrawingStore(collection_dir(task, self.home), task.classes)
        except CnnDesktopError as error:
            self.store = None
            self.problem.emit(f"{error} (drawings cannot be saved)")
        self.prediction = None
        self.drawing = Strokes()
        self.task_changed.emit(task)
        self.refresh_counts()
        spec = task.spec()
        user_model, bundled = user_model_path(task, self.home), task.bundled_model_path()
        use_bundled = UseModel(bundled, spec, f"bundled {task.title.lower()} model") if bundled.exists() else None
        if user_model.exists():  # one that cannot be read is said so, and the bundled one used instead
            self._submit(UseModel(user_model, spec, "your trained model", fallback=use_bundled))
        elif use_bundled is not None:
            self._submit(use_bundled)
        else:
            self._submit(UseModel(None, spec, "untrained network"))

    def drawing_changed(self, drawing: Strokes) -> None:
        """The canvas changed: ask for the newest drawing's prediction (older requests are dropped)."""
        self.drawing = drawing
        self._request_id += 1
        self._submit(Predict(self._request_id, drawing, *self.saliency))

    def set_saliency(self, saliency_class: int | str | None, method: str = "gradcam") -> None:
        """Switch the heat map on (a class, or "top") or off (None); the drawing is asked for again."""
        self.saliency = (saliency_class, method)
        self.drawing_changed(self.drawing)

    def set_threshold(self, threshold: float) -> None:
        threshold = min(max(float(threshold), 0.0), 1.0)
        if threshold != self.threshold:
            self.threshold = threshold
            self.threshold_changed.emit(threshold)

    def add_drawing(self, label: str) -> bool:
        """What a label key does: store the drawing on screen as an example of ``label``."""
        if self.store is None:
            self.problem.emit("the collection folder cannot be written; the drawing was not saved")
            return False
        try:
            raster = preprocess(self.drawing)
        except EmptyDrawingError:
            self.status.emit("Nothing to add: the canvas is empty.")
            return False
        try:
            self.store.add(label, raster, self.drawing)
        except CnnDesktopError as error:
            self.problem.emit(str(error))
            return False
        self.refresh_counts()
        self.drawing_added.emit(label)
        return True

    def refresh_counts(self) -> None:
        """Re-count the collection (after a label, a delete, a relabel or an import)."""
        if self.store is not None:
            self.counts_changed.emit(self.store.counts())

    def start_training(self, config: TrainConfig, from_scratch: bool) -> None:
        if self.store is None:
            self._set_run_state(RunState.FAILED, "No collection to train on.")
            return
        self._from_scratch = from_scratch
        self._save_policy.run_started()
        self._set_run_state(RunState.STARTING)
        self._submit(StartTraining(self.store.root, config, from_scratch))

    def pause_training(self) -> None:
        self._submit(PauseTraining())

    def resume_training(self) -> None:
        self._submit(ResumeTraining())

    def stop_training(self) -> None:
        self._submit(StopTraining())

    def open_model(self, path: Path) -> None:
        """Use a model file for this task; once it loads, it is kept as the person's model."""
        self._save_policy.file_opened(path)
        self._submit(UseModel(path, self.task.spec(), path.name, fallback_to_fresh=False))

    def save_model_as(self, path: Path) -> None:
        self._submit(SaveModel(path))

    def evaluate_collection(self) -> bool:
        """Ask for the confusion matrix of the collection's held-out drawings; False with no collection."""
        if self.store is None:
            return False
        self._evaluation_id += 1
        self._submit(EvaluateCollection(self.store.root, self._evaluation_id))
        return True

    def show_snapshot(self, index: int | None) -> None:
        self._submit(ShowSnapshot(index))

    def close(self) -> None:
        """The window closes: a run in progress is stopped and what it trained is kept."""
        if self._save_policy.interrupted(self.run_state.active):
            self._submit(StopTraining())
            self._save_model()

    # --- what the engine says ---

    def handle(self, message: object) -> None:
        handler = self._handlers.get(type(message))
        if handler is not None:
            handler(message)

    def _prediction(self, message: Prediction) -> None:
        shown = self.prediction.request_id if self.prediction is not None else -1
        if message.request_id < shown or message.classes != self.task.classes:
            return  # an answer to a drawing that has since changed, or from the other task's model
        self.prediction = message
        self.prediction_changed.emit(message)

    def _filters(self, message: Filters) -> None:
        self.filters = message
        self.filters_changed.emit(message)

    def _model_ready(self, message: ModelReady) -> None:
        self.model = message
        self.model_changed.emit(message)
        advice = "" if message.trained else ": train it, or open a model"
        self.model_described.emit(f"{message.label}{advice} · {message.parameters:,} parameters", message.trained)
        if message.spec.classes == self.task.classes and self._save_policy.model_loaded(message.origin, message.path):
            self._save_model()

    def _training_started(self, message: TrainingStarted) -> None:
        if self._from_scratch:  # the engine replaced the model with new random weights: name them
            self.model_described.emit("a new network, training from scratch", True)
        self.training_started.emit(message)

    def _training_state(self, message: TrainingState) -> None:
        state = RunState(message.state)
        self._set_run_state(state, message.message)
        if not state.active and self._save_policy.run_ended(state):
            self._save_model()
        if state is RunState.FAILED:
            self.problem.emit(message.message)

    def _engine_error(self, message: EngineError) -> None:
        if self.run_state is RunState.STARTING:
            self._set_run_state(RunState.FAILED, message.message)
        self._save_policy.open_refused()  # whatever was being opened, it was refused
        self.problem.emit(message.message)

    def _evaluation(self, message: CollectionEvaluation) -> None:
        if message.request_id == self._evaluation_id:
            self.evaluation_ready.emit(message)

    # --- helpers ---

    def _set_run_state(self, state: RunState, message: str = "") -> None:
        self.run_state = state
        self.run_state_changed.emit(state, message)

    def _save_model(self) -> None:
        """Have the engine save its model as this task's own, loaded again at the next launch."""
        path = user_model_path(self.task, self.home)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.problem.emit(f"{path.parent}: cannot create the models folder ({describe_error(error)})")
            return
        self._submit(SaveModel(path))
