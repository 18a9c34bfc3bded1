"""LEViTPose backbone: the EfficientViT-M0 pose baseline with LStem & OPE
as its stem and CGSLRA as its attention.

The paper (LEViTPose, Computer Engineering and Applications 2024,
60(22):197-208) published its description and numbers only; this is a
re-implementation from them. ``docs/architecture.md`` maps every stated
element to the class here and lists our choices where the paper is silent.
"""
from typing import Dict, Tuple

from mmpose.registry import MODELS
from torch import nn

from ..layers import CGSLRA, LStem, OverlapPatchEmbed
from .efficientvit import EfficientViT

__all__ = ['LEViTPose']

#: What T and S share: the baseline's depths and 4 groups, and our
#: choices where the paper is silent (``docs/architecture.md``).
_SHARED = dict(
    stem_channels=16,
    depths=(1, 2, 3),
    num_groups=(4, 4, 4),
    key_dims=(8, 16, 16),
    heads_per_group=2,
    pool_size=7,
    stem_kernels=(3, 5, 7))


@MODELS.register_module()
class LEViTPose(EfficientViT):
    """LEViTPose backbone (stages at strides 4, 8, 16).

    Exactly two parts of :class:`EfficientViT` are replaced (the third
    replaced module, LFRM, is the head :class:`LFRMHead`):

    - stage 1's stem is "LStem & OPE": :class:`LStem` (stride 2) then an
      :class:`OverlapPatchEmbed` (stride 2);
    - the blocks' attention is :class:`CGSLRA` (cascaded groups, keys and
      values from the map linearly reduced to ``pool_size x pool_size``).

    Stages 2 and 3 keep EfficientViT's subsample ("Subsample & OPE") and
    the sandwich blocks; depths (1, 2, 3) and 4 groups are the baseline's.
    T and S differ in widths only.

    Args: as :class:`EfficientViT`; ``arch`` is ``'tiny'``, ``'small'`` or
    a dict with every key of :attr:`arch_keys`. Defaults to ``'small'``.
    Two more, passed to every :class:`CGSLRA` (elements of the HEViTPose
    figure, off by default; ``docs/architecture.md``):

        qkv_kernel (int): Depthwise ConvBN kernel on each head's Q, K and
            V; 0 for none. Defaults to 0.
        group_out_norm (bool): LayerNorm after each group's output
            linear. Defaults to False.
    """

    arch_keys = ('stem_channels', 'embed_dims', 'depths', 'num_groups',
                 'key_dims', 'heads_per_group', 'pool_size', 'stem_kernels')
    #: Columns: LStem width; per stage channels, blocks, attention groups
    #: and query/key channels per group; heads per group; side of the
    #: pooled key/value map; LStem's parallel depthwise kernels.
    #: Widths are our choice (the paper gives sizes, not widths), set so
    #: the whole model matches the paper's sizes in its FLOP convention.
    arch_zoo: Dict[str, dict] = {
        'tiny': dict(_SHARED, embed_dims=(64, 96, 112)),
        'small': dict(_SHARED, embed_dims=(64, 128, 184)),
    }

    def __init__(self,
                 arch='small',
                 qkv_kernel: int = 0,
                 group_out_norm: bool = False,
                 **kwargs) -> None:
        # read by _make_mixer while EfficientViT builds the stages
        self._attn_options = dict(
            qkv_kernel=qkv_kernel, group_out_norm=group_out_norm)
        super().__init__(arch=arch, **kwargs)

    @classmethod
    def per_stage_keys(cls) -> Tuple[str, ...]:
        """The :attr:`arch_keys` holding one value per stage."""
        return ('depths', 'num_groups', 'key_dims')

    def _make_stem(self, in_channels: int, dim: int) -> nn.Module:
        """"LStem & OPE": LStem to stride 2, an OPE to stride 4."""
        stem_channels = self.arch['stem_channels']
        return nn.Sequential(
            LStem(in_channels, stem_channels, self.arch['stem_kernels']),
            OverlapPatchEmbed(stem_channels, dim))

    def _make_mixer(self, stage: int, resolution: Tuple[int,
                                                        int]) -> nn.Module:
        """CGSLRA of a block of ``stage``."""
        return CGSLRA(
            self.arch['embed_dims'][stage],
            self.arch['num_groups'][stage],
            self.arch['key_dims'][stage],
            heads_per_group=self.arch['heads_per_group'],
            pool_size=self.arch['pool_size'],
            **self._attn_options)
