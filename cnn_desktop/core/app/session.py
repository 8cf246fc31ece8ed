"""The app's state, without Qt: the one place between the engine's messages and the widgets.

It owns the current task and its project (the built-in project of the task: drawings labelled by
class id, model versions; read-only when another window writes it), the model in use (the project's
current version; which models are kept as versions: ``SavePolicy``, how: run_keeping.py), the
versions list, where training stands, the latest prediction and filters, and the "not sure"
threshold. Widgets never ask one another for state: they read it here, call its methods for what the
person does, and subscribe to its events, one per fact (psygnal signals, the Qt-free events napari's
models use). The window only builds and wires.

Where a prediction goes: the canvas calls ``drawing_changed``, which sends the one ``Predict``; the
engine's answer comes back through ``handle``, which drops stale answers and emits
``prediction_changed`` once, to every view that shows it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from psygnal import Signal

from cnn_desktop.core.errors import CnnDesktopError, EmptyDrawingError
from cnn_desktop.core.inspection.confidence import DEFAULT_SURE_THRESHOLD
from cnn_desktop.core.app.messages import (
    AccuracyEstimate, CollectionEvaluation, Command, DrawingsCounted, EngineError, EvaluateCollection, Filters,
    ModelReady, ModelSaved, PauseTraining, Predict, Prediction, ResumeTraining, SaveModel, ShowSnapshot,
    StartTraining, StopTraining, Timeline, TrainingEpoch, TrainingStarted, TrainingState, TrainingSteps, UseModel,
)
from cnn_desktop.core.app.class_editing import ClassEditing
from cnn_desktop.core.app.counting import Counting
from cnn_desktop.core.app.network_editing import NetworkEditing
from cnn_desktop.core.app.quick_fixing import QuickFixing
from cnn_desktop.core.app.quick_fix import QuickFixes
from cnn_desktop.core.app.project_modes import (
    ProjectTask, is_user_project, read_project_task, remember_recent, task_of_project,
)
from cnn_desktop.core.projects.builtin import builtin_project_dir
from cnn_desktop.core.app.project_use import migrate_old_home, model_to_use, open_task_project, version_model, version_rows
from cnn_desktop.core.tasks import data_home
from cnn_desktop.core.data.preprocess import preprocess
from cnn_desktop.core.tasks import TASKS, Task
from cnn_desktop.core.app.run_keeping import RunKeeping
from cnn_desktop.core.app.run_state import RunState
from cnn_desktop.core.app.save_policy import Keep, SavePolicy
from cnn_desktop.core.network.spec import TrainConfig
from cnn_desktop.core.data.store import DrawingStore
from cnn_desktop.core.data.strokes import Strokes


if TYPE_CHECKING:
    from cnn_desktop.core.projects.project import Project


class Session(RunKeeping, Counting, ClassEditing, NetworkEditing, QuickFixing):
    # --- events: one per fact ---
    task_changed = Signal(object)  # Task: classes, keys, hint, spec; the store may be None
    counts_changed = Signal(dict)  # class -> drawings of it in the collection
    skipped_changed = Signal(tuple)  # "<file>: <reason>" for each entry the collection leaves out
    drawing_added = Signal(str)  # label: the drawing was stored, the canvas may be cleared
    model_changed = Signal(object)  # ModelReady: the model now in use
    model_described = Signal(str, bool)  # what to call the model in use, and whether it is trained
    run_state_changed = Signal(object, str)  # RunState, and a message (why it failed, say)
    training_started = Signal(object)  # TrainingStarted
    training_steps = Signal(object)  # TrainingSteps
    training_epoch = Signal(object)  # TrainingEpoch
    accuracy_estimate = Signal(object)  # AccuracyEstimate: a small collection's k-fold estimate, after training
    prediction_changed = Signal(object)  # Prediction of the drawing on screen, by this task's model
    filters_changed = Signal(object)  # Filters
    threshold_changed = Signal(float)  # the "not sure" threshold, in [0, 1]
    timeline_changed = Signal(object)  # Timeline
    evaluation_ready = Signal(object)  # CollectionEvaluation answering the latest request
    model_saved = Signal(object)  # Path
    versions_changed = Signal(object)  # list of rows (version_rows): the project's model versions, newest first
    run_stopped_keep = Signal(object)  # Path: a stopped run's model waits; answer with keep_stopped_run/discard
    quick_fix_offered = Signal(object)  # quick_fix.Offer after a label key corrected the network; None: withdrawn
    problem = Signal(str)  # one line the person must see
    status = Signal(str)  # a passing note ("Nothing to add: the canvas is empty.")

    def __init__(self, submit: Callable[[Command], None], home: Path | None = None,
                 tasks: dict[str, Task] = TASKS, deliver: Callable[[object], None] | None = None) -> None:
        self._submit = submit
        # Hands a message from another thread to ``handle`` on this one (the window's queued signal);
        # None: everything is done on the calling thread (tests, scripts).
        self._deliver = deliver
        self._counting: Path | None = None  # a first count running in a thread, for this store root
        self.home = Path(home) if home else data_home()
        self.device = "cpu"  # where runs train: "auto", "cpu", "cuda", "mps" (the window's Device setting)
        self.tasks = tasks
        self.task: Task | None = None
        self.store: DrawingStore | None = None
        self.project: Project | None = None  # the task's project (read-only when another window writes it)
        self.versions: list[dict] = []
        self._skipped: tuple[str, ...] | None = None  # as last announced; None: not yet for this project
        self._incoming: dict[Path, tuple[Project, Keep, str | None]] = {}  # saves asked of the engine
        self._asking: dict[Path, tuple[Project, str | None]] = {}  # stopped runs waiting for an answer
        self._run_parent: str | None = None  # the current version when the run started
        self._migrated = False
        self.model: ModelReady | None = None
        self.run_state = RunState.IDLE
        self.prediction: Prediction | None = None
        self.filters: Filters | None = None
        self.threshold = DEFAULT_SURE_THRESHOLD
        self.drawing = Strokes()
        self.saliency: tuple[int | str | None, str] = (None, "gradcam")  # (class, method) of the heat map
        self._save_policy = SavePolicy()
        self.quick_fixes = QuickFixes()  # the mode's corrected drawings, for the quick fix (quick_fix.py)
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
            AccuracyEstimate: self.accuracy_estimate.emit,
            TrainingState: self._training_state,
            ModelSaved: self._model_saved,
            EngineError: self._engine_error,
            Timeline: self.timeline_changed.emit,
            CollectionEvaluation: self._evaluation,
            DrawingsCounted: self._counted,
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

    def switch_task(self, mode: str | Path | Task | ProjectTask) -> bool:
        """Make ``mode`` the current one: a built-in task's name, a person's project (its folder, or
        ``mode_key``), or a task object. Its project (drawings and model versions) is opened, and its
        current model used (else the bundled one, else an untrained network). A folder that is no
        readable project changes nothing: False, and one line saying why."""
        try:
            task = self._mode(mode)
        except CnnDesktopError as error:
            self.problem.emit(str(error))
            return False
        if self.task is not None:
            self._keep(self._save_policy.interrupted(self.run_state.active), stop=True)
        self._migrate_once()
        self._leave_project()
        self.task = task
        self.store = None
        try:
            self.project, note = self._open_project(task)
            self.store = self.project.store
            if note:
                self.problem.emit(note)
        except CnnDesktopError as error:
            self.project = None
            self.problem.emit(f"{error} (drawings cannot be saved)")
        if is_user_project(task):
            if self.project is not None:
                self.task = task_of_project(self.project)  # as it stands now that it is open
            remember_recent(self.home, task.folder)
        self._show_mode()
        return True

    def open_project(self, folder: Path) -> bool:
        """Switch to the person's project in ``folder`` (File > Open project)."""
        return self.switch_task(Path(folder))

    def _mode(self, mode: str | Path | Task | ProjectTask) -> Task | ProjectTask:
        if not isinstance(mode, (str, Path)):
            return mode
        if isinstance(mode, str) and mode in self.tasks:
            return self.tasks[mode]
        for task in self.tasks.values():  # a built-in project opened as a folder is still that mode
            if Path(mode).resolve() == builtin_project_dir(task, self.home).resolve():
                return task
        return read_project_task(Path(mode))  # ProjectError naming the folder when it is no project

    def _show_mode(self) -> None:
        """Tell every view about the mode (after a switch, or after its classes changed)."""
        task = self.task
        self._keep_leftovers()
        self.prediction = None
        self.drawing = Strokes()
        self.quick_fixes.clear()
        self.quick_fix_offered.emit(None)
        self.task_changed.emit(task)
        self._skipped = None
        self._count_first()
        self._versions_changed()
        self._submit(model_to_use(task, self.project))

    @property
    def read_only(self) -> bool:
        return self.project is not None and self.project.read_only

    def model_file(self) -> Path | None:
        """The file of the model the app keeps for this task (the project's current version, else the
        bundled model), for exporting it; None when there is none (an untrained network)."""
        use = model_to_use(self.task, self.project)
        return use.path

    def writable(self, what: str) -> bool:
        """Whether drawings can be changed here; if not, says so in one line."""
        if self.store is None:
            self.problem.emit(f"the collection folder cannot be written; {what} is off")
            return False
        if self.read_only:
            self.problem.emit(f"{self.project.folder}: opened read-only in this window; {what} is off here")
            return False
        return True

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
        """What a label key does: store the drawing on screen as an example of the class whose id is
        ``label`` (a built-in task's ids are its class names); ``drawing_added`` names it for display."""
        if self.store is None:
            self.problem.emit("the collection folder cannot be written; the drawing was not saved")
            return False
        if not self.writable("labelling"):
            return False
        try:
            raster = preprocess(self.drawing)
        except EmptyDrawingError:
            self.status.emit("Nothing to add: the canvas is empty.")
            return False
        shown = self.prediction if self.shown_request_id == self._request_id else None  # of this drawing
        try:
            self.store.add(label, raster, self.drawing)
        except CnnDesktopError as error:
            self.problem.emit(str(error))
            return False
        self.refresh_counts()
        self.drawing_added.emit(self.display_name(label))
        self._notice_correction(label, raster, shown)  # misread or borderline: offer to teach it
        return True

    def refresh_from_disk(self) -> None:
        """Read the counts and the versions list again: another window or process changed the project
        (this one has it read-only)."""
        self.refresh_counts()
        self._versions_changed()

    def start_training(self, config: TrainConfig, from_scratch: bool) -> None:
        if self.store is None:
            self._set_run_state(RunState.FAILED, "No collection to train on.")
            return
        if not self.writable("training"):  # the controls, already showing "starting", are told at once
            self._set_run_state(RunState.FAILED, "Training is off in a read-only window.")
            return
        self._run_parent = self._current_version()
        self._from_scratch = from_scratch
        self._save_policy.run_started()
        self._set_run_state(RunState.STARTING)
        labels = tuple(self.task.class_ids)
        self._submit(StartTraining(self.store.root, config, from_scratch,
                                   labels if labels != tuple(self.task.classes) else None, self.device))

    def pause_training(self) -> None:
        self._submit(PauseTraining())

    def resume_training(self) -> None:
        self._submit(ResumeTraining())

    def stop_training(self) -> None:
        self._submit(StopTraining())

    def open_model(self, path: Path) -> None:
        """Import a model file as a new version of this task's project, made current, and use it; a
        file the import refuses changes nothing. Read-only here, the file is only used."""
        if self.project is None or self.read_only:
            self._submit(UseModel(path, self.task.spec(), path.name, fallback_to_fresh=False))
            return
        keep = self._save_policy.file_opened()
        try:
            version = self.project.import_version(path, reason=keep.reason, make_current=keep.make_current)
        except CnnDesktopError as error:
            self.problem.emit(str(error))
            return
        self._versions_changed()
        self._submit(version_model(self.project, version, self.task, f"{path.name} ({version})"))

    def use_version(self, version: str) -> None:
        """Make ``version`` the current one (read-only here: only use it) and load it."""
        if self.project is None:
            return
        try:
            if not self.read_only:
                version = self._for_todays_classes(version)
                self.project.make_current(version)
        except CnnDesktopError as error:
            self.problem.emit(str(error))
            return
        self._versions_changed()
        self._submit(version_model(self.project, version, self.task))

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
        """The window closes: a run in progress is stopped and kept as a version (not current), and a
        stopped run waiting for an answer is kept as a version. The project is let go: its engine's
        save still lands inside it, and the next session that opens it keeps it as a version."""
        self._keep(self._save_policy.interrupted(self.run_state.active), stop=True)
        self._leave_project()  # a stopped run still waiting for an answer is kept as a version only
        for project, _, _ in list(self._incoming.values()):
            project.close()
        self._incoming.clear()

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

    def _training_started(self, message: TrainingStarted) -> None:
        if self._from_scratch:  # the engine replaced the model with new random weights: name them
            self.model_described.emit("a new network, training from scratch", True)
        self.training_started.emit(message)

    def _training_state(self, message: TrainingState) -> None:
        state = RunState(message.state)
        self._set_run_state(state, message.message)
        if not state.active:
            self._keep(self._save_policy.run_ended(state))
        if state is RunState.FAILED:
            self.problem.emit(message.message)

    def _engine_error(self, message: EngineError) -> None:
        self._save_refused(message.message)
        if self.run_state is RunState.STARTING:
            self._set_run_state(RunState.FAILED, message.message)
        self.problem.emit(message.message)

    def _evaluation(self, message: CollectionEvaluation) -> None:
        if message.request_id == self._evaluation_id:
            self.evaluation_ready.emit(message)

    # --- helpers ---

    def _set_run_state(self, state: RunState, message: str = "") -> None:
        self.run_state = state
        self.run_state_changed.emit(state, message)

    def _open_project(self, task: Task) -> tuple[Project, str | None]:
        """The task's project; one still open for a save on its way is used again, not opened twice."""
        return open_task_project(task, self.home, [p for p, _, _ in self._incoming.values()])

    def _migrate_once(self) -> None:
        if not self._migrated:
            self._migrated = True
            lines, problem = migrate_old_home(self.home, self.tasks)
            for line in lines:  # what could not be moved in stays where it was: the person must see it
                (self.problem if line.endswith("(left where it is)") else self.status).emit(line)
            if problem:
                self.problem.emit(problem)

    def _current_version(self) -> str | None:
        try:
            return self.project.current_version() if self.project is not None else None
        except CnnDesktopError:
            return None

    def _versions_changed(self) -> None:
        self.versions, problem = version_rows(self.project)
        if problem:
            self.problem.emit(problem)
        self.versions_changed.emit(self.versions)
