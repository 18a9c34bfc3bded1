"""What LEViTPose and EfficientViT share: a list of stages, of which some
are returned, some frozen, and all fused for deployment."""
from numbers import Integral
from typing import Optional, Sequence, Tuple, Union

from mmpose.models.backbones.base_backbone import BaseBackbone
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..layers import fuse_modules

__all__ = ['StagedBackbone', 'parse_out_indices']


def parse_out_indices(out_indices: Union[int, Sequence[int]],
                      num_stages: int) -> Tuple[int, ...]:
    """Normalise ``out_indices`` to sorted non-negative stage indices.

    Raises:
        ValueError: if an index is outside ``[-num_stages, num_stages)``.
    """
    if isinstance(out_indices, Integral):
        out_indices = (out_indices, )
    allowed = range(-num_stages, num_stages)
    if (not isinstance(out_indices, (tuple, list)) or not out_indices
            or any(not isinstance(i, Integral) or i not in allowed
                   for i in out_indices)):
        raise ValueError(
            f'out_indices must be a non-empty sequence of ints in '
            f'[{-num_stages}, {num_stages - 1}], got {out_indices!r}')
    return tuple(sorted({int(i) % num_stages for i in out_indices}))


class StagedBackbone(BaseBackbone):
    """Base of the backbones here: ``self.stages`` run one after another.

    Subclasses call :meth:`_init_stages_options` before building
    ``self.stages`` (an :class:`nn.ModuleList`) and :meth:`_finish_init`
    after it.

    Args:
        init_cfg (dict | list[dict], optional): See :class:`BaseModule`.
    """

    stages: nn.ModuleList

    def _init_stages_options(self, num_stages: int,
                             out_indices: Union[int, Sequence[int]],
                             frozen_stages: int, norm_eval: bool,
                             dims: Sequence[int]) -> None:
        """Validate and store the options every staged backbone takes.

        Raises:
            ValueError: on a bad ``out_indices`` or ``frozen_stages``.
        """
        self.out_indices = parse_out_indices(out_indices, num_stages)
        if (isinstance(frozen_stages, bool)
                or not isinstance(frozen_stages, Integral)
                or not -1 <= frozen_stages < num_stages):
            raise ValueError(f'frozen_stages must be an int in '
                             f'[-1, {num_stages - 1}], got {frozen_stages!r}')
        self.frozen_stages = int(frozen_stages)
        self.norm_eval = norm_eval
        self.out_channels = tuple(dims[i] for i in self.out_indices)

    def _finish_init(self, deploy: bool) -> None:
        """Fuse now if built for deployment; freeze the frozen stages."""
        self.deploy = False
        if deploy:
            self.switch_to_deploy()
        self._freeze_stages()

    def _forward_stages(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run every stage; keep the outputs of :attr:`out_indices`."""
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        """Put stages ``0..frozen_stages`` in eval mode, without grads."""
        for stage in self.stages[:self.frozen_stages + 1]:
            stage.eval()
            for param in stage.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'StagedBackbone':
        """Set the mode, keeping frozen stages and (``norm_eval``)
        BatchNorms in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def switch_to_deploy(self, test_cfg: Optional[dict] = None) -> None:
        """Prepare every sub-module for deployment (its own
        ``switch_to_deploy``, e.g. gathering attention biases), then fold
        every BatchNorm into the Conv/Linear before it, in place.

        Idempotent: :class:`BasePoseEstimator` calls this on every
        sub-module that defines it, so a second call does nothing.

        Args:
            test_cfg (dict, optional): Unused; accepted for MMPose's
                estimator interface. Defaults to None.
        """
        if self.deploy:
            return
        for module in self.modules():
            if module is not self and hasattr(module, 'switch_to_deploy'):
                module.switch_to_deploy()
        fuse_modules(self)
        self.deploy = True
        self._freeze_stages()
