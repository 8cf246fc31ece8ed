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


def describe_error(error: BaseException) -> str:
    """A one-line description of an exception, for the ``(...)`` of a message: an OSError's strerror
    ("Permission denied", without the errno and path that ``at`` already gives), else its text, else
    its type's name; line breaks and runs of spaces become single spaces."""
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return " ".join(str(text).split())
