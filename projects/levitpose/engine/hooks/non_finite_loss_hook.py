"""Stop training at the first iteration whose loss is NaN or infinite."""
import math
from typing import Any, Dict, Optional

from mmengine.hooks import Hook
from mmpose.registry import HOOKS

from levitpose.utils.errors import LEViTPoseError, report_uncaught_in_one_line

__all__ = ['NonFiniteLossError', 'NonFiniteLossHook']


class NonFiniteLossError(LEViTPoseError, FloatingPointError):
    """A training loss became NaN or infinite (bad data or learning rate:
    a user-facing error, exit status 1)."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` when a loss is NaN or infinite.

    Runs right after each training iteration, before any checkpoint hook
    (priority ``'VERY_HIGH'``), so the broken state is never saved and the
    last checkpoint on disk stays the last good one. The message names the
    iteration, the epoch and every non-finite loss key.

    Args:
        loss_key (str): Only log variables whose name contains this are
            checked (MMPose returns ``loss``, ``loss_kpt``, ``acc_pose``).
            Defaults to ``'loss'``.
    """
    priority = 'VERY_HIGH'

    def __init__(self, loss_key: str = 'loss') -> None:
        if not isinstance(loss_key, str) or not loss_key:
            raise ValueError(
                f'loss_key must be a non-empty str, got {loss_key!r}')
        self.loss_key = loss_key

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Any = None,
                         outputs: Optional[Dict[str, Any]] = None) -> None:
        """Check the log variables returned by ``train_step``."""
        bad = {}
        for key, value in (outputs or {}).items():
            if self.loss_key not in key:
                continue
            if hasattr(value, 'detach'):  # a tensor, maybe with grad
                value = value.detach()
            value = float(value)
            if not math.isfinite(value):
                bad[key] = value
        if not bad:
            return
        losses = ', '.join(f'{key}={value}' for key, value in bad.items())
        last = runner.message_hub.get_info('last_ckpt')
        kept = (f'the last good checkpoint is {last}'
                if last else 'no checkpoint was saved yet')
        message = (
            f'Non-finite loss at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}, batch {batch_idx + 1}): {losses}. '
            f'Training stopped before saving this state; {kept}. Lower the '
            'learning rate or check the data.')
        runner.logger.error(message)
        report_uncaught_in_one_line()  # `mim train`: no traceback
        raise NonFiniteLossError(message)
