"""The errors LEViTPose reports to its users, and how a tool reports them.

Every user-facing error of the package is a :class:`LEViTPoseError`: its
message is one line that names the bad value and what was expected, and its
:attr:`~LEViTPoseError.exit_code` is the status a command-line tool exits
with. Tools catch this one type (``levitpose.cli.run_tool``) and print
``error: <message>``; anything else is a bug and keeps its traceback.

Exit statuses, the same in every tool:

* ``2``: the command line itself is wrong (an unknown option, an option
  value out of range, options that contradict each other):
  :class:`UsageError`;
* ``1``: the command line is well formed but what it names is bad (a
  missing or corrupt file, a checkpoint that does not fit its config, an
  unreadable image, a training loss that became NaN): every other error.

Errors raised inside a Runner that is not one of our tools (``mim train``
and ``mim test`` run MMPose's own ``tools/train.py``/``tools/test.py``,
which catch nothing) reach the interpreter uncaught; the configs'
checkpoint hook calls :func:`report_uncaught_in_one_line` when the Runner
builds it, so there too the user sees one ``error:`` line (and status 1)
instead of a traceback.
"""
import sys

__all__ = [
    'LEViTPoseError', 'UsageError', 'InvalidInputError', 'MissingFileError',
    'describe_error', 'report_uncaught_in_one_line'
]


class LEViTPoseError(Exception):
    """Base class of the package's user-facing errors (exit status 1)."""

    exit_code = 1


class UsageError(LEViTPoseError, ValueError):
    """A bad command-line option or combination of options (exit status 2).
    """

    exit_code = 2


class InvalidInputError(LEViTPoseError, ValueError):
    """A user-supplied file or value cannot be used (path, device,
    checkpoint, image...)."""


class MissingFileError(InvalidInputError, FileNotFoundError):
    """A path given by the user does not exist."""


def describe_error(err: BaseException) -> str:
    """``'TypeName: first line of the message'`` (the type alone if the
    message is empty), for wrapping a library's error in one line.

    Args:
        err (BaseException): Any exception.

    Returns:
        str: One line.
    """
    lines = str(err).strip().splitlines()
    return f'{type(err).__name__}: {lines[0]}' if lines else \
        type(err).__name__


def _one_line_excepthook(previous):
    """A ``sys.excepthook`` printing an uncaught :class:`LEViTPoseError` as
    one ``error:`` line and passing anything else to ``previous``."""

    def excepthook(exc_type, exc, tb):
        if isinstance(exc, LEViTPoseError):
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
    with status 1, as :func:`levitpose.cli.run_tool` does. Other uncaught
    exceptions keep the previous hook (their traceback). Callers that catch
    the error are not affected; calling it again changes nothing.
    """
    if not getattr(sys.excepthook, 'levitpose_one_line', False):
        sys.excepthook = _one_line_excepthook(sys.excepthook)
