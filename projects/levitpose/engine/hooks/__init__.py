"""Hooks registered into ``mmpose.registry.HOOKS``."""
from .crash_safe_checkpoint_hook import CrashSafeCheckpointHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook

__all__ = [
    'CrashSafeCheckpointHook', 'NonFiniteLossError', 'NonFiniteLossHook'
]
