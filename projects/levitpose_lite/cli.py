"""The command-line parser of every LEViTPose tool, torch-free.

It lives here, in the runtime that needs only NumPy, OpenCV and an inference
engine, so that the torch-free tools (``lite_benchmark.py``,
``quantize_onnx.py``) and the PyTorch ones (through
:mod:`levitpose.cli`) report usage errors alike.
"""
import argparse

__all__ = ['ToolParser', 'USAGE_EXIT_CODE']

#: Exit status of a command-line usage error, the same in every tool.
USAGE_EXIT_CODE = 2


class ToolParser(argparse.ArgumentParser):
    """``argparse`` parser that reports a usage error in one line on stderr
    (``error: <message> (see --help)``) and exits with status 2."""

    def error(self, message: str) -> None:
        self.exit(USAGE_EXIT_CODE, f'error: {message} (see --help)\n')
