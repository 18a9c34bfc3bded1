"""Training-engine extensions: hooks registered into MMPose's registries,
the tools' argument handling and checkpoint publishing."""
from .hooks import *  # noqa: F401,F403
from .hooks import __all__ as _hooks_all
from .publish import publish_checkpoint
from .runner_args import (UsageError, add_launch_args, close_distributed,
                          default_work_dir, init_cpu_distributed, load_config,
                          merge_test_args, merge_train_args, parse_launch_args)

__all__ = [
    *_hooks_all, 'UsageError', 'add_launch_args', 'close_distributed',
    'default_work_dir', 'init_cpu_distributed', 'load_config',
    'merge_test_args', 'merge_train_args', 'parse_launch_args',
    'publish_checkpoint'
]
