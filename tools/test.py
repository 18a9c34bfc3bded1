"""Evaluate a checkpoint with MMEngine's Runner (MMPose's arguments).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--dump FILE.pkl] [--show-dir DIR] [--show] [--badcase]
        [--interval N] [--wait-time S] [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm,mpi}]

``--out`` writes the metrics (JSON/YAML/pickle by extension); ``--dump``
writes the predictions. A checkpoint that does not fit the config is
refused, naming its keys. ``mim test mmpose CONFIG -C CHECKPOINT`` runs
MMPose's own ``tools/test.py`` on the same config. Errors: one ``error:``
line, exit status 2 (usage) or 1 (bad input or data).
"""
import argparse
import functools
import sys

import levitpose  # noqa: F401  registers modules, safe loading
from levitpose.cli import (ToolParser, add_test_args, merge_test_args,
                           run_runner, run_tool)
from levitpose.engine import MetricsDumpHook
from levitpose.utils import load_config


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (MMPose's ``tools/test.py`` arguments)."""
    parser = ToolParser(description='Test (and evaluate) a pose model')
    add_test_args(parser)
    return parser.parse_args(argv)


def test(args: argparse.Namespace) -> None:
    """Build the Runner from the config and test the checkpoint."""
    cfg = merge_test_args(load_config(args.config), args)
    hooks = [MetricsDumpHook(args.out)] if args.out else []
    run_runner(cfg, 'test', hooks)


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(test, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
