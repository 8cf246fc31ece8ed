"""``project.json``: a project's name, its classes (in output order), its network and training settings.

Exact format (version 1)::

    {"format": "cnn-desktop-project", "version": 1, "name": "Digits",
     "classes": [{"id": "0", "name": "0", "key": "0"}, ...],   # output order
     "network": ModelSpec.to_dict(),                              # its "classes" = the display names
     "training": TrainConfig as a dict}

A class has three things: ``id``, the name of its folder under ``drawings/`` (fixed when the class is
made, never changed, so a rename moves no file and needs no retraining); ``name``, what the person sees
and the model's output label (free to change); ``key``, the one letter or digit that labels a drawing
as this class, or null. ``classes`` is authoritative: the network's own class list is rewritten from it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Sequence

from cnn_desktop.core.errors import CnnDesktopError, at, listed, shown
from cnn_desktop.core.network.geometry import layer_geometry
from cnn_desktop.core.network.spec import INPUT_PADDING, ModelSpec, TrainConfig, class_name_problem, lenet_spec
from cnn_desktop.core.projects.lock import ProjectError

FORMAT = "cnn-desktop-project"
FORMAT_VERSION = 1
PROJECT_FILE = "project.json"
MIN_CLASSES, MAX_CLASSES = 2, 50  # a label bar of 50 buttons is already more than a person sorts by hand
MAX_PROJECT_NAME = 60
# Keys are plain ASCII letters and digits: Qt reports other characters differently per keyboard layout.
KEY_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# What a folder name may not hold on some system we run on, and names Windows keeps for devices.
_UNSAFE_CHARS = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_STORE_MARKER = "cnn-desktop-collection.json"  # the drawing store's own file: never a class folder


@dataclass(frozen=True)
class ProjectClass:
    id: str  # its folder under drawings/; never changes
    name: str  # display name and the network's output label
    key: str | None  # one of KEY_CHARACTERS, or None (labelled with its button only)


@dataclass(frozen=True)
class Manifest:
    name: str
    classes: tuple[ProjectClass, ...]
    spec: ModelSpec  # its classes are the display names, in the same order
    config: TrainConfig

    def with_classes(self, classes: Sequence[ProjectClass]) -> "Manifest":
        classes = tuple(classes)
        return replace(self, classes=classes, spec=self.spec.with_classes(tuple(c.name for c in classes)))

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "name": self.name,
            "classes": [asdict(c) for c in self.classes],
            "network": self.spec.to_dict(),
            "training": asdict(self.config),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- checks: every one raises ProjectError naming the project folder ---------------------------------


def check_project_name(folder: Path, name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ProjectError(at(folder, "a project needs a name"))
    if len(name) > MAX_PROJECT_NAME or not name.isprintable() or name != name.strip():
        raise ProjectError(at(folder, f"bad project name {shown(name)}: at most {MAX_PROJECT_NAME} printable "
                                      "characters, no spaces at either end"))
    return name


def check_class_name(folder: Path, name: object) -> str:
    problem = class_name_problem(name)
    if problem is None and name != name.strip():
        problem = "starts or ends with a space"
    if problem:
        raise ProjectError(at(folder, f"class name {shown(name)} {problem}"))
    return name


def check_key(folder: Path, key: object) -> str | None:
    """A key as stored: upper case; None for none."""
    if key is None:
        return None
    if not isinstance(key, str) or len(key) != 1 or key.upper() not in KEY_CHARACTERS:
        raise ProjectError(at(folder, f"bad key {shown(key)}: a key is one letter A-Z or digit 0-9"))
    return key.upper()


def check_classes(folder: Path, classes: Sequence[ProjectClass]) -> tuple[ProjectClass, ...]:
    """The whole list: 2 to 50 classes, names and keys valid and distinct, ids distinct folder names."""
    classes = tuple(classes)
    if not MIN_CLASSES <= len(classes) <= MAX_CLASSES:
        raise ProjectError(at(folder, f"a project has {MIN_CLASSES} to {MAX_CLASSES} classes, not {len(classes)}"))
    for c in classes:
        check_class_name(folder, c.name)
        check_key(folder, c.key)
        if not is_folder_name(c.id):
            raise ProjectError(at(folder, f"class {shown(c.name)} has a bad folder name {shown(c.id)}"))
    # Differing only in case is refused too: "Cat" and "cat" look alike on a button, and their
    # folders would be one folder on the case-insensitive disks of Windows and macOS.
    for what, values in (("class names", [c.name.casefold() for c in classes]),
                         ("class folders", [c.id.casefold() for c in classes]),
                         ("keys", [c.key for c in classes if c.key is not None])):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ProjectError(at(folder, f"{what} must differ (ignoring case); repeated: {listed(repeated)}"))
    return classes


def is_folder_name(name: object) -> bool:
    return (isinstance(name, str) and 0 < len(name) <= 100 and not name.startswith(".")
            and name == name.strip() and not name.endswith(".") and not _UNSAFE_CHARS.search(name)
            and name.split(".")[0].upper() not in _RESERVED and name != _STORE_MARKER)


def new_class_id(name: str, taken: Sequence[str]) -> str:
    """A folder name for a new class: its name made safe on every system, unique ignoring case."""
    base = _UNSAFE_CHARS.sub("_", name).strip().rstrip(". ")
    base = "_" + base[1:] if base.startswith(".") else base
    if not base or base.split(".")[0].upper() in _RESERVED or base == _STORE_MARKER:
        base = f"class_{base}"
    folded = {t.casefold() for t in taken}
    candidate, number = base, 2
    while candidate.casefold() in folded:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def free_key(name: str, taken: Sequence[str | None]) -> str | None:
    """The first letter or digit of ``name`` not yet a key; else the first free one; None if all 36 are."""
    used = {k for k in taken if k}
    for char in [*name.upper(), *KEY_CHARACTERS]:
        if char in KEY_CHARACTERS and char not in used:
            return char
    return None


def check_spec(folder: Path, spec: ModelSpec) -> ModelSpec:
    """A network the app can feed (28x28 grey drawings) and build."""
    if not isinstance(spec, ModelSpec):
        raise TypeError(f"spec must be a ModelSpec, not {type(spec).__name__}")
    if spec.input_size not in INPUT_PADDING or spec.in_channels != 1:  # 32x32: the model pads the drawings
        raise ProjectError(at(folder, "the network must take 28x28 drawings (or 32x32, padded) with 1 channel"))
    try:
        layer_geometry(spec)
    except CnnDesktopError as error:
        raise ProjectError(at(folder, f"unusable network ({error})")) from None
    return spec


def config_from_dict(folder: Path, data: object) -> TrainConfig:
    """TrainConfig from project.json, every field of the declared type (a string "5" is not 5 epochs)."""
    where = folder / PROJECT_FILE
    if not isinstance(data, dict):
        raise ProjectError(at(where, "\"training\" must be an object"))
    declared = {f.name: f.type for f in fields(TrainConfig)}
    unknown = sorted(set(data) - set(declared))
    if unknown:
        raise ProjectError(at(where, f"unknown training settings {listed(unknown)}"))
    kinds = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,)}
    for name, value in data.items():
        wrong_bool = isinstance(value, bool) and declared[name] != "bool"
        if wrong_bool or not isinstance(value, kinds.get(declared[name], (object,))):
            raise ProjectError(at(where, f"training setting {name} must be {declared[name]}, got {shown(value)}"))
    try:
        return TrainConfig(**data)
    except CnnDesktopError as error:
        raise ProjectError(at(where, str(error))) from None


# --- reading and making ------------------------------------------------------------------------------


def read_manifest(folder: Path) -> Manifest:
    path = folder / PROJECT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(at(folder, f"not a cnn-desktop project (no {PROJECT_FILE})")) from None
    except (OSError, ValueError, RecursionError) as error:
        raise ProjectError(at(path, f"unreadable ({getattr(error, 'strerror', None) or error})")) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProjectError(at(path, f"not a project file (expected \"format\": \"{FORMAT}\")"))
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT_VERSION:
        raise ProjectError(at(path, f"project format version {shown(version)}; this app reads {FORMAT_VERSION}"))
    name = check_project_name(folder, data.get("name"))
    raw = data.get("classes")
    if not isinstance(raw, list) or not all(isinstance(c, dict) and set(c) == {"id", "name", "key"} for c in raw):
        raise ProjectError(at(path, "\"classes\" must be a list of {\"id\", \"name\", \"key\"}"))
    classes = check_classes(folder, [ProjectClass(c["id"], c["name"], check_key(folder, c["key"])) for c in raw])
    network = data.get("network")
    try:
        spec = ModelSpec.from_dict(network if isinstance(network, dict) else {})
        spec = spec.with_classes(tuple(c.name for c in classes))
    except CnnDesktopError as error:
        raise ProjectError(at(path, f"bad \"network\" ({error})")) from None
    return Manifest(name, classes, check_spec(folder, spec), config_from_dict(folder, data.get("training")))


def new_manifest(folder: Path, name: str, class_names: Sequence[str], keys: Sequence[str | None] | None = None,
                 spec: ModelSpec | None = None, config: TrainConfig | None = None) -> Manifest:
    """The manifest of a new project: ids from the names, missing keys assigned, everything checked."""
    name = check_project_name(folder, name)
    if isinstance(class_names, str) or not MIN_CLASSES <= len(class_names) <= MAX_CLASSES:
        raise ProjectError(at(folder, f"a project has {MIN_CLASSES} to {MAX_CLASSES} classes, "
                                      f"not {len(class_names) if not isinstance(class_names, str) else 1}"))
    names = [check_class_name(folder, n) for n in class_names]
    keys = list(keys) if keys is not None else [None] * len(names)
    if len(keys) != len(names):
        raise ProjectError(at(folder, f"{len(keys)} keys for {len(names)} classes"))
    keys = [check_key(folder, k) for k in keys]
    ids: list[str] = []
    for n in names:
        ids.append(new_class_id(n, ids))
    for i, n in enumerate(names):  # given keys first, so that an automatic one never takes them
        if keys[i] is None:
            keys[i] = free_key(n, keys)
    classes = check_classes(folder, [ProjectClass(i, n, k) for i, n, k in zip(ids, names, keys)])
    spec = check_spec(folder, (spec or lenet_spec()).with_classes(tuple(names)))
    return Manifest(name, classes, spec, config or TrainConfig())
