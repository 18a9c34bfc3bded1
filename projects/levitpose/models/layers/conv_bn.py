"""Bias-free convolution / linear layers followed by BatchNorm, and the walk
that folds every BatchNorm into the layer before it for deployment.

The fusion follows the idea of timm's ``ConvNorm.fuse`` /
``reparameterize_model`` (``timm/models/efficientvit_msra.py``,
``timm/utils/model.py``), re-implemented here.
"""
import torch
from torch import Tensor, nn

__all__ = ['ConvBN', 'LinearBN', 'fuse_modules']


class ConvBN(nn.Sequential):
    """Bias-free ``Conv2d`` + ``BatchNorm2d``; :meth:`fuse` folds the BN.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Square kernel size. Defaults to 1.
        stride (int): Stride. Defaults to 1.
        groups (int): Convolution groups (``in_channels`` for a depthwise
            convolution). Defaults to 1.
        padding (int, optional): Zero padding; ``None`` pads
            ``kernel_size // 2`` so that stride 1 keeps the size.
            Defaults to None.
        zero_init (bool): Initialise the BN weight to zero, so that a
            residual branch ending in this layer starts as the identity.
            Defaults to False.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 1,
                 stride: int = 1,
                 groups: int = 1,
                 padding: int = None,
                 zero_init: bool = False) -> None:
        super().__init__()
        if padding is None:
            padding = kernel_size // 2
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups=groups,
            bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        nn.init.constant_(self.bn.weight, 0. if zero_init else 1.)
        nn.init.zeros_(self.bn.bias)

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        """Return a ``Conv2d`` (with bias) equal to this layer in eval mode."""
        conv, bn = self.conv, self.bn
        gain = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
        fused = nn.Conv2d(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            conv.stride,
            conv.padding,
            conv.dilation,
            conv.groups,
            bias=True).to(conv.weight)
        fused.weight.copy_(conv.weight * gain.view(-1, 1, 1, 1))
        fused.bias.copy_(bn.bias - bn.running_mean * gain)
        return fused


class LinearBN(nn.Sequential):
    """Bias-free ``Linear`` + ``BatchNorm1d`` over the channel (last) axis.

    Accepts inputs of shape ``(..., C)``; the BatchNorm statistics are taken
    over every leading axis (tokens of every image), as in LeViT.

    Args:
        in_features (int): Input features.
        out_features (int): Output features.
        zero_init (bool): Initialise the BN weight to zero.
            Defaults to False.
    """

    def __init__(self,
                 in_features: int,
                 out_features: int,
                 zero_init: bool = False) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=False)
        self.bn = nn.BatchNorm1d(out_features)
        nn.init.constant_(self.bn.weight, 0. if zero_init else 1.)
        nn.init.zeros_(self.bn.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the linear map, then the BN over all leading axes."""
        x = self.linear(x)
        return self.bn(x.flatten(0, -2)).reshape(x.shape)

    @torch.no_grad()
    def fuse(self) -> nn.Linear:
        """Return a ``Linear`` (with bias) equal to this layer in eval mode."""
        linear, bn = self.linear, self.bn
        gain = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
        fused = nn.Linear(
            linear.in_features, linear.out_features,
            bias=True).to(linear.weight)
        fused.weight.copy_(linear.weight * gain[:, None])
        fused.bias.copy_(bn.bias - bn.running_mean * gain)
        return fused


def fuse_modules(module: nn.Module) -> nn.Module:
    """Replace, depth first and in place, every child that has ``fuse()``.

    Args:
        module (nn.Module): The module to fuse; its children are replaced.

    Returns:
        nn.Module: ``module`` itself, or its fused replacement when the
        module itself has ``fuse()``.
    """
    for name, child in module.named_children():
        setattr(module, name, fuse_modules(child))
    if hasattr(module, 'fuse') and callable(module.fuse):
        fused = module.fuse()
        fused.train(module.training)
        return fused
    return module
