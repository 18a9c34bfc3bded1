"""Train a pose model with MMEngine's Runner (MMPose's arguments).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

``tools/dist_train.sh`` starts it under ``torchrun``; ``mim train mmpose
CONFIG`` runs MMPose's own ``tools/train.py`` on the same config.
"""
import argparse
import sys

from mmengine.runner import Runner

import levitpose  # noqa: F401  registers modules, safe loading
from levitpose.datasets import AnnotationError
from levitpose.engine import (NonFiniteLossError, UsageError, add_launch_args,
                              close_distributed, init_cpu_distributed,
                              load_config, merge_train_args, parse_launch_args)
from levitpose.utils import InvalidCheckpointError, UnsafeCheckpointError

# errors that are the user's input, not a bug: one line, exit code 1
USER_ERRORS = (AnnotationError, InvalidCheckpointError, NonFiniteLossError,
               UnsafeCheckpointError)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (MMPose's ``tools/train.py`` arguments)."""
    parser = argparse.ArgumentParser(description='Train a pose model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, without a value, from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic mixed-precision training')
    add_launch_args(parser, 'train_cfg.max_epochs=2')
    return parse_launch_args(parser, argv)


def main(argv=None) -> None:
    """Build the Runner from the config and train."""
    args = parse_args(argv)
    try:
        cfg = load_config(args.config)
        merge_train_args(
            cfg,
            args.config,
            work_dir=args.work_dir,
            resume=args.resume,
            amp=args.amp,
            launcher=args.launcher,
            cfg_options=args.cfg_options)
    except UsageError as err:
        sys.exit(f'train.py: error: {err}')
    init_cpu_distributed(cfg)  # gloo under torchrun when there is no GPU
    try:
        Runner.from_cfg(cfg).train()
    except USER_ERRORS as err:
        sys.exit(f'train.py: error: {err}')
    finally:
        close_distributed()


if __name__ == '__main__':
    main()
