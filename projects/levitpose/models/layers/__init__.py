"""Unregistered building blocks of the LEViTPose models."""
from .block import ConvFFN, Residual, SandwichBlock
from .cgslra import CGSLRA, SpatialLinearReduction
from .conv_bn import ConvBN, DeconvBN, fuse_modules
from .lstem import ChannelShuffle, LStem, MultiScaleDWConv
from .patch_embed import ConvStem, OverlapPatchEmbed
from .patch_merging import PatchMerging, SqueezeExcite, Subsample
from .subpixel import SubPixelConvTranspose2d
from .window_attention import CascadedGroupAttention, LocalWindowAttention

__all__ = [
    'CGSLRA', 'CascadedGroupAttention', 'ChannelShuffle', 'ConvBN', 'ConvFFN',
    'ConvStem', 'DeconvBN', 'LStem', 'LocalWindowAttention',
    'MultiScaleDWConv', 'OverlapPatchEmbed', 'PatchMerging', 'Residual',
    'SandwichBlock', 'SpatialLinearReduction', 'SqueezeExcite', 'Subsample',
    'SubPixelConvTranspose2d', 'fuse_modules'
]
