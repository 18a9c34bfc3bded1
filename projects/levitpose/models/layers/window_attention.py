"""EfficientViT's cascaded group attention inside local windows, with
LeViT-style attention biases that work for any (non-square) feature map.

Re-implemented from the EfficientViT paper (Liu et al., CVPR 2023,
https://arxiv.org/abs/2305.07027) and timm's ``efficientvit_msra.py``.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .conv_bn import ConvBN

__all__ = ['CascadedGroupAttention', 'LocalWindowAttention']


def _offset_index(h: int, w: int, window: int) -> Tensor:
    """``(N, N)`` index ``|dy| * window + |dx|`` of every pair of the
    ``N = h * w`` positions of an ``h x w`` map."""
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    ys, xs = ys.flatten(), xs.flatten()
    return ((ys[:, None] - ys[None]).abs() * window +
            (xs[:, None] - xs[None]).abs())


class CascadedGroupAttention(nn.Module):
    """Cascaded group attention over a ``window x window`` map.

    Head ``i`` sees its channel slice plus head ``i - 1``'s output; its
    queries pass through a depthwise ``kernels[i]`` convolution; scores get
    a learned bias per relative offset ``(|dy|, |dx|)``.

    Args:
        dim (int): Channels; divisible by ``num_heads``.
        key_dim (int): Query/key channels per head.
        num_heads (int): Heads.
        window (int): Side of the (square) window the biases are sized for.
        kernels (Sequence[int]): Depthwise kernel on the queries, per head.
    """

    def __init__(self, dim: int, key_dim: int, num_heads: int, window: int,
                 kernels: Sequence[int]) -> None:
        super().__init__()
        if dim % num_heads or len(kernels) < num_heads:
            raise ValueError(f'dim {dim} must be divisible by num_heads '
                             f'{num_heads}, with a kernel per head '
                             f'(got {tuple(kernels)})')
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.val_dim = dim // num_heads
        self.scale = key_dim**-0.5
        self.qkvs = nn.ModuleList(
            ConvBN(self.val_dim, 2 * key_dim + self.val_dim)
            for _ in range(num_heads))
        self.dws = nn.ModuleList(
            ConvBN(key_dim, key_dim, k, groups=key_dim)
            for k in kernels[:num_heads])
        self.act = nn.ReLU()
        self.proj = ConvBN(dim, dim, zero_init=True)
        self.window = window
        # one learned bias per relative offset (|dy|, |dx|), dy, dx < window
        self.attention_biases = nn.Parameter(
            torch.zeros(num_heads, window * window))
        self.register_buffer(
            'bias_idxs',
            _offset_index(window, window, window),
            persistent=False)
        self.deploy = False

    def _bias(self, h: int, w: int) -> Tensor:
        """Biases ``(heads, N, N)`` of the ``N = h * w`` positions."""
        if (h, w) == (self.window, self.window):
            if self.deploy:
                return self.attention_bias
            return self.attention_biases[:, self.bias_idxs]
        idxs = _offset_index(h, w,
                             self.window).to(self.attention_biases.device)
        return self.attention_biases[:, idxs]

    @torch.no_grad()
    def switch_to_deploy(self, test_cfg: Optional[dict] = None) -> None:
        """Gather the full window's biases once into a buffer.

        Args:
            test_cfg (dict, optional): Unused (MMPose's estimator passes
                it). Defaults to None.
        """
        if self.deploy:
            return
        self.register_buffer('attention_bias',
                             self._bias(self.window, self.window).clone())
        self.deploy = True

    def forward(self, x: Tensor) -> Tensor:
        """Attend ``(B, C, H, W)`` (``H, W <= window``); same shape out."""
        B, _, H, W = x.shape
        bias = self._bias(H, W)
        slices = x.chunk(self.num_heads, dim=1)
        outs = []
        feat = slices[0]
        for i in range(self.num_heads):
            if i > 0:
                feat = feat + slices[i]
            q, k, v = self.qkvs[i](feat).split(
                (self.key_dim, self.key_dim, self.val_dim), dim=1)
            q = self.dws[i](q)
            q, k, v = q.flatten(2), k.flatten(2), v.flatten(2)
            attn = (q.transpose(-2, -1) @ k) * self.scale + bias[i]
            attn = attn.softmax(dim=-1)  # (B, N, N)
            feat = (v @ attn.transpose(-2, -1)).view(B, self.val_dim, H, W)
            outs.append(feat)
        return self.proj(self.act(torch.cat(outs, dim=1)))


class LocalWindowAttention(nn.Module):
    """:class:`CascadedGroupAttention` in non-overlapping windows.

    As in the reference implementation, the window is
    ``min(window, resolution)`` for the map size the model is built for,
    and a map that fits in one window is attended whole; otherwise it is
    zero-padded at the bottom/right to multiples of the window (so any
    ``(H, W)`` works), split into windows, attended, merged back and
    cropped.

    Args:
        dim (int): Channels.
        key_dim (int): Query/key channels per head.
        num_heads (int): Heads.
        window (int): Window side. Defaults to 7.
        kernels (Sequence[int]): Depthwise query kernels, per head.
            Defaults to ``(5, 5, 5, 5)``.
        resolution (tuple[int, int], optional): ``(h, w)`` of the map the
            model is built for; the window shrinks to ``max(h, w)`` when
            that is smaller (the reference rule, for non-square maps: a map
            that fits the window is attended whole). Defaults to None (no
            shrinking).
    """

    def __init__(self,
                 dim: int,
                 key_dim: int,
                 num_heads: int,
                 window: int = 7,
                 kernels: Sequence[int] = (5, 5, 5, 5),
                 resolution: Optional[Tuple[int, int]] = None) -> None:
        super().__init__()
        if resolution is not None:
            window = min(window, max(resolution))
        self.window = window
        self.attn = CascadedGroupAttention(dim, key_dim, num_heads, window,
                                           kernels)

    def forward(self, x: Tensor) -> Tensor:
        """Attend ``(B, C, H, W)`` window by window."""
        B, C, H, W = x.shape
        ws = self.window
        if H <= ws and W <= ws:  # the map fits in one window
            return self.attn(x)
        pad_h, pad_w = (ws - H % ws) % ws, (ws - W % ws) % ws
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
        nh, nw = (H + pad_h) // ws, (W + pad_w) // ws
        # (B, C, nh, ws, nw, ws) -> (B * nh * nw, C, ws, ws)
        x = x.view(B, C, nh, ws, nw, ws).permute(0, 2, 4, 1, 3, 5)
        x = self.attn(x.reshape(B * nh * nw, C, ws, ws))
        x = x.view(B, nh, nw, C, ws, ws).permute(0, 3, 1, 4, 2, 5)
        x = x.reshape(B, C, nh * ws, nw * ws)
        return x[:, :, :H, :W].contiguous()
