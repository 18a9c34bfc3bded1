"""EfficientViT's subsample block: patch merging (an inverted residual with
squeeze-excite that halves the resolution) between residual ``DWConv`` and
``FFN`` pairs (Liu et al., CVPR 2023; timm's ``efficientvit_msra.py``)."""
from torch import Tensor, nn

from .block import ConvFFN, Residual
from .conv_bn import ConvBN

__all__ = ['SqueezeExcite', 'PatchMerging', 'Subsample']


class SqueezeExcite(nn.Module):
    """Channel gating ``x * sigmoid(fc2(relu(fc1(mean(x)))))``.

    Args:
        channels (int): Channels.
        reduced (int): Hidden channels of the gate.
    """

    def __init__(self, channels: int, reduced: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, reduced, 1)
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(reduced, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Gate ``(B, C, H, W)`` channel-wise."""
        gate = self.fc2(self.act(self.fc1(x.mean((2, 3), keepdim=True))))
        return x * gate.sigmoid()


class PatchMerging(nn.Module):
    """``1x1 conv -> 3x3/2 depthwise -> SE -> 1x1 conv`` (stride 2).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        expand_ratio (int): Hidden channels over ``in_channels``.
            Defaults to 4.
        se_ratio (float): SE hidden channels over the hidden channels,
            rounded up to a multiple of 8. Defaults to 0.25.
    """

    stride = 2

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 expand_ratio: int = 4,
                 se_ratio: float = 0.25) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        reduced = max(8, int(hidden * se_ratio + 4) // 8 * 8)
        self.expand = ConvBN(in_channels, hidden)
        self.act = nn.ReLU()
        self.dw = ConvBN(hidden, hidden, 3, stride=2, groups=hidden)
        self.se = SqueezeExcite(hidden, reduced)
        self.reduce = ConvBN(hidden, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        """Halve ``(B, C_in, H, W)`` to ``(B, C_out, H/2, W/2)``."""
        x = self.act(self.dw(self.act(self.expand(x))))
        return self.reduce(self.se(x))


class Subsample(nn.Sequential):
    """EfficientViT's subsample between stages (stride 2).

    ``DWConv -> FFN`` (residual, at ``C_in``), :class:`PatchMerging`
    (whose ``3x3/2`` depthwise convolution embeds overlapping patches: the
    "Subsample & OPE" of the LEViTPose figure), then ``DWConv -> FFN``
    (residual, at ``C_out``). The FFNs expand by ``ffn_ratio``.

    Args:
        in_channels (int): Channels of the previous stage.
        out_channels (int): Channels of this stage.
        ffn_ratio (float): FFN hidden channels over the width.
            Defaults to 2.
    """

    stride = 2

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 ffn_ratio: float = 2.) -> None:
        super().__init__()
        self.pre_dw = Residual(
            ConvBN(in_channels, in_channels, 3, groups=in_channels))
        self.pre_ffn = Residual(
            ConvFFN(in_channels, int(round(in_channels * ffn_ratio))))
        self.merge = PatchMerging(in_channels, out_channels)
        self.post_dw = Residual(
            ConvBN(out_channels, out_channels, 3, groups=out_channels))
        self.post_ffn = Residual(
            ConvFFN(out_channels, int(round(out_channels * ffn_ratio))))
