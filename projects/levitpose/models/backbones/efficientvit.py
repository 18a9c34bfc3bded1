"""EfficientViT (MSRA) backbone, the pose baseline of the LEViTPose paper.

EfficientViT: Memory Efficient Vision Transformer with Cascaded Group
Attention (Liu et al., CVPR 2023, https://arxiv.org/abs/2305.07027),
re-implemented after the paper and timm's ``efficientvit_msra.py``, with its
three stages at strides 4, 8 and 16 as in the LEViTPose paper's baseline
(the classification model's stem goes to stride 16). :class:`LEViTPose`
subclasses it, replacing the stem and the attention.
"""
from numbers import Integral
from typing import Dict, Sequence, Tuple, Union

import torch
from mmpose.registry import MODELS
from mmpose.utils.typing import OptConfigType
from torch import Tensor, nn

from ..layers import ConvStem, LocalWindowAttention, SandwichBlock, Subsample
from .staged_backbone import StagedBackbone

__all__ = ['EfficientViT', 'parse_input_size']

#: The last stage is at stride 16; the heads restore stride 4 exactly.
SIZE_DIVISOR = 16


def parse_input_size(input_size: Sequence[int]) -> Tuple[int, int]:
    """Validate an ``(w, h)`` input size: two positive multiples of 16.

    Raises:
        ValueError: naming the bad value and what is allowed.
    """
    if (not isinstance(input_size, (tuple, list)) or len(input_size) != 2
            or not all(
                isinstance(v, Integral) and not isinstance(v, bool)
                for v in input_size)):
        raise ValueError('input_size must be a (w, h) pair of ints, got '
                         f'{input_size!r}')
    w, h = (int(v) for v in input_size)
    if w <= 0 or h <= 0 or w % SIZE_DIVISOR or h % SIZE_DIVISOR:
        raise ValueError(f'input_size (w, h) must be positive multiples of '
                         f'{SIZE_DIVISOR} (e.g. (192, 256), (256, 256), '
                         f'(288, 384)), got {input_size!r}')
    return w, h


@MODELS.register_module()
class EfficientViT(StagedBackbone):
    """EfficientViT backbone with stages at strides 4, 8 and 16.

    Stage 1 is a stem to stride 4 then blocks; stages 2 and 3 are
    EfficientViT's subsample (``DWConv -> FFN``, patch merging,
    ``DWConv -> FFN``) then blocks. A block is the sandwich
    ``DWConv -> FFN -> attention -> DWConv -> FFN`` (each residual) with
    cascaded group attention in local windows.

    Args:
        arch (str | dict): A key of :attr:`arch_zoo` or a dict with every
            key of :attr:`arch_keys`. Defaults to ``'m0'``.
        input_size (tuple[int, int]): ``(w, h)`` as in MMPose codecs, both
            multiples of 16; sizes the attention windows (the reference
            rule ``window = min(window, resolution)``). Defaults to
            ``(192, 256)``.
        in_channels (int): Image channels. Defaults to 3.
        out_indices (Sequence[int]): Stages to return (0, 1, 2 at strides
            4, 8, 16; negative counts from the end). Defaults to ``(2, )``.
        frozen_stages (int): Stages ``0..frozen_stages`` are frozen (eval
            mode, no gradients); -1 freezes nothing. Defaults to -1.
        norm_eval (bool): Keep BatchNorms in eval mode while training.
            Defaults to False.
        drop_path_rate (float): Stochastic depth, increasing linearly over
            the blocks to this value (EfficientViT: 0). Defaults to 0.
        deploy (bool): Build with BN fused and attention biases gathered
            (to load a checkpoint saved after :meth:`switch_to_deploy`).
            Defaults to False.
        init_cfg (dict | list[dict], optional): See :class:`BaseModule`.
            Defaults to None (PyTorch initialisation; the last BN of every
            residual branch in a block starts at zero, as in EfficientViT).
    """

    arch_keys: Tuple[str, ...] = ('embed_dims', 'depths', 'num_heads',
                                  'key_dims', 'window', 'kernels')
    #: EfficientViT-M0 (its paper's Table): widths, blocks, heads and
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
    #: FFN hidden channels over the width (EfficientViT: 2).
    ffn_ratio = 2.
    #: Stride of the stem (stage 1's resolution).
    stem_stride = 4

    def __init__(self,
                 arch: Union[str, dict] = 'm0',
                 input_size: Tuple[int, int] = (192, 256),
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 drop_path_rate: float = 0.,
                 deploy: bool = False,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch = self._parse_arch(arch)
        self.input_size = parse_input_size(input_size)
        dims = self.arch['embed_dims']
        self._init_stages_options(
            len(dims), out_indices, frozen_stages, norm_eval, dims)
        if not 0. <= drop_path_rate < 1.:
            raise ValueError(
                f'drop_path_rate must be in [0, 1), got {drop_path_rate!r}')
        total = sum(self.arch['depths'])
        rates = [drop_path_rate * i / max(total - 1, 1) for i in range(total)]
        w, h = self.input_size
        stride = self.stem_stride
        self.stages = nn.ModuleList()
        for i, (dim, depth) in enumerate(zip(dims, self.arch['depths'])):
            stage = nn.Sequential()
            if i == 0:
                stage.add_module('embed', self._make_stem(in_channels, dim))
            else:
                stride *= Subsample.stride
                stage.add_module('embed',
                                 Subsample(dims[i - 1], dim, self.ffn_ratio))
            resolution = (h // stride, w // stride)
            for j in range(depth):
                stage.add_module(
                    f'block{j}',
                    SandwichBlock(
                        dim,
                        self._make_mixer(i, resolution),
                        self.ffn_ratio,
                        drop_path=rates.pop(0)))
            self.stages.append(stage)
        self._finish_init(deploy)

    @classmethod
    def _parse_arch(cls, arch: Union[str, dict]) -> dict:
        """Look ``arch`` up in :attr:`arch_zoo` or check a custom dict.

        Raises:
            ValueError: naming the unknown name or the bad keys.
        """
        if isinstance(arch, str):
            if arch not in cls.arch_zoo:
                raise ValueError(f'arch {arch!r} is not one of '
                                 f'{sorted(cls.arch_zoo)} (or a dict)')
            return dict(cls.arch_zoo[arch])
        if not isinstance(arch, dict):
            raise ValueError(f'arch must be one of {sorted(cls.arch_zoo)} '
                             f'or a dict, got {type(arch).__name__}')
        missing = set(cls.arch_keys) - set(arch)
        unknown = set(arch) - set(cls.arch_keys)
        if missing or unknown:
            raise ValueError(
                f'a custom arch needs exactly the keys {cls.arch_keys}; '
                f'missing {sorted(missing)}, unknown {sorted(unknown)}')
        num_stages = len(arch['embed_dims'])
        for key in cls.per_stage_keys():
            if len(arch[key]) != num_stages:
                raise ValueError(f'arch[{key!r}] has {len(arch[key])} '
                                 f'entries, embed_dims has {num_stages}')
        return dict(arch)

    @classmethod
    def per_stage_keys(cls) -> Tuple[str, ...]:
        """The :attr:`arch_keys` holding one value per stage."""
        return ('depths', 'num_heads', 'key_dims')

    def _make_stem(self, in_channels: int, dim: int) -> nn.Module:
        """The stem to stride 4 (EfficientViT's, cut to two convs)."""
        return ConvStem(in_channels, dim)

    def _make_mixer(self, stage: int, resolution: Tuple[int,
                                                        int]) -> nn.Module:
        """The attention of a block of ``stage``."""
        return LocalWindowAttention(
            self.arch['embed_dims'][stage],
            self.arch['key_dims'][stage],
            self.arch['num_heads'][stage],
            window=self.arch['window'],
            kernels=self.arch['kernels'],
            resolution=resolution)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Features ``(B, C_i, H / s_i, W / s_i)`` of :attr:`out_indices`.

        Args:
            x (Tensor): Images ``(B, C, H, W)``, ``H`` and ``W`` multiples
                of 16.

        Returns:
            tuple[Tensor]: One feature map per selected stage ``i``, stride
            ``s_i`` in 4, 8, 16.

        Raises:
            ValueError: if ``H`` or ``W`` is not a multiple of 16.
        """
        h, w = x.shape[-2:]
        if h % SIZE_DIVISOR or w % SIZE_DIVISOR:
            raise ValueError(f'input height and width must be multiples of '
                             f'{SIZE_DIVISOR}, got {h}x{w}')
        # channels-last layout: oneDNN's convolutions are faster in it on
        # CPU (a 64->256 1x1 conv at 64x64: 0.7 ms vs 4.7 ms in NCHW), and
        # the attention's token views (B, HW, C) need no copy. Not while
        # exporting: layout means nothing to ONNX, and the check would pin
        # a batch of 1 in torch.export
        if not torch.compiler.is_exporting():
            x = x.contiguous(memory_format=torch.channels_last)
        return self._forward_stages(x)
