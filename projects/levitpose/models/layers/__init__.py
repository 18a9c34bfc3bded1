"""Unregistered building blocks of the LEViTPose models.

The package exports what the backbones and heads build; the parts inside
those blocks are imported from their modules (``layers.block.ConvFFN``).
"""
from .block import SandwichBlock
from .cgslra import CGSLRA
from .conv_bn import ConvBN, DeconvBN, fuse_modules
from .lstem import LStem
from .patch_embed import ConvStem, OverlapPatchEmbed
from .patch_merging import Subsample
from .window_attention import LocalWindowAttention

__all__ = [
    'CGSLRA', 'ConvBN', 'ConvStem', 'DeconvBN', 'LStem',
    'LocalWindowAttention', 'OverlapPatchEmbed', 'SandwichBlock', 'Subsample',
    'fuse_modules'
]
