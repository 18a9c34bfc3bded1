"""Train a pose model with MMEngine's Runner (MMPose's arguments).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--no-validate] [--auto-scale-lr] [--show-dir DIR] [--show]
        [--interval N] [--wait-time S] [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm,mpi}]

``tools/dist_train.sh`` starts it under ``torchrun``; ``mim train mmpose
CONFIG`` runs MMPose's own ``tools/train.py`` on the same config. Errors:
one ``error:`` line, exit status 2 (usage) or 1 (bad input or data).
"""
import argparse
import functools
import sys

import levitpose  # noqa: F401  registers modules, safe loading
from levitpose.cli import (ToolParser, add_train_args, merge_train_args,
                           run_runner, run_tool)
from levitpose.utils import load_config


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (MMPose's ``tools/train.py`` arguments)."""
    parser = ToolParser(description='Train a pose model')
    add_train_args(parser)
    return parser.parse_args(argv)


def train(args: argparse.Namespace) -> None:
    """Build the Runner from the config and train."""
    cfg = merge_train_args(load_config(args.config), args)
    run_runner(cfg, 'train')


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(train, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
