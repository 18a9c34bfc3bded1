"""The sandwich block ``DWConv -> FFN -> mixer -> DWConv -> FFN`` (every
part residual) of EfficientViT and LEViTPose, and its building parts."""
import torch
from torch import Tensor, nn

from .conv_bn import ConvBN, _with_weights

__all__ = ['Residual', 'ConvFFN', 'SandwichBlock']


class Residual(nn.Module):
    """``x + f(x)``, with stochastic depth on ``f`` while training.

    Args:
        fn (nn.Module): The residual branch.
        drop_path (float): Probability of dropping the branch for a sample
            (stochastic depth). Defaults to 0.
    """

    def __init__(self, fn: nn.Module, drop_path: float = 0.) -> None:
        super().__init__()
        if not 0. <= drop_path < 1.:
            raise ValueError(f'drop_path must be in [0, 1), got {drop_path}')
        self.fn = fn
        self.drop_path = drop_path

    def forward(self, x: Tensor) -> Tensor:
        """Add the (possibly dropped) branch to its input."""
        if self.training and self.drop_path > 0.:
            keep = 1. - self.drop_path
            mask = torch.rand(
                x.shape[0], 1, 1, 1, device=x.device).ge_(self.drop_path)
            return x + self.fn(x) * mask.to(x.dtype).div_(keep)
        return x + self.fn(x)

    @torch.no_grad()
    def fuse(self) -> nn.Module:
        """Fold the residual into a depthwise branch, for deployment.

        ``x + dw(x)``, with ``dw`` a (BN-fused) depthwise ``k x k``
        convolution of stride 1 that pads ``k // 2`` with zeros, is ``dw``
        with 1 added to each channel's centre tap: that tap reads ``x``
        itself at every position, padding or not. RepVGG's identity branch
        folds the same way (as timm's ``RepVggDw.fuse``). One addition and
        one activation-sized tensor less per block part; the model computes
        the same (up to float rounding).

        Returns:
            nn.Module: The convolution with the residual in it, or ``self``
            where the branch is anything else.
        """
        conv = self.fn
        if not _is_same_size_depthwise(conv):
            return self
        weight = conv.weight.clone()
        centre = conv.kernel_size[0] // 2
        weight[:, 0, centre, centre] += 1.
        return _with_weights(conv, weight, conv.bias)


def _is_same_size_depthwise(conv: nn.Module) -> bool:
    """Whether ``conv`` is a plain depthwise ``Conv2d``, odd square
    kernel, stride 1, zero padding ``k // 2``, no dilation."""
    if type(conv) is not nn.Conv2d:
        return False
    k = conv.kernel_size
    return (conv.groups == conv.in_channels == conv.out_channels
            and k[0] == k[1] and k[0] % 2 == 1 and conv.stride == (1, 1)
            and conv.padding == (k[0] // 2, k[0] // 2)
            and conv.dilation == (1, 1) and conv.padding_mode == 'zeros')


class ConvFFN(nn.Sequential):
    """Pointwise feed-forward network ``1x1 conv -> ReLU -> 1x1 conv``.

    Args:
        dim (int): Input/output channels.
        hidden_dim (int): Hidden channels.
    """

    def __init__(self, dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.expand = ConvBN(dim, hidden_dim)
        self.act = nn.ReLU()
        self.reduce = ConvBN(hidden_dim, dim, zero_init=True)


class SandwichBlock(nn.Sequential):
    """``DWConv -> FFN -> mixer -> DWConv -> FFN``, each part residual.

    The sandwich layout of EfficientViT (Liu et al., CVPR 2023): the
    token mixer sits between two depthwise convolutions (local mixing and
    positional information) and two FFNs.

    Args:
        dim (int): Channels.
        mixer (nn.Module): The token mixer (``(B, C, H, W)`` in and out).
        ffn_ratio (float): FFN hidden channels over ``dim``.
        dw_kernel (int): Kernel of the depthwise convolutions.
            Defaults to 3.
        drop_path (float): Stochastic depth of every residual branch.
            Defaults to 0.
    """

    def __init__(self,
                 dim: int,
                 mixer: nn.Module,
                 ffn_ratio: float,
                 dw_kernel: int = 3,
                 drop_path: float = 0.) -> None:
        super().__init__()
        hidden = int(round(dim * ffn_ratio))
        self.dw0 = Residual(
            ConvBN(dim, dim, dw_kernel, groups=dim, zero_init=True), drop_path)
        self.ffn0 = Residual(ConvFFN(dim, hidden), drop_path)
        self.mixer = Residual(mixer, drop_path)
        self.dw1 = Residual(
            ConvBN(dim, dim, dw_kernel, groups=dim, zero_init=True), drop_path)
        self.ffn1 = Residual(ConvFFN(dim, hidden), drop_path)
