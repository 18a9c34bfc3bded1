"""Overlapping patch embedding (OPE) and the baseline's stride-4 stem."""
from torch import Tensor, nn

from .conv_bn import ConvBN

__all__ = ['OverlapPatchEmbed', 'ConvStem']


class OverlapPatchEmbed(ConvBN):
    """Overlapping patch embedding: a ``3x3/2`` ``ConvBN``.

    Each output token embeds a 3x3 patch of its input and neighbouring
    patches overlap (stride 2 < kernel 3), the "OPE" of the paper's figure.
    It is also the last convolution of EfficientViT's patch embedding (no
    activation after it).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Embedding channels.
    """

    stride = 2

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 3, stride=2)


class ConvStem(nn.Module):
    """The baseline's stem to stride 4: EfficientViT's patch embedding
    (``3x3/2`` convolutions, widths doubling to ``C``, ReLU between) cut to
    two convolutions, ``C_in -> C/2 -> C``.

    Args:
        in_channels (int): Image channels.
        channels (int): Output channels ``C`` (even).
    """

    stride = 4

    def __init__(self, in_channels: int, channels: int) -> None:
        super().__init__()
        self.conv = ConvBN(in_channels, channels // 2, 3, stride=2)
        self.act = nn.ReLU()
        self.embed = OverlapPatchEmbed(channels // 2, channels)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C_in, H, W)`` -> ``(B, C, H/4, W/4)``."""
        return self.embed(self.act(self.conv(x)))
