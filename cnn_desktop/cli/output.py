"""Writing results to standard output, the way Unix tools do.

- A reader that goes away (``cnn-desktop predict *.png | head -1``) ends the command quietly.
- An output that cannot be written (``> /dev/full``, a full disk) is one error line naming it.

Every result line goes through ``say``, which flushes, so a failed write surfaces here and now, inside
the command, rather than as a traceback when Python flushes its buffers on the way out.
"""

from __future__ import annotations

import os
import sys

from cnn_desktop.core.errors import CnnDesktopError, describe_error

# What a shell reports for a command ended by SIGPIPE (128 + 13): what `yes | head -1` leaves for `yes`.
EXIT_BROKEN_PIPE = 141


class ReaderGone(Exception):
    """Whoever read our standard output closed it; nothing more is worth writing."""


class OutputError(CnnDesktopError):
    """Standard output cannot be written (full disk, /dev/full, an I/O error)."""


def say(text: str = "") -> None:
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        raise ReaderGone from None
    except OSError as error:
        raise OutputError(f"{stdout_name()}: cannot write the output ({describe_error(error)})") from None


def silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush of what is still buffered
    cannot fail again (and print 'Exception ignored ...') after the command has ended."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real descriptor (tests capture stdout): nothing will be flushed
        pass


def stdout_name() -> str:
    """What standard output is, in words a person recognises: '/dev/full', a file's path, or 'standard output'."""
    try:
        target = os.readlink(f"/proc/self/fd/{sys.stdout.fileno()}")
    except (OSError, ValueError, AttributeError):
        return "standard output"
    return f"{target} (standard output)" if target.startswith("/") else "standard output"


def printable(text: object) -> str:
    """``text`` with control characters shown as escapes, so that a file name (or anything else read
    from outside) can never move the cursor, recolour the terminal or break a line of output."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
