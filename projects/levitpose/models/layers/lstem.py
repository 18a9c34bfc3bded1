"""LStem: LEViTPose's lightweight preprocessing module (stride 2).

The paper: "a lightweight preprocessing module LStem is designed by
introducing depthwise separable convolution, channel shuffle and
multi-scale convolution kernel parallel techniques". The three techniques
are stated; how they are wired is not, and is our choice (see
``docs/architecture.md``): a ``3x3/2`` convolution (the first layer of
EfficientViT's patch embedding, the baseline), then a ShuffleNetV2-style
unit whose depthwise separable branch has parallel depthwise kernels of
several sizes, and a channel shuffle that mixes the untouched half with the
branch.
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .conv_bn import ConvBN
from .exporting import exporting

__all__ = ['ChannelShuffle', 'MultiScaleDWConv', 'LStem']


class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: ``(g, C/g)`` channels -> ``(C/g, g)``.

    Args:
        groups (int): Channel groups ``g`` to interleave.
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        if groups < 2:
            raise ValueError(f'groups must be >= 2, got {groups}')
        self.groups = groups

    def forward(self, x: Tensor) -> Tensor:
        """Interleave the groups of ``(B, C, H, W)``, in ``x``'s memory
        layout: ``F.channel_shuffle`` keeps a channels-last map
        channels-last, where the reshape of the view it equals gives NCHW,
        which made every layer after LStem run in NCHW, slower on a CPU
        (``docs/benchmarks.md``, issue 20's fifth round). While exporting,
        that view and reshape (layout means nothing to ONNX)."""
        if exporting():
            B, C, H, W = x.shape
            return x.view(B, self.groups, C // self.groups, H,
                          W).transpose(1, 2).reshape(B, C, H, W)
        return F.channel_shuffle(x, self.groups)


class MultiScaleDWConv(nn.Module):
    """Parallel depthwise convolutions with different kernels, summed.

    Each branch is a depthwise ``ConvBN`` with its own kernel size (and
    BatchNorm); their outputs are added. :meth:`fuse` merges the branches
    into one depthwise convolution with the largest kernel (the smaller
    kernels zero-padded to it), so a deployed model runs one convolution.

    Args:
        channels (int): Channels (in and out).
        kernels (Sequence[int]): Odd kernel sizes of the branches.
            Defaults to ``(3, 5, 7)``.
        stride (int): Stride of every branch. Defaults to 1.
    """

    def __init__(self,
                 channels: int,
                 kernels: Sequence[int] = (3, 5, 7),
                 stride: int = 1) -> None:
        super().__init__()
        kernels = tuple(kernels)
        if len(kernels) < 2 or any(k < 1 or k % 2 == 0 for k in kernels):
            raise ValueError(f'kernels must be two or more odd sizes, got '
                             f'{kernels}')
        self.kernels = kernels
        self.branches = nn.ModuleList(
            ConvBN(channels, channels, k, stride, groups=channels)
            for k in kernels)

    def forward(self, x: Tensor) -> Tensor:
        """Sum of the branches on ``(B, C, H, W)``."""
        out = self.branches[0](x)
        for branch in self.branches[1:]:
            out = out + branch(x)
        return out

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        """One depthwise ``Conv2d`` (largest kernel, with bias) equal to the
        sum of the branches in eval mode."""
        convs = [
            b.fuse() if isinstance(b, ConvBN) else b for b in self.branches
        ]
        size = max(self.kernels)
        first = convs[0]
        fused = nn.Conv2d(
            first.in_channels,
            first.out_channels,
            size,
            first.stride,
            size // 2,
            groups=first.groups,
            bias=True).to(first.weight)
        weight = torch.zeros_like(fused.weight)
        bias = torch.zeros_like(fused.bias)
        for conv in convs:
            pad = (size - conv.kernel_size[0]) // 2
            weight += F.pad(conv.weight, (pad, pad, pad, pad))
            bias += conv.bias
        fused.weight.copy_(weight)
        fused.bias.copy_(bias)
        return fused


class LStem(nn.Module):
    """LStem: ``3x3/2`` conv, then a shuffle unit with multi-scale kernels.

    ::

        x -> ConvBN 3x3/2 (C_in -> C) -> ReLU -> split channels (C/2 | C/2)
             keep  | ConvBN 1x1 -> ReLU -> MultiScaleDWConv (3/5/7)
                   | -> ConvBN 1x1 -> ReLU      (depthwise separable branch)
             concat -> ChannelShuffle(2)                           (stride 2)

    Args:
        in_channels (int): Image channels.
        channels (int): Output channels ``C`` (even).
        kernels (Sequence[int]): Kernels of the parallel depthwise branches.
            Defaults to ``(3, 5, 7)``.
    """

    stride = 2

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 kernels: Sequence[int] = (3, 5, 7)) -> None:
        super().__init__()
        if channels % 2:
            raise ValueError(f'LStem channels must be even, got {channels}')
        half = channels // 2
        self.channels = channels
        self.conv = ConvBN(in_channels, channels, 3, stride=2)
        self.act = nn.ReLU()
        self.pw1 = ConvBN(half, half)
        self.dw = MultiScaleDWConv(half, kernels)
        self.pw2 = ConvBN(half, half)
        self.shuffle = ChannelShuffle(2)

    @torch.no_grad()
    def fold_shuffle(self, conv: nn.Conv2d) -> None:
        """For deployment: fold the channel shuffle into ``conv``, the
        convolution that reads LStem's output, and drop it (exact: the
        shuffle is a permutation of ``conv``'s input channels). The state
        dict gains the key ``shuffle_folded``, so that a deployed state dict
        saved before the fold existed does not load. A second call does
        nothing.

        Args:
            conv (nn.Conv2d): Reads this module's output; its weight is
                changed in place.

        Raises:
            ValueError: if ``conv`` is grouped or reads another width.
        """
        if not isinstance(self.shuffle, ChannelShuffle):
            return
        channels = self.channels
        if (not isinstance(conv, nn.Conv2d) or conv.groups != 1
                or conv.in_channels != channels):
            raise ValueError(f'the shuffle folds into an ungrouped Conv2d '
                             f'reading {channels} channels, got {conv}')
        # output channel j of the shuffle is its input channel source[j]
        index = torch.arange(channels, dtype=torch.float32)
        source = self.shuffle(index.view(1, channels, 1, 1)).flatten().long()
        weight = torch.empty_like(conv.weight)
        weight[:, source] = conv.weight
        conv.weight.copy_(weight)
        self.shuffle = nn.Identity()
        # a state dict key of the folded form: a deployed checkpoint saved
        # before the fold (its OPE weights not permuted) lacks it and is
        # refused by a strict load instead of giving wrong outputs
        self.register_buffer('shuffle_folded',
                             torch.ones((), device=conv.weight.device))

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C_in, H, W)`` -> ``(B, C, H/2, W/2)``."""
        x = self.act(self.conv(x))
        keep, branch = x.chunk(2, dim=1)
        branch = self.act(self.pw2(self.dw(self.act(self.pw1(branch)))))
        return self.shuffle(torch.cat((keep, branch), dim=1))
