"""The project's own error types.

Every problem a user can cause (a bad file, an empty drawing, a hopeless training setting) is raised as
a ``CnnDesktopError`` whose message is one line that names the file (where there is one) and the
problem. The CLI prints that line and exits with status 2; the app shows it in a message box. Anything
else that escapes is a bug in this project.
"""

from __future__ import annotations

from os import PathLike


class CnnDesktopError(Exception):
    """Base of every error a user can cause. ``str(error)`` is the one-line message shown to them."""


class DataError(CnnDesktopError):
    """An image, an IDX file, a folder or a collection that cannot be read or used."""


class ModelFileError(CnnDesktopError):
    """A model file that is missing, truncated, foreign, or does not fit its own description."""


class TrainingError(CnnDesktopError):
    """Training cannot start or had to stop (no data, one class only, a non-finite loss...)."""


class DownloadError(CnnDesktopError):
    """A data set could not be fetched: every mirror failed, or the destination folder is unusable."""


class EmptyDrawingError(CnnDesktopError):
    """The drawing has no ink: there is nothing to classify."""


def at(path: str | PathLike[str], problem: str) -> str:
    """Format the one-line message for a problem with a file: ``"<path>: <problem>"``."""
    return f"{path}: {problem}"


# Messages are one line, shown whole in a message box. Whatever they quote from a file (class names,
# tensor names, a value) goes through these: repr() so an escape code or a newline is shown, never
# sent to the terminal; cut short so a file cannot make a message of 90 kB.


def shown(value: object, limit: int = 40) -> str:
    """``value`` as repr() shows it, at most about ``limit`` characters of it."""
    if isinstance(value, int) and value.bit_length() > 128:  # repr() refuses ints beyond 4,300 digits
        return f"a {int(value.bit_length() * 0.30103) + 1:,}-digit {'negative ' if value < 0 else ''}number"
    text = repr(value)
    if len(text) <= limit + 2:  # + 2: the quotes
        return text
    if not isinstance(value, str):
        return text[:limit] + "..."
    cut = value[:limit]
    while len(repr(cut)) > limit + 2:  # escapes make repr longer than the text
        cut = cut[:-1]
    return f"{cut!r}... ({len(value):,} characters)"


def listed(names, most: int = 5, limit: int = 20) -> str:
    """Names as a list for a message: ``['a', 'b']``, or the first ``most`` then ``... and 9,995 more``."""
    names = list(names)
    items = [shown(name, limit) for name in names[:most]]
    if len(names) > most:
        items.append(f"... and {len(names) - most:,} more")
    return "[" + ", ".join(items) + "]"


def one_line(text: str, limit: int = 150) -> str:
    """Another library's message (torch's, safetensors'): on one line, printable, at most ``limit`` characters."""
    text = " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_error(error: BaseException) -> str:
    """A one-line description of an exception, for the ``(...)`` of a message: an OSError's strerror
    ("Permission denied", without the errno and path that ``at`` already gives), else its text, else
    its type's name; line breaks and runs of spaces become single spaces."""
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return " ".join(str(text).split())
