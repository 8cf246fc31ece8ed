"""The ``cnn-desktop`` command: no arguments opens the app; subcommands train, evaluate, predict, info,
download, project, import, export and help, one module each.

Users, CI and the benchmarks script against these names and outputs, so they stay stable: ``evaluate``
always ends with ``accuracy 0.9876 n=1234``. A problem with the user's input prints one line
(``cnn-desktop: error: <file>: <problem>``) and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from types import ModuleType
from typing import Sequence

from cnn_desktop import __version__
from cnn_desktop.cli import arguments, download, evaluate, export, import_drawings, info, predict, project, train
from cnn_desktop.cli.arguments import EXIT_BAD_INPUT
from cnn_desktop.cli.output import EXIT_BROKEN_PIPE, ReaderGone, printable, silence_stdout
from cnn_desktop.core.errors import CnnDesktopError

# Each module gives HELP, DESCRIPTION, EXAMPLES, add_arguments(parser) and run(options) -> exit status.
COMMANDS: dict[str, ModuleType] = {
    "train": train,
    "evaluate": evaluate,
    "predict": predict,
    "info": info,
    "download": download,
    "project": project,
    "import": import_drawings,
    "export": export,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        return _open_app()
    parser = build_parser()
    try:
        options = parser.parse_args(args)
    except SystemExit as done:  # --help, --version, or a bad argument (already told, in one line)
        return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
    options.argv = args
    try:
        if options.command != "help":
            _plan_torch_threads(options)
        return options.run(options)
    except CnnDesktopError as error:
        print(f"cnn-desktop: error: {printable(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ReaderGone:  # `cnn-desktop predict *.png | head -1`: the reader has what it wanted
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("cnn-desktop: interrupted", file=sys.stderr)
        return 130
    finally:
        if sys.stdout is not None and getattr(options, "command", None) is not None:
            _flush_quietly()


def build_parser() -> argparse.ArgumentParser:
    parser = arguments.OneLineParser(
        prog="cnn-desktop",
        description="Learn and use convolutional neural networks by drawing. Without a command, opens the app.",
        formatter_class=arguments.HelpFormatter,
        epilog="Run 'cnn-desktop help COMMAND' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"cnn-desktop {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command", required=True)
    for name, module in COMMANDS.items():
        command = commands.add_parser(name, help=module.HELP, description=textwrap.fill(module.DESCRIPTION, 88),
                                      epilog=module.EXAMPLES, formatter_class=arguments.HelpFormatter)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    helper = commands.add_parser("help", help="show the help of cnn-desktop or of one command",
                                 description="Show the help of cnn-desktop, or of one command.",
                                 epilog=arguments.examples("cnn-desktop help", "cnn-desktop help train"),
                                 formatter_class=arguments.HelpFormatter)
    helper.add_argument("topic", nargs="?", choices=list(COMMANDS) + ["help"], metavar="COMMAND",
                        help=f"one of {', '.join(COMMANDS)} (default: the overview)")
    helper.set_defaults(run=lambda options: _show_help(parser, commands, options.topic))
    return parser


def _show_help(parser: argparse.ArgumentParser, commands, topic: str | None) -> int:
    from cnn_desktop.cli.output import say

    chosen = commands.choices[topic] if topic else parser
    say(chosen.format_help().rstrip("\n"))
    return 0


def load_chosen_model(options: argparse.Namespace):
    """The model of ``--model``, the current version of ``--project`` (opened read-only: nothing is
    written), or the bundled model of ``--preset``."""
    from cnn_desktop.core.network.checkpoint import load_model
    from cnn_desktop.core.tasks import get_task

    use_planned_threads(options)
    if getattr(options, "project", None) is not None:
        from cnn_desktop.cli.project_data import open_project, require_current

        if options.preset is not None:
            raise CnnDesktopError("give --project or --preset, not both")
        project = open_project(options.project, read_only=True)
        return project.load_version(require_current(project))
    preset = options.preset or arguments.DEFAULT_PRESET
    path = options.model or get_task(preset).bundled_model_path()
    if options.model is None and not path.exists():
        raise CnnDesktopError(f"{path}: the bundled {preset} model is missing; pass --model")
    return load_model(path)


def _open_app() -> int:
    from cnn_desktop.gui.app import main as app_main  # Qt is only imported when the app is wanted

    return app_main()


def _plan_torch_threads(options: argparse.Namespace) -> None:
    """Decide torch's threads from how busy the machine is now (core/training/threads.py). The wait policy must
    be in the environment before torch is imported, which every command does later; the thread count
    is applied by ``use_planned_threads`` when torch is first needed."""
    from cnn_desktop.core.training.threads import apply_wait_policy, plan_for_this_machine

    options.thread_plan = plan_for_this_machine()
    apply_wait_policy(options.thread_plan)


def use_planned_threads(options: argparse.Namespace) -> None:
    from cnn_desktop.core.network.model import configure_torch

    configure_torch(options.thread_plan.threads)


def _flush_quietly() -> None:
    """Flush what is still buffered now, while an error can be reported, not at interpreter exit."""
    try:
        sys.stdout.flush()
    except OSError:
        silence_stdout()
