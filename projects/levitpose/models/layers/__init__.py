"""Unregistered building blocks of the LEViTPose models."""
from .attention import CascadedGroupSRAttention
from .block import ConvFFN, LEViTPoseBlock, Residual, SandwichBlock
from .conv_bn import ConvBN, LinearBN, fuse_modules
from .patch_embed import LightStem, SubsampleEmbed
from .patch_merging import PatchMerging, SqueezeExcite
from .stage import LEViTPoseStage
from .window_attention import CascadedGroupAttention, LocalWindowAttention

__all__ = [
    'CascadedGroupAttention', 'CascadedGroupSRAttention', 'ConvBN', 'ConvFFN',
    'LEViTPoseBlock', 'LEViTPoseStage', 'LightStem', 'LinearBN',
    'LocalWindowAttention', 'PatchMerging', 'Residual', 'SandwichBlock',
    'SqueezeExcite', 'SubsampleEmbed', 'fuse_modules'
]
