"""Overlapping patch embeddings: the stride-4 light stem of stage 1
("LStem & OPE") and the stride-2 subsampling of stages 2 and 3
("Subsample & OPE")."""
from torch import Tensor, nn

from .conv_bn import ConvBN

__all__ = ['LightStem', 'SubsampleEmbed']


class LightStem(nn.Module):
    """Light convolutional stem with overlapping patch embedding (stride 4).

    ``3x3/2 conv (3 -> stem_channels) + ReLU`` then an overlapping
    ``3x3/2 conv (stem_channels -> out_channels)``: each output token
    embeds a 7x7 patch of the image, and neighbouring patches overlap.

    Args:
        in_channels (int): Image channels.
        stem_channels (int): Channels after the first convolution.
        out_channels (int): Embedding channels of stage 1.
    """

    stride = 4

    def __init__(self, in_channels: int, stem_channels: int,
                 out_channels: int) -> None:
        super().__init__()
        self.conv = ConvBN(in_channels, stem_channels, 3, stride=2)
        self.act = nn.ReLU()
        self.embed = ConvBN(stem_channels, out_channels, 3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        """Embed ``(B, 3, H, W)`` images into ``(B, C, H/4, W/4)``."""
        return self.embed(self.act(self.conv(x)))


class SubsampleEmbed(nn.Module):
    """Stride-2 subsampling by overlapping patch embedding.

    A dense ``3x3/2`` convolution (overlapping 3x3 patches) that also
    changes the width from ``in_channels`` to ``out_channels``. A dense
    convolution at stride 8/16 is cheap in FLOPs and fast per FLOP on CPUs.

    Args:
        in_channels (int): Channels of the previous stage.
        out_channels (int): Channels of this stage.
    """

    stride = 2

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.embed = ConvBN(in_channels, out_channels, 3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        """Subsample ``(B, C_in, H, W)`` into ``(B, C_out, H/2, W/2)``."""
        return self.embed(x)
