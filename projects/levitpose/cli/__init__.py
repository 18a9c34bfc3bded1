"""Command-line plumbing of the tools in ``tools/`` and ``demo/``: one-line
usage errors, user-facing errors turned into exit statuses, and MMPose's
train/test argument sets. Not imported by ``import levitpose``."""
from .runner_args import (add_cfg_options, add_test_args, add_train_args,
                          close_distributed, default_work_dir,
                          init_cpu_distributed, merge_test_args,
                          merge_train_args, run_runner)
from .tool import INTERRUPTED, ToolParser, run_tool

__all__ = [
    'INTERRUPTED', 'ToolParser', 'run_tool', 'add_cfg_options',
    'add_test_args', 'add_train_args', 'close_distributed', 'default_work_dir',
    'init_cpu_distributed', 'merge_test_args', 'merge_train_args', 'run_runner'
]
