"""Utilities of LEViTPose: user-facing errors, config reading, safe and
strict checkpoint loading, crash-safe writes (the ``atomic_local`` file
backend)."""
from .atomic_file import ATOMIC_BACKEND_ARGS, AtomicLocalBackend
from .checkpoint import (InvalidCheckpointError, UnsafeCheckpointError,
                         safe_load_checkpoint)
from .config import config_errors, load_config, resolve_config
from .errors import (InvalidInputError, LEViTPoseError, MissingFileError,
                     UsageError, describe_error, report_uncaught_in_one_line)
from .strict_load import (CheckpointMismatchError, load_state_dict_strictly,
                          load_weights_strictly)

__all__ = [
    'ATOMIC_BACKEND_ARGS', 'AtomicLocalBackend', 'CheckpointMismatchError',
    'InvalidCheckpointError', 'InvalidInputError', 'LEViTPoseError',
    'MissingFileError', 'UnsafeCheckpointError', 'UsageError', 'config_errors',
    'describe_error', 'report_uncaught_in_one_line', 'load_config',
    'load_state_dict_strictly', 'load_weights_strictly', 'resolve_config',
    'safe_load_checkpoint'
]
