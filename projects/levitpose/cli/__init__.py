"""Command-line plumbing of the PyTorch tools in ``tools/`` and ``demo/``:
MMPose's train/test argument sets, and (from :mod:`levitpose_lite.cli`,
shared with the torch-free tools) one-line usage errors, the options several
tools declare alike, and user-facing errors turned into exit statuses. Not
imported by ``import levitpose``."""
from levitpose_lite.cli import (ToolParser, add_int_options, add_out_dir,
                                check_least, run_tool)
from .runner_args import (add_cfg_options, add_test_args, add_train_args,
                          close_distributed, default_work_dir,
                          init_cpu_distributed, merge_test_args,
                          merge_train_args, run_runner)

__all__ = [
    'ToolParser', 'run_tool', 'add_int_options', 'add_out_dir', 'check_least',
    'add_cfg_options', 'add_test_args', 'add_train_args', 'close_distributed',
    'default_work_dir', 'init_cpu_distributed', 'merge_test_args',
    'merge_train_args', 'run_runner'
]
