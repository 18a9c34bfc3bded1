"""CGSLRA: cascaded group spatial linear reduction attention.

The paper: "a cascaded group spatial linear reduction attention (CGSLRA)
is proposed, which uses feature grouping to divide multiple attention heads
to improve memory efficiency, and uses intra-group feature dimension
reduction to reduce computational redundancy". The cascade over channel
groups is EfficientViT's cascaded group attention (Liu et al., CVPR 2023,
the baseline); "spatial linear reduction" is PVTv2's linear SRA (Wang et
al., CVMJ 2022): keys and values come from the map average-pooled to a
fixed size, then a 1x1 convolution, LayerNorm and GELU, so their number,
and the attention's cost per query, do not depend on the input size.

Two elements of the same authors' HEViTPose figure (arXiv 2311.13615,
Fig. 2(c), CGSR-MHA) are options, off by default: a convolution on each
head's Q, K and V after their LayerNorm (``qkv_kernel``), and a LayerNorm
after each group's output linear (``group_out_norm``);
``docs/architecture.md`` gives the evidence and the sizes.
"""
from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .conv_bn import ConvBN
from .exporting import exporting

__all__ = ['adaptive_pool_matrix', 'SpatialLinearReduction', 'CGSLRA']


def adaptive_pool_matrix(size: int, pool_size: int) -> Tensor:
    """``(pool_size, size)`` matrix of adaptive average pooling along one
    axis: row ``i`` averages ``[floor(i * size / P), ceil((i + 1) * size /
    P))``, exactly the bins of ``F.adaptive_avg_pool2d``."""
    rows = []
    for i in range(pool_size):
        start = (i * size) // pool_size
        end = -((-(i + 1) * size) // pool_size)
        row = torch.zeros(size)
        row[start:end] = 1. / (end - start)
        rows.append(row)
    return torch.stack(rows)


class SpatialLinearReduction(nn.Module):
    """PVTv2's linear spatial reduction: pool, ``1x1`` conv, LN, GELU.

    While exporting to ONNX the pooling is written as two products with
    constant averaging matrices (:func:`adaptive_pool_matrix`; same
    values), which every ONNX exporter supports for any input size; the
    TorchScript exporter refuses adaptive pooling when the input size is
    not a multiple of the output size (64 -> 7).

    Args:
        channels (int): Channels (in and out).
        pool_size (int): Side of the pooled map (PVTv2: 7).
    """

    def __init__(self, channels: int, pool_size: int) -> None:
        super().__init__()
        self.pool_size = pool_size
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.sr = nn.Conv2d(channels, channels, 1)
        self.norm = nn.LayerNorm(channels)
        self.act = nn.GELU()

    def _pool(self, x: Tensor) -> Tensor:
        if not torch.onnx.is_in_onnx_export():
            return self.pool(x)
        H, W = int(x.shape[-2]), int(x.shape[-1])
        rows = adaptive_pool_matrix(H, self.pool_size).to(x)
        cols = adaptive_pool_matrix(W, self.pool_size).to(x)
        return rows @ x @ cols.t()  # (B, C, P, P)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C, H, W)`` -> reduced tokens ``(B, P*P, C)``."""
        x = self.sr(self._pool(x)).flatten(2).transpose(1, 2)
        return self.act(self.norm(x))


class CGSLRA(nn.Module):
    """Cascaded group spatial linear reduction attention.

    The ``C`` channels are split into ``G`` groups of ``C/G`` channels.
    Group ``i`` works on ``f_i = x_i + o_{i-1}`` (its slice plus the
    previous group's output: the cascade; ``f_1 = x_1``)::

        Q   = LN(Linear(f_i))          every position,   C/G -> d
        R   = SLR(f_i)                 P*P tokens,       C/G
        K   = LN(Linear(R))                              C/G -> d
        V   = LN(Linear(R))                              C/G -> C/G
        o_i = Linear(concat_h softmax(Q_h K_h^T / sqrt(d/h)) V_h)

    with ``h`` heads per group (``Q``/``K`` split into ``d/h`` channels,
    ``V`` into ``C/(G h)``) and ``d < C/G`` where the width allows (the
    intra-group dimension reduction). The group outputs are concatenated
    and projected, ``ReLU -> 1x1 ConvBN`` as in EfficientViT (its BN starts
    at zero, so a fresh block is the identity).

    Options (HEViTPose's figure; off by default, then they add nothing):
    ``qkv_kernel = k`` puts a depthwise ``k x k`` ConvBN on ``Q`` (on the
    ``H x W`` map) and on ``K`` and ``V`` (on the ``P x P`` map) after
    their LayerNorms; depthwise, so each head's channels are convolved
    on their own (a convolution per head), as EfficientViT's query
    convolution. ``group_out_norm`` adds ``o_i = LN(o_i)`` (over ``C/G``)
    before ``o_i`` enters the cascade and the concatenation.

    Args:
        dim (int): Channels ``C``; divisible by ``num_groups``.
        num_groups (int): Groups ``G`` (EfficientViT-M0: 4).
        key_dim (int): Query/key channels ``d`` of a group; divisible by
            ``heads_per_group``.
        heads_per_group (int): Heads ``h`` in a group. Defaults to 2.
        pool_size (int): Side of the pooled key/value map. Defaults to 7.
        qkv_kernel (int): Kernel of the depthwise ConvBN on each head's
            ``Q``, ``K`` and ``V``; 0 for none. Defaults to 0.
        group_out_norm (bool): LayerNorm after each group's output
            linear. Defaults to False.

    Raises:
        ValueError: naming the argument that does not fit.
    """

    def __init__(self,
                 dim: int,
                 num_groups: int,
                 key_dim: int,
                 heads_per_group: int = 2,
                 pool_size: int = 7,
                 qkv_kernel: int = 0,
                 group_out_norm: bool = False) -> None:
        super().__init__()
        if (not isinstance(qkv_kernel, int) or isinstance(qkv_kernel, bool)
                or qkv_kernel < 0 or qkv_kernel and not qkv_kernel % 2):
            raise ValueError(f'qkv_kernel must be 0 (no convolution) or a '
                             f'positive odd int, got {qkv_kernel!r}')
        if not isinstance(group_out_norm, bool):
            raise ValueError(
                f'group_out_norm must be a bool, got {group_out_norm!r}')
        if dim % num_groups:
            raise ValueError(f'dim ({dim}) must be divisible by num_groups '
                             f'({num_groups})')
        group_dim = dim // num_groups
        if key_dim % heads_per_group or group_dim % heads_per_group:
            raise ValueError(
                f'key_dim ({key_dim}) and the group width ({group_dim}) '
                f'must be divisible by heads_per_group ({heads_per_group})')
        self.num_groups = num_groups
        self.group_dim = group_dim
        self.key_dim = key_dim
        self.heads = heads_per_group
        self.scale = (key_dim // heads_per_group)**-0.5
        self.q = nn.ModuleList(
            nn.Linear(group_dim, key_dim) for _ in range(num_groups))
        self.q_norm = nn.ModuleList(
            nn.LayerNorm(key_dim) for _ in range(num_groups))
        self.reduce = nn.ModuleList(
            SpatialLinearReduction(group_dim, pool_size)
            for _ in range(num_groups))
        self.kv = nn.ModuleList(
            nn.Linear(group_dim, key_dim + group_dim)
            for _ in range(num_groups))
        self.k_norm = nn.ModuleList(
            nn.LayerNorm(key_dim) for _ in range(num_groups))
        self.v_norm = nn.ModuleList(
            nn.LayerNorm(group_dim) for _ in range(num_groups))
        self.out = nn.ModuleList(
            nn.Linear(group_dim, group_dim) for _ in range(num_groups))
        self.qkv_kernel = qkv_kernel
        if qkv_kernel:  # depthwise: one convolution per head's channels
            for name, width in (('q_conv', key_dim), ('k_conv', key_dim),
                                ('v_conv', group_dim)):
                setattr(
                    self, name,
                    nn.ModuleList(
                        ConvBN(width, width, qkv_kernel, groups=width)
                        for _ in range(num_groups)))
        self.group_out_norm = group_out_norm
        if group_out_norm:
            self.out_norm = nn.ModuleList(
                nn.LayerNorm(group_dim) for _ in range(num_groups))
        self.act = nn.ReLU()
        self.proj = ConvBN(dim, dim, zero_init=True)
        self.deploy = False
        self.fused = False

    @torch.no_grad()
    def switch_to_deploy(self, test_cfg: Optional[dict] = None) -> None:
        """Fold the ``1/sqrt(d/h)`` attention scale, once and exactly,
        into the affine of the query LayerNorms or, with ``qkv_kernel``,
        into the query convolutions (fused with their BN first; the key and
        value ones are fused too); without the options, switch to the
        fused token-layout computation (:meth:`_forward_fused`).

        Args:
            test_cfg (dict, optional): Unused (MMPose's estimator passes
                it). Defaults to None.
        """
        if self.deploy:
            return
        self._build_fused()
        if self.qkv_kernel:
            for convs in (self.q_conv, self.k_conv, self.v_conv):
                for i, conv in enumerate(convs):
                    if isinstance(conv, ConvBN):
                        convs[i] = conv.fuse().train(conv.training)
            scaled = self.q_conv
        else:
            scaled = self.q_norm
        for module in scaled:
            module.weight.mul_(self.scale)
            module.bias.mul_(self.scale)
        self.deploy = True

    def _build_fused(self) -> None:
        """The constant masks of :meth:`_forward_fused` (non-persistent
        buffers: the state dict keeps its keys). Not with the options."""
        self.fused = not (self.qkv_kernel or self.group_out_norm)
        if not self.fused:
            return
        h, m = self.heads, self.reduce[0].pool_size**2
        # head of each row / column of the block-diagonal products:
        # k_mask (h*M, d), v_mask (h*M, C/G)
        key_head = torch.arange(h * m) // m
        for name, width in (('k_mask', self.key_dim), ('v_mask',
                                                       self.group_dim)):
            mask = key_head[:, None] == torch.arange(width) // (width // h)
            self.register_buffer(
                name, mask.to(self.out[0].weight), persistent=False)

    def _pool_tokens(self, i: int, tokens: Tensor, hw: Tuple[int,
                                                             int]) -> Tensor:
        """Reduced tokens of group ``i`` from row-major tokens ``(B, H*W,
        C/G)``: pool, then the ``1x1`` conv as a linear on tokens, LN and
        GELU; returned once per head, ``(B, h*P*P, C/G)``. While exporting,
        the pooling is two products with the constant averaging matrices
        of :func:`adaptive_pool_matrix` on the tokens seen as ``(B, H,
        W*C/G)`` (no transpose, no pooling operator)."""
        reduce = self.reduce[i]
        P = reduce.pool_size
        if exporting():
            H, W = hw
            rows = adaptive_pool_matrix(H, P).to(tokens)
            cols = adaptive_pool_matrix(W, P).to(tokens)
            pooled = (rows @ tokens.reshape(-1, H, W * tokens.shape[-1]))
            pooled = cols @ pooled.unflatten(-1, (W, -1))  # (B, P, P, C/G)
            pooled = pooled.flatten(1, 2)
        else:  # tokens seen as a channels-last map: no copy. Unflatten
            # first: unflattening the transposed view sets the stride of a
            # batch of 1 so that the pooling no longer sees channels-last
            # and copies its input to NCHW (every group, every block)
            pooled = F.adaptive_avg_pool2d(
                tokens.unflatten(1, hw).permute(0, 3, 1, 2), P)
            pooled = pooled.flatten(2).transpose(1, 2)
        pooled = torch.cat([pooled] * self.heads, dim=1)  # once per head
        pooled = F.linear(pooled, reduce.sr.weight.flatten(1), reduce.sr.bias)
        return reduce.act(reduce.norm(pooled))

    def _group_fused(self, i: int, feat: Tensor, hw: Tuple[int,
                                                           int]) -> Tensor:
        """Group ``i`` of the deployed attention on row-major tokens
        ``(B, H*W, C/G)``, same shape; equal to :meth:`_group`.

        The big tensors (queries, attention, output; ``H*W`` rows) stay in
        token layout: the heads are side by side in block-diagonal products
        with the ``P*P`` keys and values made once per head and masked to
        their head's channels, and each head's values are taken through
        the output linear before the attention (``sum_h A_h (V_h W_h^T)`` =
        ``concat_h(A_h V_h) W^T``), so no per-head transpose or copy of a
        big tensor is left.
        """
        h = self.heads
        q = self.q_norm[i](self.q[i](feat))  # (B, N, d), scale folded
        kv = self.kv[i](self._pool_tokens(i, feat, hw))  # (B, h*M, d+C/G)
        k, v = kv.split((self.key_dim, self.group_dim), dim=-1)
        k = self.k_norm[i](k) * self.k_mask  # (B, h*M, d) block-diagonal
        v = F.linear(self.v_norm[i](v) * self.v_mask, self.out[i].weight)
        attn = (q @ k.transpose(1, 2)).unflatten(-1, (h, -1)).softmax(-1)
        return attn.flatten(2) @ v + self.out[i].bias  # (B, N, C/G)

    def _forward_fused(self, x: Tensor) -> Tensor:
        """:meth:`forward` of the deployed attention, in token layout: a
        channels-last ``x`` is viewed as tokens and the result as a
        channels-last map, without a copy."""
        B, C, H, W = x.shape
        # the map size as ints: the legacy ONNX tracer would give tensors
        # to the pooling matrix's Python arithmetic (the batch stays free)
        H, W = int(H), int(W)
        tokens = x.permute(0, 2, 3, 1).reshape(B, H * W, C)
        outs = self._cascade(
            tokens.split(self.group_dim, dim=-1),
            lambda i, feat: self._group_fused(i, feat, (H, W)))
        out = torch.cat(outs, dim=-1).reshape(B, H, W, C).permute(0, 3, 1, 2)
        return self.proj(self.act(out))

    def _cascade(self, slices: Sequence[Tensor],
                 group: Callable[[int, Tensor], Tensor]) -> List[Tensor]:
        """The group outputs: group ``i`` on ``slices[i]`` plus group
        ``i - 1``'s output (the cascade), in any layout."""
        outs = []
        feat = slices[0]
        for i in range(self.num_groups):
            if i > 0:  # the cascade: add the previous group's output
                feat = slices[i] + feat
            feat = group(i, feat)
            outs.append(feat)
        return outs

    def _heads(self, x: Tensor) -> Tensor:
        """``(B, N, h * c)`` -> ``(B, h, N, c)``."""
        return x.unflatten(-1, (self.heads, -1)).transpose(1, 2)

    @staticmethod
    def _conv_tokens(conv: nn.Module, x: Tensor, hw: Tuple[int,
                                                           int]) -> Tensor:
        """``conv`` on tokens ``(B, h * w, c)`` seen as a ``(h, w)`` map."""
        x = conv(x.transpose(1, 2).unflatten(2, hw))
        return x.flatten(2).transpose(1, 2)

    def _group(self, i: int, feat: Tensor) -> Tensor:
        """Attention of group ``i`` on ``(B, C/G, H, W)``, same shape."""
        H, W = feat.shape[-2:]
        q = self.q_norm[i](self.q[i](feat.flatten(2).transpose(1, 2)))
        reduce = self.reduce[i]
        k, v = self.kv[i](reduce(feat)).split((self.key_dim, self.group_dim),
                                              dim=-1)
        k, v = self.k_norm[i](k), self.v_norm[i](v)
        if self.qkv_kernel:
            pooled = (reduce.pool_size, reduce.pool_size)
            q = self._conv_tokens(self.q_conv[i], q, (H, W))
            k = self._conv_tokens(self.k_conv[i], k, pooled)
            v = self._conv_tokens(self.v_conv[i], v, pooled)
        if not self.deploy:  # deployed: the scale is in q_norm / q_conv
            q = q * self.scale
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        attn = q @ k.transpose(-2, -1)  # (B, h, HW, P*P)
        out = attn.softmax(dim=-1) @ v  # (B, h, HW, C/G/h)
        out = self.out[i](out.transpose(1, 2).flatten(2))  # (B, HW, C/G)
        if self.group_out_norm:
            out = self.out_norm[i](out)
        return out.transpose(1, 2).unflatten(2, (H, W))

    def forward(self, x: Tensor) -> Tensor:
        """Attend ``(B, C, H, W)`` features; returns the same shape."""
        if self.deploy and self.fused:
            return self._forward_fused(x)
        outs = self._cascade(x.chunk(self.num_groups, dim=1), self._group)
        return self.proj(self.act(torch.cat(outs, dim=1)))
