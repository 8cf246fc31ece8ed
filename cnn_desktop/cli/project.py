"""``cnn-desktop project``: make a project, describe it, list its model versions, pick the current one,
and hand it on as one zip (``export``, ``import``: core/projects/archive.py).

``new``, ``use`` and ``import`` write (``use`` takes the project's lock, so a project open in the app or
another command is refused in one line; ``import`` makes a new folder); ``info``, ``versions`` and
``export`` open it read-only and never write a byte to it.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from cnn_desktop.cli import arguments
from cnn_desktop.cli.output import printable, say
from cnn_desktop.core.errors import CnnDesktopError

HELP = "make a project, describe it, list or pick its model versions, export or import it as a zip"
DESCRIPTION = ("A project is one folder holding your own classes, their drawings and every model version "
               "trained on them. 'new' makes one; 'info' shows its classes, drawings and versions; "
               "'versions' lists the versions; 'use' makes a version the current one; 'export' writes the whole "
               "project as one zip and 'import' makes a project from such a zip. Run "
               "'cnn-desktop project SUBCOMMAND --help' for a subcommand's options.")
EXAMPLES = arguments.examples(
    "cnn-desktop project new shapes --classes circle,square,triangle",
    "cnn-desktop project info shapes",
    "cnn-desktop project versions shapes",
    "cnn-desktop project use shapes v0001",
    "cnn-desktop project export shapes --out shapes-project.zip",
    "cnn-desktop project import shapes-project.zip shapes-copy",
)

_SUBCOMMANDS = {
    "new": ("make a new project in an empty or absent folder",
            "Make a new project: 2 to 50 classes, each with a key that labels a drawing as that class in "
            "the app. The network and training settings start as the app's defaults, and so does the first "
            "version: the bundled digits model's learned layers with a new output layer.",
            ("cnn-desktop project new shapes --classes circle,square,triangle",
             "cnn-desktop project new letters --classes alpha,beta --keys A,B --name 'Greek letters'")),
    "info": ("name, classes, drawings and model versions of a project",
             "Print a project's name, its classes with their keys and drawings, its model versions (date, "
             "why it was made, validation accuracy; which is current), and any drawing that could not be "
             "read. Reads only: the project may be open elsewhere.",
             ("cnn-desktop project info shapes",)),
    "versions": ("list a project's model versions",
                 "One line per model version, oldest first: name, date, why it was made, epochs, "
                 "validation accuracy, the version it started from, and which is current. Reads only.",
                 ("cnn-desktop project versions shapes",)),
    "use": ("make a model version the current one",
            "Make VERSION the current model of the project: the one 'evaluate' and 'predict' use, and "
            "the one the next 'train' starts from.",
            ("cnn-desktop project use shapes v0001",)),
    "export": ("write the whole project as one zip",
               "Write the project (project.json, its drawings, every model version with its record, and which "
               "is current) as one zip, to hand on. Not included: the lock, temporary files, and the trash of "
               "deleted classes. Reads only: the project may be open elsewhere. An existing --out is never "
               "overwritten.",
               ("cnn-desktop project export shapes --out shapes-project.zip",)),
    "import": ("make a project from a zip that 'project export' wrote",
               "Make a new project in DEST from a project zip. The zip is checked before DEST appears: only a "
               "project's own files are accepted, project.json must be valid and every model version must "
               "have the sha256 its record gives; nothing in it is run. An existing DEST is refused.",
               ("cnn-desktop project import shapes-project.zip shapes-copy",)),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND", dest="action", required=True,
                                    parser_class=arguments.OneLineParser)
    parsers = {}
    for name, (help_text, description, examples) in _SUBCOMMANDS.items():
        parsers[name] = actions.add_parser(name, help=help_text, description=textwrap.fill(description, 88),
                                           epilog=arguments.examples(*examples),
                                           formatter_class=arguments.HelpFormatter)
        if name == "import":
            parsers[name].add_argument("archive", type=Path, metavar="ZIP", help="a zip 'project export' wrote")
            parsers[name].add_argument("folder", type=Path, metavar="DEST", help="the new project folder (must not exist)")
        else:
            parsers[name].add_argument("folder", type=Path, metavar="DIR", help="the project folder")
    new = parsers["new"]
    new.add_argument("--classes", required=True, metavar="A,B,...",
                     help="the class names, comma-separated, in output order (required)")
    new.add_argument("--name", help="the project's name (default: the folder's name)")
    new.add_argument("--keys", metavar="K,K,...",
                     help="one key (a letter or digit) per class, comma-separated; an empty entry lets the "
                          "app choose (default: each class's first free letter or digit)")
    new.add_argument("--start", choices=["digits-layers", "scratch"], default="digits-layers",
                     help="the first version: the bundled digits model's learned layers with a new output "
                          "layer (with 10 drawings a class 99.9%% on new drawings, against 93.0%% from scratch: "
                          "benchmarks/SMALL_DATA.md), or none, the first training starting from fresh "
                          "weights (default: %(default)s)")
    parsers["use"].add_argument("version", metavar="VERSION", help="a version name: v0001, v0002, ...")
    parsers["export"].add_argument("--out", type=Path, required=True, metavar="FILE.zip",
                                   help="the zip to create (required; never overwritten)")


def run(options: argparse.Namespace) -> int:
    return {"new": _new, "info": _info, "versions": _versions, "use": _use, "export": _export,
            "import": _import}[options.action](options)


# --- new ---------------------------------------------------------------------------------------------


def _new(options: argparse.Namespace) -> int:
    from cnn_desktop.core.projects.project import Project
    from cnn_desktop.core.projects.starting import FROM_DIGITS, FROM_SCRATCH, create_project

    folder = options.folder
    classes = _comma_list(options.classes)
    keys = None
    if options.keys is not None:
        keys = [k or None for k in _comma_list(options.keys, keep_empty=True)]
        if len(keys) != len(classes):
            raise CnnDesktopError(f"{folder}: {len(keys)} keys for {len(classes)} classes")
    name = options.name if options.name is not None else _default_name(folder)
    if options.start == FROM_SCRATCH.key:
        # No first version: an untrained network is nothing worth keeping, and the first `train` starts
        # from fresh weights. The same settings as a project the app makes.
        from cnn_desktop.core.training.small_data import SMALL_DATA_TRAIN_CONFIG

        with Project.create(folder, name, classes, keys, config=SMALL_DATA_TRAIN_CONFIG) as project:
            described = _described(project)
        start = "the first 'train' starts from fresh weights"
    else:
        _take_empty_folder(folder)
        create_project(folder, name, classes, keys, start=FROM_DIGITS)
        with Project.open(folder, read_only=True) as project:
            described = _described(project)
        start = f"v0001 holds {FROM_DIGITS.note} with a new output layer; 'train' fine-tunes it"
    say(f"made project {printable(name)} in {printable(folder)}: {described}; {start}")
    return 0


def _described(project) -> str:
    return ", ".join(f"{c.name} ({c.key})" if c.key else c.name for c in project.classes)


def _take_empty_folder(folder: Path) -> None:
    """A folder made beforehand (``mkdir shapes``) is fine when empty: removed, so that the project is
    made whole or not at all; rmdir cannot remove anything but an empty folder."""
    if folder.is_dir() and not folder.is_symlink():
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty: create_project refuses it in one line


def _comma_list(text: str, keep_empty: bool = False) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    return items if keep_empty else [item for item in items if item]


def _default_name(folder: Path) -> str:
    name = folder.resolve().name.strip() or "project"
    return name[:60].strip()


# --- info and versions -------------------------------------------------------------------------------


def _info(options: argparse.Namespace) -> int:
    from cnn_desktop.cli.project_data import open_project

    project = open_project(options.folder, read_only=True)
    counts = project.counts()
    problems = list(project.store.problems)
    say(f"project: {printable(project.name)} ({printable(project.folder)})")
    width = max(len(printable(c.name)) for c in project.classes)
    say(f"classes: {len(project.classes)}, drawings: {sum(counts.values()):,}")
    for c in project.classes:
        key = f"key {c.key}" if c.key else "no key"
        say(f"  {printable(c.name):<{width}}  {key:<6}  {counts[c.name]:>6,} drawing{'s' if counts[c.name] != 1 else ''}")
    _print_versions(project)
    if problems:
        say(f"skipped: {len(problems)} drawing file{'s' if len(problems) != 1 else ''} could not be read")
        for line in problems:
            say(f"  {printable(line)}")
    return 0


def _versions(options: argparse.Namespace) -> int:
    from cnn_desktop.cli.project_data import open_project

    _print_versions(open_project(options.folder, read_only=True), heading=False)
    return 0


def _print_versions(project, heading: bool = True) -> None:
    records = project.versions()
    current = project.current_version()
    if heading:
        state = f", current {current}" if current else (", none current" if records else "")
        say(f"versions: {len(records)}{state}")
    if not records and not heading:
        say("no model versions yet")
    for record in records:
        say(("  " if heading else "") + version_line(record, current))


def version_line(record: dict, current: str | None) -> str:
    """'v0002  2025-05-01 12:00  trained  2 epochs  validation accuracy 0.950 (8 held out)  from v0001  current'."""
    reason = printable(record.get("reason")) + (f" ({printable(record['note'])})" if record.get("note") else "")
    parts = [str(record.get("version")), _date(record.get("date")), reason]
    epochs = record.get("epochs")
    if isinstance(epochs, int) and epochs:
        parts.append(f"{epochs} epoch{'s' if epochs != 1 else ''}")
    validation = record.get("validation") or {}
    accuracy = validation.get("accuracy") if isinstance(validation, dict) else None
    if isinstance(accuracy, (int, float)) and not isinstance(accuracy, bool) and validation.get("method") == "kfold":
        correct, total = validation.get("correct"), validation.get("total")
        parts.append(f"{validation.get('folds')}-fold estimate {accuracy:.3f}"
                     + (f" ({correct:,} of {total:,} right)" if isinstance(correct, int) and isinstance(total, int) else ""))
    elif isinstance(accuracy, (int, float)) and not isinstance(accuracy, bool):
        held = (record.get("data") or {}).get("val_size") if isinstance(record.get("data"), dict) else None
        parts.append(f"validation accuracy {accuracy:.3f}" + (f" ({held:,} held out)" if isinstance(held, int) else ""))
    else:
        parts.append("no validation figure")
    if record.get("parent"):
        parts.append(f"from {printable(record['parent'])}")
    if record.get("version") == current:
        parts.append("current")
    return "  ".join(parts)


def _date(text) -> str:
    """An ISO date-time as 'YYYY-MM-DD HH:MM' (UTC, as recorded), or '?' when it is missing."""
    if not isinstance(text, str) or len(text) < 16:
        return "?"
    return printable(text[:10] + " " + text[11:16])


# --- use ---------------------------------------------------------------------------------------------


def _use(options: argparse.Namespace) -> int:
    from cnn_desktop.cli.project_data import open_project

    with open_project(options.folder, read_only=False) as project:
        before = project.current_version()
        project.make_current(options.version)
        note = " (it already was)" if before == options.version else (f" (was {before})" if before else "")
        say(f"{printable(project.folder)}: current version is now {options.version}{note}")
    return 0


# --- export and import as one zip ----------------------------------------------------------------


def _export(options: argparse.Namespace) -> int:
    from cnn_desktop.core.projects.archive import export_project

    drawings, versions = export_project(options.folder, options.out)
    say(f"{printable(options.out)}: project {printable(options.folder)} with {drawings:,} "
        f"drawing{'s' if drawings != 1 else ''} and {versions} model version{'s' if versions != 1 else ''}")
    return 0


def _import(options: argparse.Namespace) -> int:
    from cnn_desktop.core.projects.archive import import_project

    drawings, versions = import_project(options.archive, options.folder)
    say(f"imported project into {printable(options.folder)}: {drawings:,} drawing{'s' if drawings != 1 else ''}, "
        f"{versions} model version{'s' if versions != 1 else ''}")
    return 0
