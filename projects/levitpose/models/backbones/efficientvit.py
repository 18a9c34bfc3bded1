"""EfficientViT (MSRA) backbone, the pose baseline of the LEViTPose paper,
and the one variant table of both backbones.

EfficientViT: Memory Efficient Vision Transformer with Cascaded Group
Attention (Liu et al., CVPR 2023, https://arxiv.org/abs/2305.07027),
re-implemented after the paper and timm's ``efficientvit_msra.py``, with its
three stages at strides 4, 8 and 16 as in the LEViTPose paper's baseline
(the classification model's stem goes to stride 16). :class:`LEViTPose`
subclasses it, replacing the stem and the attention.
"""
from numbers import Integral
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from mmpose.models.backbones.base_backbone import BaseBackbone
from mmpose.registry import MODELS
from mmpose.utils.typing import OptConfigType
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..layers import (ConvStem, LocalWindowAttention, SandwichBlock, Subsample,
                      fuse_modules)

__all__ = ['EfficientViT', 'parse_input_size', 'parse_out_indices']

#: The last stage is at stride 16; the heads restore stride 4 exactly.
SIZE_DIVISOR = 16

#: What LEViTPose-T and -S share: the baseline's depths and 4 groups, and
#: our choices where the paper is silent (``docs/architecture.md``).
_LEVITPOSE_SHARED = dict(
    stem_channels=16,
    depths=(1, 2, 3),
    num_groups=(4, 4, 4),
    key_dims=(8, 16, 16),
    heads_per_group=2,
    pool_size=7,
    stem_kernels=(3, 5, 7))

#: Every variant of both backbones, as timm's ``model_cfgs``. A row is a
#: variant of the class whose :attr:`~EfficientViT.arch_keys` it has.
#:
#: EfficientViT columns: per stage channels, blocks, heads and query/key
#: channels per head; window side; query depthwise kernels per head.
#: LEViTPose columns: LStem width; per stage channels, blocks, attention
#: groups and query/key channels per group; heads per group; side of the
#: pooled key/value map; LStem's parallel depthwise kernels.
ARCH_ZOO: Dict[str, dict] = {
    # EfficientViT-M0, its paper's Table 1
    'm0':
    dict(
        embed_dims=(64, 128, 192),
        depths=(1, 2, 3),
        num_heads=(4, 4, 4),
        key_dims=(16, 16, 16),
        window=7,
        kernels=(5, 5, 5, 5)),
    # LEViTPose-T and -S differ in widths only. The widths are our choice
    # (the paper gives sizes, not widths), set so the whole model matches
    # the paper's sizes in its FLOP convention
    'tiny':
    dict(_LEVITPOSE_SHARED, embed_dims=(64, 96, 112)),
    'small':
    dict(_LEVITPOSE_SHARED, embed_dims=(64, 128, 184)),
}


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


@MODELS.register_module()
class EfficientViT(BaseBackbone):
    """EfficientViT backbone with stages at strides 4, 8 and 16.

    Stage 1 is a stem to stride 4 then blocks; stages 2 and 3 are
    EfficientViT's subsample (``DWConv -> FFN``, patch merging,
    ``DWConv -> FFN``) then blocks. A block is the sandwich
    ``DWConv -> FFN -> attention -> DWConv -> FFN`` (each residual) with
    cascaded group attention in local windows. :class:`LEViTPose` replaces
    the stem (:meth:`_make_stem`) and the attention (:meth:`_make_mixer`).

    Args:
        arch (str | dict): A variant of :data:`ARCH_ZOO` with this class's
            :attr:`arch_keys` (``'m0'``) or a dict with every key of
            :attr:`arch_keys`. Defaults to ``'m0'``.
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

    #: The columns of this class's rows of :data:`ARCH_ZOO`.
    arch_keys: Tuple[str, ...] = ('embed_dims', 'depths', 'num_heads',
                                  'key_dims', 'window', 'kernels')
    #: The :attr:`arch_keys` holding one value per stage.
    stage_keys: Tuple[str, ...] = ('depths', 'num_heads', 'key_dims')
    #: The variant table of every backbone here (:data:`ARCH_ZOO`).
    arch_zoo: Dict[str, dict] = ARCH_ZOO
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
        num_stages = len(dims)
        self.out_indices = parse_out_indices(out_indices, num_stages)
        if (isinstance(frozen_stages, bool)
                or not isinstance(frozen_stages, Integral)
                or not -1 <= frozen_stages < num_stages):
            raise ValueError(f'frozen_stages must be an int in '
                             f'[-1, {num_stages - 1}], got {frozen_stages!r}')
        self.frozen_stages = int(frozen_stages)
        self.norm_eval = norm_eval
        self.out_channels = tuple(dims[i] for i in self.out_indices)
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
        self.deploy = False
        if deploy:
            self.switch_to_deploy()
        self._freeze_stages()

    @classmethod
    def variants(cls) -> Tuple[str, ...]:
        """The names of this class's rows of :data:`ARCH_ZOO`."""
        return tuple(
            sorted(name for name, row in cls.arch_zoo.items()
                   if set(row) == set(cls.arch_keys)))

    @classmethod
    def _parse_arch(cls, arch: Union[str, dict]) -> dict:
        """Look ``arch`` up in :data:`ARCH_ZOO` or check a custom dict.

        Raises:
            ValueError: naming the unknown name or the bad keys.
        """
        variants = list(cls.variants())
        if isinstance(arch, str):
            if arch not in variants:
                raise ValueError(
                    f'arch {arch!r} is not one of {variants} (or a dict)')
            return dict(cls.arch_zoo[arch])
        if not isinstance(arch, dict):
            raise ValueError(f'arch must be one of {variants} '
                             f'or a dict, got {type(arch).__name__}')
        missing = set(cls.arch_keys) - set(arch)
        unknown = set(arch) - set(cls.arch_keys)
        if missing or unknown:
            raise ValueError(
                f'a custom arch needs exactly the keys {cls.arch_keys}; '
                f'missing {sorted(missing)}, unknown {sorted(unknown)}')
        num_stages = len(arch['embed_dims'])
        for key in cls.stage_keys:
            if len(arch[key]) != num_stages:
                raise ValueError(f'arch[{key!r}] has {len(arch[key])} '
                                 f'entries, embed_dims has {num_stages}')
        return dict(arch)

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

    def train(self, mode: bool = True) -> 'EfficientViT':
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
