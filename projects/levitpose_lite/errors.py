"""The errors a LEViTPose tool reports to its user, torch-free.

Every user-facing error is a :class:`ToolError`: its message is one line
that names the bad value and what was expected, and its
:attr:`~ToolError.exit_code` is the status the tool exits with
(:func:`levitpose_lite.cli.run_tool` prints ``error: <message>``); anything
else is a bug and keeps its traceback. Exit statuses, the same in every
tool:

* ``2``: the command line itself is wrong (an unknown option, an option
  value out of range, options that contradict each other):
  :class:`UsageError`;
* ``1``: the command line is well formed but what it names is bad (a
  missing or unreadable file, a model or data that cannot be used): every
  other error.

The PyTorch package builds on these (``levitpose.utils.LEViTPoseError`` is
a :class:`ToolError`), so the torch-free tools and the PyTorch ones report
errors alike.
"""
import os

__all__ = [
    'ToolError', 'UsageError', 'InvalidInputError', 'MissingFileError',
    'USAGE_EXIT_CODE', 'check_file', 'describe_error', 'first_line'
]

#: Exit status of a command-line usage error, the same in every tool.
USAGE_EXIT_CODE = 2


class ToolError(Exception):
    """Base class of the user-facing errors (exit status 1)."""

    exit_code = 1


class UsageError(ToolError, ValueError):
    """A bad command-line option or combination of options (exit status 2).
    """

    exit_code = USAGE_EXIT_CODE


class InvalidInputError(ToolError, ValueError):
    """A user-supplied file or value cannot be used (a model, an image, a
    video, an annotation file...)."""


class MissingFileError(InvalidInputError, FileNotFoundError):
    """A path given by the user does not exist."""


def first_line(err: BaseException) -> str:
    """The first line of ``err``'s message (its type name if the message is
    empty), for reporting a library's error in one line.

    Args:
        err (BaseException): Any exception.

    Returns:
        str: One line.
    """
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def describe_error(err: BaseException) -> str:
    """``'TypeName: first line of the message'`` (the type alone if the
    message is empty), for wrapping a library's error in one line.

    Args:
        err (BaseException): Any exception.

    Returns:
        str: One line.
    """
    name = type(err).__name__
    return f'{name}: {first_line(err)}' if str(err).strip() else name


def check_file(path: str, what: str) -> None:
    """Refuse a path that is not a file, naming it as the user knows it.

    Args:
        path (str): The path given by the user.
        what (str): What it should be, e.g. ``'ONNX model'`` or
            ``'--ann-file'``.

    Raises:
        MissingFileError: ``<what> <path> does not exist``.
        InvalidInputError: ``<what> <path> is a folder, not a file``.
    """
    if os.path.isdir(path):
        raise InvalidInputError(f'{what} {path} is a folder, not a file')
    if not os.path.isfile(path):
        raise MissingFileError(f'{what} {path} does not exist')
