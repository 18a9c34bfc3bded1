"""LEViTPose backbone: the EfficientViT-M0 pose baseline with LStem & OPE
as its stem and CGSLRA as its attention.

The paper (LEViTPose, Computer Engineering and Applications 2024,
60(22):197-208) published its description and numbers only; this is a
re-implementation from them. ``docs/architecture.md`` maps every stated
element to the class here and lists our choices where the paper is silent.
"""
from typing import Optional, Tuple

from mmpose.registry import MODELS
from torch import nn

from ..layers import CGSLRA, LStem, OverlapPatchEmbed
from .efficientvit import EfficientViT

__all__ = ['LEViTPose']


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

    Args: as :class:`EfficientViT`; ``arch`` is ``'tiny'`` or ``'small'``
    (their rows of :data:`~.efficientvit.ARCH_ZOO`) or a dict with every
    key of :attr:`arch_keys`. Defaults to ``'small'``.
    Two more, passed to every :class:`CGSLRA` (elements of the HEViTPose
    figure, off by default; ``docs/architecture.md``):

        qkv_kernel (int): Depthwise ConvBN kernel on each head's Q, K and
            V; 0 for none. Defaults to 0.
        group_out_norm (bool): LayerNorm after each group's output
            linear. Defaults to False.
    """

    arch_keys = ('stem_channels', 'embed_dims', 'depths', 'num_groups',
                 'key_dims', 'heads_per_group', 'pool_size', 'stem_kernels')
    stage_keys = ('depths', 'num_groups', 'key_dims')

    def __init__(self,
                 arch='small',
                 qkv_kernel: int = 0,
                 group_out_norm: bool = False,
                 **kwargs) -> None:
        # read by _make_mixer while EfficientViT builds the stages
        self._attn_options = dict(
            qkv_kernel=qkv_kernel, group_out_norm=group_out_norm)
        super().__init__(arch=arch, **kwargs)

    def switch_to_deploy(self, test_cfg: Optional[dict] = None) -> None:
        """:meth:`EfficientViT.switch_to_deploy`, then LStem's channel
        shuffle folded into the OPE convolution that reads it (its input
        channels permuted; exact), so the deployed stem moves no data
        between its convolutions. Idempotent."""
        if self.deploy:
            return
        super().switch_to_deploy(test_cfg)
        lstem, embed = self.stages[0].embed
        lstem.fold_shuffle(embed)

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
