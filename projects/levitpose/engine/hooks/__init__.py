"""Hooks registered into ``mmpose.registry.HOOKS``."""
from .crash_safe_checkpoint_hook import CrashSafeCheckpointHook
from .metrics_dump_hook import MetricsDumpHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'CrashSafeCheckpointHook', 'MetricsDumpHook', 'NonFiniteLossError',
    'NonFiniteLossHook', 'RNGStateHook'
]
