"""Changing the network of the mode's project from the app (Project > Network…).

A network description is data (spec.ModelSpec); the editor shows it as a list of layers and as JSON
text, without the classes: the project decides those, as for a preset or ``train --arch``. Applying a
changed description never touches a version: the new design gets fresh weights (seeded by the
project's training settings), kept as a new version with the reason "network changed" and the current
one as its parent, made current and loaded by the engine, so the next Train trains that network (from
these fresh weights, or from new ones "from scratch": the same design either way). project.json's
network follows, as what the next project-level training (``cnn-desktop project train``) starts from.

Built-in modes are projects on disk too, so their network can be changed the same way; their classes
stay fixed. Refused while a run trains (its model is the old design) and in a read-only window.
Building and saving the fresh model takes a few tens of milliseconds once torch is imported (the
compute thread imports it at start), on the caller's thread, as a class edit does. Part of the
Session, kept apart to be read on its own.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from typing import Any

from cnn_desktop.core.errors import CnnDesktopError, one_line
from cnn_desktop.core.network.spec import (
    LAYER_KINDS, POOL_KINDS, Conv, Dense, Dropout, Layer, ModelSpec, layer_kind,
)
from cnn_desktop.core.network.summary import NetworkSummary, Totals, summarise

NETWORK_CHANGED = "network changed"  # the reason of a version made for a new design (versions.py)
READ_ONLY_REFUSAL = "This project is open read-only in this window; its network cannot be changed here."
TRAINING_REFUSAL = "Stop the training first: it trains the network as it is."
UNCHANGED = "This is the network in use already; change a layer first."


def design_of(spec: ModelSpec) -> dict[str, Any]:
    """The description a person edits: ``spec.to_dict()`` without the classes (the project's)."""
    return {key: value for key, value in spec.to_dict().items() if key != "classes"}


def design_text(spec: ModelSpec) -> str:
    """The JSON text view of ``spec``: what ``read_design`` reads back, and ``train --arch`` too.
    One layer a line, so that the text reads like the list beside it."""
    design = design_of(spec)
    layers = ",\n".join(f"    {json.dumps(layer)}" for layer in design.pop("layers"))
    head = "".join(f"  {json.dumps(key)}: {json.dumps(value)},\n" for key, value in design.items())
    return f"{{\n{head}  \"layers\": [\n{layers}\n  ]\n}}" if layers else f"{{\n{head}  \"layers\": []\n}}"


def read_design(text: str, classes: tuple[str, ...]) -> ModelSpec:
    """The description in ``text`` (JSON), for ``classes``; CnnDesktopError, one line, when it is no
    description at all. Whether it can run is ``summarise``'s question, asked separately, so that a
    list of layers that does not fit yet can still be shown and edited."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise CnnDesktopError(f"not JSON: {one_line(error, 200)}") from None
    if not isinstance(data, dict):
        raise CnnDesktopError(f"a network description is a JSON object, not a {type(data).__name__}")
    return ModelSpec.from_dict({**data, "classes": list(classes)})  # the project's classes, always


class NetworkEditing:
    """Mixed into Session: uses its task, project, run_state, model, events and _versions_changed."""

    def network_spec(self) -> ModelSpec | None:
        """The network in use: the current version's design (its record), else the project's, else the
        task's; for today's classes. None before any mode is chosen."""
        if self.task is None:
            return None
        classes = tuple(self.task.classes)
        project = self.project
        if project is not None:
            try:
                current = project.current_version()
                if current is not None:
                    return ModelSpec.from_dict({**project.record(current)["network"], "classes": list(classes)})
                return project.spec.with_classes(classes)
            except (CnnDesktopError, KeyError, TypeError):
                pass  # an unreadable record: the task's design, as the engine would fall back to
        return self.task.spec().with_classes(classes)

    def can_edit_network(self) -> str:
        """"" when the network can be changed now, else the one line saying why not."""
        if self.project is None:
            return "No project is open: the network has nowhere to be kept."
        if self.project.read_only:
            return READ_ONLY_REFUSAL
        if self.run_state.active:
            return TRAINING_REFUSAL
        return ""

    def apply_network(self, description: ModelSpec | dict[str, Any] | str) -> str:
        """Make ``description`` the network in use, as a new current version with fresh weights (see
        the module's docstring). "" when done, else the one line saying why not (nothing changed)."""
        refusal = self.can_edit_network()
        if refusal:
            return refusal
        summary = self._summary_for_project(description)
        if not summary.ok:
            return summary.error
        spec = summary.spec.with_classes(tuple(self.task.classes))
        if spec == self.network_spec():
            return UNCHANGED
        from cnn_desktop.core.app.project_modes import is_user_project, task_of_project
        from cnn_desktop.core.app.project_use import version_model
        from cnn_desktop.core.network.model import build_model  # torch: only once something is applied

        project = self.project
        parent = self._current_version()
        totals = summary.totals
        note = (f"fresh weights for a new design: {totals.layers} layers, {totals.params:,} parameters, "
                f"{totals.macs:,} multiply-adds")
        try:
            model = build_model(spec, seed=project.config.seed)
            version = project.add_version(model, reason=NETWORK_CHANGED, parent=parent, note=note)
        except CnnDesktopError as error:
            return str(error)
        try:
            project.set_network(spec)  # the version is what counts; project.json only follows it
        except CnnDesktopError as error:
            self.problem.emit(f"{error} (the new network is kept as {version} and in use)")
        if is_user_project(self.task):
            self.task = task_of_project(project)  # its spec() is project.json's network
        self._versions_changed()
        self._submit(version_model(project, version, self.task, f"a new network, not trained yet ({version})"))
        self.status.emit(f"The new network is {version}, with fresh weights: train it to use it.")
        return ""

    def summarise_design(self, description: ModelSpec | dict[str, Any] | str) -> NetworkSummary:
        """``summarise`` of ``description`` made for this mode's classes (a description without its
        classes, as the editor's text view has it, is read as one for them)."""
        return self._summary_for_project(description)

    def _summary_for_project(self, description: ModelSpec | dict[str, Any] | str) -> NetworkSummary:
        classes = list(self.task.classes) if self.task is not None else []
        if isinstance(description, str):
            try:
                description = read_design(description, tuple(classes))
            except CnnDesktopError as error:
                return NetworkSummary((), Totals(0, 0, 0, 0), str(error), None)
        elif isinstance(description, dict):
            description = {**description, "classes": classes}
        elif isinstance(description, ModelSpec):
            description = description.with_classes(tuple(classes))
        return summarise(description)


# --- editing one layer (the editor's form) ---------------------------------------------------------------

# What a layer of a kind starts as when the person adds it or changes a layer's kind: a conv and an fc
# have no default size in spec.py, so they get modest ones here (the form then edits them).
NEW_LAYER_SIZES = {"filters": 8, "units": 64}


def new_layer(kind: str, like: Layer | None = None) -> Layer:
    """A layer of ``kind``, keeping whatever ``like`` has that this kind has too (a conv's stride
    becomes the pool's stride when a conv is turned into a pool); other fields at their defaults."""
    layer_cls = LAYER_KINDS[kind]
    values = {}
    for f in fields(layer_cls):
        if like is not None and hasattr(like, f.name):
            values[f.name] = getattr(like, f.name)
        elif f.default is MISSING:
            values[f.name] = NEW_LAYER_SIZES[f.name]
    if kind in POOL_KINDS and like is not None and isinstance(like, Conv):
        values = {"window": 2, "stride": 2}  # a conv's 5x5 window is no pool's: start from the usual 2x2
    return layer_cls(**values)


def layer_settings(layer: Layer) -> str:
    """A layer's own numbers in words, for its row: "16 filters 5x5, stride 1, padding 2"."""
    if isinstance(layer, Conv):
        extra = "".join(f", {name} {getattr(layer, name)}" for name in ("stride", "padding")
                        if getattr(layer, name) != (1 if name == "stride" else 0))
        return f"{layer.filters} filter{'s' if layer.filters != 1 else ''} {layer.kernel}x{layer.kernel}{extra}"
    if layer_kind(layer) in POOL_KINDS:
        return f"{layer.window}x{layer.window}" + (f", stride {layer.stride}" if layer.stride != layer.window else "")
    if isinstance(layer, Dense):
        return f"{layer.units} unit{'s' if layer.units != 1 else ''}"
    if isinstance(layer, Dropout):
        return f"p {layer.p:g}, in training only"
    return ""
