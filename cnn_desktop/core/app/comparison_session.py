"""The compare window's state, without Qt: what can be compared, where the comparison stands, and
keeping each trained network as a new version of the project.

It lives on the window's thread beside the app's ``Session`` (which owns the project): commands go to
the comparison's thread (comparison.py), messages come back through ``handle`` and leave as psygnal
events, one per fact, that the window's views subscribe to. A trained network is saved by the
comparison thread next to the project's models and imported here, on the session's thread, as the next
version, not current: versions are immutable, and the person picks the one to use in the Versions list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from psygnal import Signal

from cnn_desktop.core.app.comparison_messages import (
    BothPredictions, ComparisonEpoch, ComparisonError, ComparisonSaved, ComparisonStarted, ComparisonState,
    ComparisonSteps, Contender, Disagreements, PredictBoth, StartComparison, StopComparison,
)
from cnn_desktop.core.app.project_use import incoming_path, keep_incoming
from cnn_desktop.core.data.strokes import Strokes
from cnn_desktop.core.errors import CnnDesktopError
from cnn_desktop.core.network.presets import PRESETS, preset_spec
from cnn_desktop.core.network.spec import ModelSpec
from cnn_desktop.core.projects.versions import MODEL_FILE, MODELS

if TYPE_CHECKING:
    from cnn_desktop.core.app.session import Session
    from cnn_desktop.core.projects.project import Project

DEFAULT_EPOCHS = 10


@dataclass(frozen=True)
class Choice:
    """A network the person can pick for A or B."""

    kind: str  # "preset", "project" (the project's network) or "version"
    name: str  # the preset's or version's name; "" for the project's network
    label: str  # what the picker shows


class ComparisonSession:
    started = Signal(object)  # ComparisonStarted
    steps = Signal(object)  # ComparisonSteps
    epoch = Signal(object)  # ComparisonEpoch
    predictions_changed = Signal(object)  # BothPredictions of the newest drawing
    disagreements_changed = Signal(object)  # Disagreements
    state_changed = Signal(str, str)  # "running", "finished", "stopped", "failed"; and a line
    kept = Signal(int, str)  # side, the version it was kept as
    problem = Signal(str)

    def __init__(self, session: Session, submit: Callable[[object], None]) -> None:
        self.session = session
        self._submit = submit
        self.state = "idle"
        self._request_id = 0
        self.predictions: BothPredictions | None = None
        self.last_start: ComparisonStarted | None = None
        self._project: Project | None = None  # the project the running comparison keeps its versions in
        self._parents: tuple[str | None, str | None] = (None, None)
        self._paths: dict[Path, int] = {}
        self.kept_versions: dict[int, str] = {}  # side -> the version this comparison kept it as

    # --- what can be compared ---

    def choices(self) -> list[Choice]:
        """The presets, the project's own network, and each version made for today's classes."""
        out = [Choice("preset", name, f"{name} preset") for name in PRESETS]
        out.append(Choice("project", "", "this project's network"))
        project = self.session.project
        for row in self.session.versions:
            name = row.get("version")
            if project is not None and name and self._version_fits(project, name):
                out.append(Choice("version", name, f"version {name}" + (" (in use)" if row.get("current") else "")))
        return out

    def spec_of(self, choice: Choice) -> ModelSpec:
        """The network ``choice`` names, for the project's classes; CnnDesktopError when it cannot be read."""
        classes = tuple(self.session.task.classes)
        if choice.kind == "preset":
            return preset_spec(choice.name, classes)
        if choice.kind == "project":
            return self.session.task.spec().with_classes(classes)
        network = self.session.project.record(choice.name).get("network")
        try:
            return ModelSpec.from_dict({**network, "classes": list(classes)})
        except (CnnDesktopError, TypeError) as error:
            raise CnnDesktopError(f"{self.session.project.folder / MODELS / choice.name}: {error}") from None

    def contender(self, choice: Choice, epochs: int, from_scratch: bool = True) -> Contender:
        config = self.session.task.app_train_config.with_(epochs=int(epochs))
        spec = self.spec_of(choice)
        if choice.kind == "version" and not from_scratch:
            path = self.session.project.folder / MODELS / choice.name / MODEL_FILE
            return Contender(f"{choice.label} (its weights)", spec, config, path, parent=choice.name)
        label = choice.label if choice.kind != "version" else f"{choice.label}'s network"
        return Contender(label, spec, config, None, parent=choice.name if choice.kind == "version" else None)

    @staticmethod
    def _version_fits(project: Project, name: str) -> bool:
        try:
            ids = [c.get("id") for c in project.record(name)["classes"]]
        except CnnDesktopError:
            return False
        return ids == list(project.class_ids)

    # --- what the person does ---

    def start(self, a: Contender, b: Contender, seed: int = 0) -> bool:
        """Train both on the project's drawings; False (and one line) when there is nothing to train on."""
        session = self.session
        if self.state == "running":
            self.problem.emit("A comparison is running: stop it first.")
            return False
        if session.store is None:
            self.problem.emit("No collection to train on.")
            return False
        project = session.project if session.project is not None and not session.read_only else None
        save_to = (incoming_path(project), incoming_path(project)) if project is not None else None
        self._project, self._parents = project, (a.parent, b.parent)
        self._paths = {path: side for side, path in enumerate(save_to or ())}
        self.kept_versions = {}
        labels = tuple(session.task.class_ids)
        self.state = "starting"
        self._submit(StartComparison(session.store.root, tuple(session.task.classes), a, b,
                                     labels if labels != tuple(session.task.classes) else None, seed=seed,
                                     save_to=save_to))
        return True

    def stop(self) -> None:
        self._submit(StopComparison())

    @property
    def keeps_versions(self) -> bool:
        """Whether the running (or last) comparison keeps its networks: not in a read-only window."""
        return self._project is not None

    def drawing_changed(self, drawing: Strokes) -> None:
        """The drawing on the main canvas changed: both networks are asked (the newest drawing wins)."""
        self._request_id += 1
        self._submit(PredictBoth(self._request_id, drawing))

    # --- what the comparison thread says ---

    def handle(self, message: object) -> None:
        if isinstance(message, ComparisonSteps):
            self.steps.emit(message)
        elif isinstance(message, ComparisonEpoch):
            self.epoch.emit(message)
        elif isinstance(message, BothPredictions):
            shown = self.predictions.request_id if self.predictions is not None else -1
            if message.request_id >= shown:  # an answer to an older drawing is dropped
                self.predictions = message
                self.predictions_changed.emit(message)
        elif isinstance(message, ComparisonStarted):
            self.last_start = message
            self.started.emit(message)
        elif isinstance(message, Disagreements):
            self.disagreements_changed.emit(message)
        elif isinstance(message, ComparisonSaved):
            self._keep(message)
        elif isinstance(message, ComparisonState):
            self.state = message.state
            if message.state == "failed":
                self._forget_saves()
            self.state_changed.emit(message.state, message.message)
        elif isinstance(message, ComparisonError):
            if self.state == "starting":
                self.state = "failed"
                self.state_changed.emit("failed", message.message)
            self.problem.emit(message.message)

    def _keep(self, message: ComparisonSaved) -> None:
        project = self._project
        side = self._paths.pop(message.path, None)
        if project is None or side is None:
            return
        try:
            version = keep_incoming(project, message.path, "trained", False, self._parents[side])
        except CnnDesktopError as error:  # the file stays; the next session keeps it as a version
            self.problem.emit(f"{error} (the network stays in {message.path})")
            return
        if project is self.session.project:
            self.session.refresh_from_disk()  # the versions list shows it
        self.kept_versions[side] = version
        self.kept.emit(side, version)

    def _forget_saves(self) -> None:
        self._paths.clear()

    def close(self) -> None:
        """The window closes: a running comparison is stopped (the caller shuts its thread down)."""
        if self.state in ("starting", "running"):
            self.stop()
