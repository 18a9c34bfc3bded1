"""Utilities of LEViTPose (checkpoint safety, FLOP counting, ...)."""
from .checkpoint import (InvalidCheckpointError, UnsafeCheckpointError,
                         safe_load_checkpoint)
from .flops import get_config_complexity, get_model_complexity

__all__ = [
    'get_config_complexity', 'get_model_complexity', 'InvalidCheckpointError',
    'UnsafeCheckpointError', 'safe_load_checkpoint'
]
