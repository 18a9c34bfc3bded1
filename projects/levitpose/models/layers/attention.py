"""CGSR-MHA: cascaded group spatial-reduction multi-head attention.

The cascade over channel groups follows EfficientViT's cascaded group
attention (Liu et al., CVPR 2023); the spatial reduction of keys and values
(strided convolution + LayerNorm) follows PVT (Wang et al., ICCV 2021).
Everything stays in ``(B, C, H, W)`` layout except the few tokens of the
reduced keys/values: the attention is two batched matrix products that read
the queries and write the output directly in that layout. (On CPU this was
about twice as fast as ``F.scaled_dot_product_attention``, which needs the
queries transposed to ``(B, HW, d)`` and copied.)
"""
import torch
from torch import Tensor, nn

from .conv_bn import ConvBN, LinearBN

__all__ = ['CascadedGroupSRAttention']


class CascadedGroupSRAttention(nn.Module):
    """Cascaded group spatial-reduction multi-head attention (CGSR-MHA).

    The ``C`` input channels are split into ``num_groups`` slices of
    ``C / G`` channels. Group ``i`` attends with input ``x_i + o_{i-1}``
    (its slice plus the previous group's output, the cascade); its queries
    come from every position, its keys and values from a map reduced by a
    ``sr_ratio x sr_ratio`` strided convolution and a LayerNorm. The group
    outputs (``C / G`` channels each) are concatenated and projected.

    The ``1/sqrt(key_dim)`` scale starts as the weight of the key
    channels' BatchNorm (LeViT folds it the same way), so the forward has
    no separate multiply.

    No positional bias is used: positions are encoded by the depthwise
    convolutions around the attention and by the overlapping patch
    embeddings, so the layer works at any input size and exports without
    size-specific tables.

    Args:
        dim (int): Channels ``C``; divisible by ``num_groups``.
        num_groups (int): Groups (heads) ``G``.
        key_dim (int): Query/key channels of each group.
        sr_ratio (int): Spatial reduction of keys/values; 1 keeps every
            position (no reduction, no LayerNorm).
    """

    def __init__(self, dim: int, num_groups: int, key_dim: int,
                 sr_ratio: int) -> None:
        super().__init__()
        if dim % num_groups:
            raise ValueError(f'dim ({dim}) must be divisible by num_groups '
                             f'({num_groups})')
        if sr_ratio < 1:
            raise ValueError(f'sr_ratio must be >= 1, got {sr_ratio}')
        self.num_groups = num_groups
        self.group_dim = dim // num_groups
        self.key_dim = key_dim
        self.sr_ratio = sr_ratio
        self.queries = nn.ModuleList(
            ConvBN(self.group_dim, key_dim) for _ in range(num_groups))
        if sr_ratio > 1:
            self.reductions = nn.ModuleList(
                nn.Conv2d(self.group_dim, self.group_dim, sr_ratio, sr_ratio)
                for _ in range(num_groups))
            self.norms = nn.ModuleList(
                nn.LayerNorm(self.group_dim) for _ in range(num_groups))
        else:
            self.reductions = self.norms = None
        self.key_values = nn.ModuleList(
            LinearBN(self.group_dim, key_dim + self.group_dim)
            for _ in range(num_groups))
        with torch.no_grad():  # the key BN starts at the 1/sqrt(d) scale,
            for kv in self.key_values:  # so no multiply in forward
                kv.bn.weight[:key_dim] = key_dim**-0.5
        self.act = nn.ReLU()
        self.proj = ConvBN(dim, dim, zero_init=True)

    def _keys_values(self, feat: Tensor, group: int) -> Tensor:
        """Reduced key/value tokens ``(B, N', key_dim + C/G)`` of a group."""
        if self.reductions is not None:
            feat = self.reductions[group](feat)
        tokens = feat.flatten(2).transpose(1, 2)  # (B, N', C/G)
        if self.norms is not None:
            tokens = self.norms[group](tokens)
        return self.key_values[group](tokens)

    def forward(self, x: Tensor) -> Tensor:
        """Attend ``(B, C, H, W)`` features; returns the same shape."""
        B, _, H, W = x.shape
        slices = x.chunk(self.num_groups, dim=1)
        outs = []
        feat = slices[0]
        for i in range(self.num_groups):
            if i > 0:  # cascade: add the previous group's output
                feat = slices[i] + feat
            q = self.queries[i](feat).flatten(2)  # (B, d, HW)
            k, v = self._keys_values(feat, i).split(
                (self.key_dim, self.group_dim), dim=-1)  # (B, N', d | C/G)
            attn = q.transpose(1, 2) @ k.transpose(1, 2)  # k carries scale
            attn = attn.softmax(dim=-1)  # (B, HW, N')
            feat = (v.transpose(1, 2) @ attn.transpose(1, 2)).view(
                B, self.group_dim, H, W)
            outs.append(feat)
        return self.proj(self.act(torch.cat(outs, dim=1)))
