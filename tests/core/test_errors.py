"""core/errors.py: the one helper that turns an exception into the ``(...)`` of a one-line message."""

import errno

from cnn_desktop.core.errors import describe_error


def test_an_os_error_is_described_by_its_strerror_without_errno_or_path():
    error = PermissionError(errno.EACCES, "Permission denied", "/some/file")
    assert describe_error(error) == "Permission denied"


def test_other_errors_by_their_text_on_one_line_else_their_type():
    assert describe_error(ValueError("bad\n  value")) == "bad value"
    assert describe_error(OSError("no strerror here")) == "no strerror here"
    assert describe_error(TimeoutError()) == "TimeoutError"
