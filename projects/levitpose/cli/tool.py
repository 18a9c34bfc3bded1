"""What every command-line tool shares: a parser whose usage errors are one
line, and the one place user-facing errors become an exit status."""
import sys
from typing import Callable, Optional

from levitpose.utils.errors import LEViTPoseError
from levitpose_lite.cli import ToolParser

__all__ = ['ToolParser', 'run_tool', 'INTERRUPTED']

#: Exit status after Ctrl+C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


def run_tool(func: Callable[[], Optional[int]],
             interrupted: str = 'interrupted') -> int:
    """Run a tool's body; turn its user-facing errors into an exit status.

    A :class:`~levitpose.utils.LEViTPoseError` prints ``error: <message>``
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
    except LEViTPoseError as err:
        print(f'error: {err}', file=sys.stderr, flush=True)
        return err.exit_code
    except KeyboardInterrupt:
        print(f'error: {interrupted}', file=sys.stderr, flush=True)
        return INTERRUPTED
