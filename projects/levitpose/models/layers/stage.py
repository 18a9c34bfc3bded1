"""A LEViTPose stage: an overlapping patch embedding, then blocks."""
from typing import Sequence

from torch import nn

from .block import LEViTPoseBlock

__all__ = ['LEViTPoseStage']


class LEViTPoseStage(nn.Sequential):
    """``embed`` (LStem or Subsample & OPE) followed by LEViTPose blocks.

    Args:
        embed (nn.Module): The patch embedding; has a ``stride`` attribute.
        dim (int): Channels of the blocks.
        depth (int): Number of blocks.
        num_groups (int): Attention groups.
        key_dim (int): Query/key channels per group.
        sr_ratio (int): Spatial reduction of keys/values.
        ffn_ratio (float): FFN hidden channels over ``dim``.
        drop_paths (Sequence[float]): Stochastic depth of each block.
    """

    def __init__(self, embed: nn.Module, dim: int, depth: int, num_groups: int,
                 key_dim: int, sr_ratio: int, ffn_ratio: float,
                 drop_paths: Sequence[float]) -> None:
        super().__init__()
        if len(drop_paths) != depth:
            raise ValueError(f'{len(drop_paths)} drop_paths for '
                             f'{depth} blocks')
        self.stride = embed.stride
        self.embed = embed
        self.blocks = nn.Sequential(*(LEViTPoseBlock(
            dim, num_groups, key_dim, sr_ratio, ffn_ratio, drop_path=rate)
                                      for rate in drop_paths))
