"""The errors LEViTPose reports to its users, built on the torch-free ones.

Every user-facing error of the package is a :class:`LEViTPoseError`, which
is a :class:`levitpose_lite.errors.ToolError`: its message is one line that
names the bad value and what was expected, and its
:attr:`~LEViTPoseError.exit_code` is the status a command-line tool exits
with (2 for a usage error, 1 for everything else; see
:mod:`levitpose_lite.errors`). Tools catch that one type
(:func:`levitpose_lite.cli.run_tool`) and print ``error: <message>``;
anything else is a bug and keeps its traceback.

Errors raised inside a Runner that is not one of our tools (``mim train``
and ``mim test`` run MMPose's own ``tools/train.py``/``tools/test.py``,
which catch nothing) reach the interpreter uncaught; the configs'
checkpoint hook calls :func:`report_uncaught_in_one_line` when the Runner
builds it, so there too the user sees one ``error:`` line (and status 1)
instead of a traceback.
"""
import sys

from levitpose_lite import errors as lite
from levitpose_lite.errors import ToolError, describe_error

__all__ = [
    'LEViTPoseError', 'UsageError', 'InvalidInputError', 'MissingFileError',
    'describe_error', 'report_uncaught_in_one_line'
]


class LEViTPoseError(ToolError):
    """Base class of the package's user-facing errors (exit status 1)."""


class UsageError(LEViTPoseError, lite.UsageError):
    """A bad command-line option or combination of options (exit status 2).
    """


class InvalidInputError(LEViTPoseError, lite.InvalidInputError):
    """A user-supplied file or value cannot be used (path, device,
    checkpoint, image...)."""


class MissingFileError(InvalidInputError, lite.MissingFileError):
    """A path given by the user does not exist."""


def _one_line_excepthook(previous):
    """A ``sys.excepthook`` printing an uncaught
    :class:`~levitpose_lite.errors.ToolError` as one ``error:`` line and
    passing anything else to ``previous``."""

    def excepthook(exc_type, exc, tb):
        if isinstance(exc, ToolError):
            print(f'error: {exc}', file=sys.stderr, flush=True)
        else:
            previous(exc_type, exc, tb)

    excepthook.levitpose_one_line = True
    return excepthook


def report_uncaught_in_one_line() -> None:
    """Make an uncaught :class:`LEViTPoseError` print ``error: <message>``.

    Called when a Runner builds the configs' checkpoint hook, for processes
    whose entry point does not catch it (MMPose's tools under ``mim``), and
    by :class:`~levitpose.engine.hooks.NonFiniteLossHook` before it raises:
    the interpreter then prints one line instead of the traceback and exits
    with status 1, as :func:`levitpose_lite.cli.run_tool` does. Other uncaught
    exceptions keep the previous hook (their traceback). Callers that catch
    the error are not affected; calling it again changes nothing.
    """
    if not getattr(sys.excepthook, 'levitpose_one_line', False):
        sys.excepthook = _one_line_excepthook(sys.excepthook)
