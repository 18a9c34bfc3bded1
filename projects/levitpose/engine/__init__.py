"""Training-engine extensions (hooks) registered into MMPose's registries."""
from .hooks import *  # noqa: F401,F403
from .runner_args import (UsageError, default_work_dir, load_config,
                          merge_test_args, merge_train_args)
from .hooks import __all__ as _hooks_all

__all__ = [
    *_hooks_all, 'UsageError', 'default_work_dir', 'load_config',
    'merge_test_args', 'merge_train_args'
]
