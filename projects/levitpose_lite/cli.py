"""What every LEViTPose command-line tool shares, torch-free: a parser whose
usage errors are one line, and the one place user-facing errors
(:class:`~levitpose_lite.errors.ToolError`) become an exit status.

It lives here, in the runtime that needs only NumPy, OpenCV and an inference
engine, so that the torch-free tools (``lite_benchmark.py``,
``quantize_onnx.py``, ``video_benchmark.py``...) and the PyTorch ones
(through :mod:`levitpose.cli`) report errors alike.
"""
import argparse
import sys
from typing import Callable, Optional, Sequence

from .errors import USAGE_EXIT_CODE, ToolError

__all__ = ['ToolParser', 'run_tool', 'command_line', 'INTERRUPTED']

#: Exit status after Ctrl+C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


class ToolParser(argparse.ArgumentParser):
    """``argparse`` parser that reports a usage error in one line on stderr
    (``error: <message> (see --help)``) and exits with status 2."""

    def error(self, message: str) -> None:
        self.exit(USAGE_EXIT_CODE, f'error: {message} (see --help)\n')


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
