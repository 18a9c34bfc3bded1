"""Evaluate a checkpoint with MMEngine's Runner (MMPose's arguments).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--dump FILE.pkl] [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm,mpi}]

``--out`` writes the metrics (JSON/YAML/pickle by extension); ``--dump``
writes the predictions. ``mim test mmpose CONFIG -C CHECKPOINT`` runs
MMPose's own ``tools/test.py`` on the same config.
"""
import argparse
import sys

from mmengine.runner import Runner

import levitpose  # noqa: F401  registers modules, safe loading
from levitpose.engine import (MetricsDumpHook, UsageError, add_launch_args,
                              close_distributed, init_cpu_distributed,
                              load_config, merge_test_args, parse_launch_args)
from levitpose.utils import UnsafeCheckpointError, safe_load_checkpoint


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (MMPose's ``tools/test.py`` arguments)."""
    parser = argparse.ArgumentParser(description='Test (and evaluate) a '
                                     'pose model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save evaluation results')
    parser.add_argument('--out', help='the file to save the metrics to')
    parser.add_argument(
        '--dump',
        help='dump predictions to a .pkl file for offline '
        'evaluation')
    add_launch_args(parser, 'test_dataloader.batch_size=8')
    return parse_launch_args(parser, argv)


def main(argv=None) -> None:
    """Build the Runner from the config and test the checkpoint."""
    args = parse_args(argv)
    try:
        cfg = load_config(args.config)
        merge_test_args(
            cfg,
            args.config,
            args.checkpoint,
            work_dir=args.work_dir,
            dump=args.dump,
            launcher=args.launcher,
            cfg_options=args.cfg_options)
        safe_load_checkpoint(args.checkpoint)  # fail before building
        dump_hook = MetricsDumpHook(args.out) if args.out else None
    except (UsageError, UnsafeCheckpointError, ValueError) as err:
        sys.exit(f'test.py: error: {err}')
    init_cpu_distributed(cfg)  # gloo under torchrun when there is no GPU
    try:
        runner = Runner.from_cfg(cfg)
        if dump_hook is not None:
            runner.register_hook(dump_hook, 'LOWEST')
        runner.test()
    finally:
        close_distributed()


if __name__ == '__main__':
    main()
