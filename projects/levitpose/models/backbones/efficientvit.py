"""EfficientViT (MSRA) backbone, the pose baseline of the LEViTPose paper.

EfficientViT: Memory Efficient Vision Transformer with Cascaded Group
Attention (Liu et al., CVPR 2023, https://arxiv.org/abs/2305.07027),
re-implemented after the paper and timm's ``efficientvit_msra.py``, with
windows padded so that any ``(H, W)`` multiple of 16 works.
"""
from typing import Dict, Sequence, Tuple, Union

from mmpose.registry import MODELS
from mmpose.utils.typing import OptConfigType
from torch import Tensor, nn

from ..layers import (ConvBN, ConvFFN, LocalWindowAttention, PatchMerging,
                      Residual, SandwichBlock)
from .staged_backbone import StagedBackbone

__all__ = ['EfficientViT']


class _PatchEmbed(nn.Sequential):
    """Four ``3x3/2`` convolutions (widths C/8, C/4, C/2, C): stride 16."""

    def __init__(self, in_channels: int, dim: int) -> None:
        super().__init__()
        widths = (dim // 8, dim // 4, dim // 2, dim)
        for i, width in enumerate(widths):
            if i:
                self.add_module(f'act{i}', nn.ReLU())
            self.add_module(f'conv{i + 1}', ConvBN(in_channels, width, 3, 2))
            in_channels = width


def _dw_ffn(dim: int) -> nn.Sequential:
    """The residual ``DWConv -> FFN`` pair around a patch merging."""
    return nn.Sequential(
        Residual(ConvBN(dim, dim, 3, groups=dim, zero_init=True)),
        Residual(ConvFFN(dim, dim * 2)))


@MODELS.register_module()
class EfficientViT(StagedBackbone):
    """EfficientViT backbone (stride 16 at stages 1-3, as in the paper).

    Args:
        arch (str | dict): ``'m0'`` or a dict with :attr:`arch_keys`.
            Defaults to ``'m0'``.
        in_channels (int): Image channels. Defaults to 3.
        out_indices (Sequence[int]): Stages to return (strides 16, 32, 64).
            Defaults to ``(2, )``.
        frozen_stages (int): Stages ``0..frozen_stages`` (the patch embed
            is part of stage 0) are frozen. Defaults to -1.
        norm_eval (bool): Keep BatchNorms in eval mode while training.
            Defaults to False.
        deploy (bool): Build with BN fused and attention biases gathered.
            Defaults to False.
        init_cfg (dict | list[dict], optional): See :class:`BaseModule`.
            Defaults to None.
    """

    arch_keys = ('embed_dims', 'depths', 'num_heads', 'key_dims', 'window',
                 'kernels')
    #: EfficientViT-M0 from the paper's Table: widths, blocks, heads and
    #: query/key channels per stage; window side; query depthwise kernels.
    arch_zoo: Dict[str, dict] = {
        'm0':
        dict(
            embed_dims=(64, 128, 192),
            depths=(1, 2, 3),
            num_heads=(4, 4, 4),
            key_dims=(16, 16, 16),
            window=7,
            kernels=(5, 5, 5, 5)),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'm0',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 deploy: bool = False,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in self.arch_zoo:
                raise ValueError(f'arch {arch!r} is not one of '
                                 f'{sorted(self.arch_zoo)} (or a dict)')
            arch = self.arch_zoo[arch]
        elif not isinstance(arch, dict) or set(arch) != set(self.arch_keys):
            raise ValueError(f'arch must be one of {sorted(self.arch_zoo)} '
                             f'or a dict with keys {self.arch_keys}, got '
                             f'{arch!r}')
        self.arch = dict(arch)
        dims = self.arch['embed_dims']
        self._init_stages_options(
            len(dims), out_indices, frozen_stages, norm_eval, dims)
        self.stages = nn.ModuleList()
        for i, dim in enumerate(dims):
            stage = nn.Sequential()
            if i == 0:
                stage.add_module('embed', _PatchEmbed(in_channels, dim))
            else:
                stage.add_module('pre', _dw_ffn(dims[i - 1]))
                stage.add_module('merge', PatchMerging(dims[i - 1], dim))
                stage.add_module('post', _dw_ffn(dim))
            for j in range(self.arch['depths'][i]):
                mixer = LocalWindowAttention(
                    dim,
                    self.arch['key_dims'][i],
                    self.arch['num_heads'][i],
                    window=self.arch['window'],
                    kernels=self.arch['kernels'])
                stage.add_module(f'block{j}', SandwichBlock(dim, mixer, 2))
            self.stages.append(stage)
        self._finish_init(deploy)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Features ``(B, C_i, H / s_i, W / s_i)`` of :attr:`out_indices`.

        Args:
            x (Tensor): Images ``(B, C, H, W)``.

        Returns:
            tuple[Tensor]: One feature map per selected stage.
        """
        return self._forward_stages(x)
