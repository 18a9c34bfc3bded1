"""What every LEViTPose command-line tool shares, torch-free: a parser whose
usage errors are one line, the options several tools declare alike
(``--out-dir``; integer options from a table, checked against their least
values with one message), and the one place
user-facing errors (:class:`~levitpose_lite.errors.ToolError`) become an
exit status.

It lives here, in the runtime that needs only NumPy, OpenCV and an inference
engine, so that the torch-free tools (``lite_benchmark.py``,
``quantize_onnx.py``, ``video_benchmark.py``...) and the PyTorch ones
(through :mod:`levitpose.cli`) report errors alike.
"""
import argparse
import sys
from typing import Callable, Iterable, Optional, Sequence, Tuple

from .errors import USAGE_EXIT_CODE, ToolError, UsageError

__all__ = [
    'ToolParser', 'run_tool', 'command_line', 'add_out_dir', 'add_int_options',
    'check_least', 'INTERRUPTED'
]

#: Exit status after Ctrl+C (128 + SIGINT), as shells report it.
INTERRUPTED = 130

#: An integer option: ``(flag, default, help)``.
IntOption = Tuple[str, Optional[int], str]


class ToolParser(argparse.ArgumentParser):
    """``argparse`` parser that reports a usage error in one line on stderr
    (``error: <message> (see --help)``) and exits with status 2."""

    def error(self, message: str) -> None:
        self.exit(USAGE_EXIT_CODE, f'error: {message} (see --help)\n')


def add_out_dir(parser: argparse.ArgumentParser, default: Optional[str],
                what: str) -> None:
    """Declare ``--out-dir``, the folder a tool writes its report to.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        default (str, optional): The folder when none is given.
        what (str): The files written there, for the help text
            (``where <what> go``).
    """
    parser.add_argument('--out-dir', default=default, help=f'where {what} go')


def add_int_options(parser: argparse.ArgumentParser,
                    options: Iterable[IntOption]) -> None:
    """Declare integer options (counts, threads, rounds...) from a table.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        options (Iterable[IntOption]): ``(flag, default, help)`` per
            option, in the order ``--help`` lists them.
    """
    for flag, default, text in options:
        parser.add_argument(flag, type=int, default=default, help=text)


def check_least(args: argparse.Namespace,
                minimums: Iterable[Tuple[str, int]]) -> None:
    """Refuse the first option whose value is below its least one.

    Args:
        args (argparse.Namespace): The parsed options.
        minimums (Iterable[tuple[str, int]]): ``(flag, least value)`` per
            option, in the order they are checked; an option left unset
            (None) passes, and each value of a list option (``nargs``) is
            checked.

    Raises:
        UsageError: ``<flag> must be >= <least>, got <value>``.
    """
    for flag, minimum in minimums:
        given = getattr(args, flag.lstrip('-').replace('-', '_'))
        for value in given if isinstance(given, (list, tuple)) else [given]:
            if value is not None and value < minimum:
                raise UsageError(f'{flag} must be >= {minimum}, got {value}')


def run_tool(func: Callable[[], Optional[int]],
             interrupted: str = 'interrupted') -> int:
    """Run a tool's body; turn its user-facing errors into an exit status.

    A :class:`~levitpose_lite.errors.ToolError` prints ``error: <message>``
    on stderr and returns its ``exit_code`` (2 usage, 1 bad input or
    data); Ctrl+C prints ``error: <interrupted>`` and returns 130. Any other
    exception is a bug and propagates with its traceback.

    Args:
        func (Callable[[], int | None]): The tool's body; its return value
            (None meaning 0) is the exit status.
        interrupted (str): What to say after Ctrl+C. Defaults to
            ``'interrupted'``.

    Returns:
        int: The exit status.
    """
    try:
        return func() or 0
    except ToolError as err:
        print(f'error: {err}', file=sys.stderr, flush=True)
        return err.exit_code
    except KeyboardInterrupt:
        print(f'error: {interrupted}', file=sys.stderr, flush=True)
        return INTERRUPTED


def command_line(tool: str, argv: Optional[Sequence[str]] = None) -> str:
    """The command that ran a tool, as its reports record it.

    Args:
        tool (str): The tool's path from the repository root.
        argv (Sequence[str], optional): Its arguments. Defaults to None
            (``sys.argv[1:]``).

    Returns:
        str: ``python <tool> <arguments>``.
    """
    return ' '.join(
        ['python', tool, *(sys.argv[1:] if argv is None else argv)])
