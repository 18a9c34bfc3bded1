"""Bias-free (transposed) convolutions followed by BatchNorm, and the walk
that folds every BatchNorm into the layer before it for deployment.

The fusion follows the idea of timm's ``ConvNorm.fuse`` /
``reparameterize_model`` (``timm/models/efficientvit_msra.py``,
``timm/utils/model.py``), re-implemented here.
"""
import copy
from typing import Optional, Tuple

import torch
from torch import Tensor, nn

from .subpixel import SubPixelConvTranspose2d

__all__ = ['ConvBN', 'DeconvBN', 'fuse_modules']


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
        gain, bias = _bn_affine(self.bn)
        return _with_weights(self.conv,
                             self.conv.weight * gain.view(-1, 1, 1, 1), bias)


class DeconvBN(nn.Sequential):
    """Bias-free ``ConvTranspose2d`` (x2 upsampling) + ``BatchNorm2d``.

    The kernel-4 / stride-2 / padding-1 layout of MMPose's ``HeatmapHead``
    deconvolutions, optionally grouped; :meth:`fuse` folds the BN.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        groups (int): Convolution groups. Defaults to 1.
        kernel_size (int): Kernel size, 4 (padding 1) or 2 (padding 0).
            Defaults to 4.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 groups: int = 1,
                 kernel_size: int = 4) -> None:
        super().__init__()
        if kernel_size not in (2, 4):
            raise ValueError(
                f'kernel_size must be 2 or 4 (x2 upsampling), got '
                f'{kernel_size}')
        self.deconv = nn.ConvTranspose2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=2,
            padding=(kernel_size - 2) // 2,
            groups=groups,
            bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    @torch.no_grad()
    def fuse(self) -> nn.ConvTranspose2d:
        """Return a ``ConvTranspose2d`` (with bias) equal to this layer in
        eval mode; it computes as a sub-pixel convolution
        (:class:`SubPixelConvTranspose2d`, same weights, same result)."""
        deconv = self.deconv
        gain, bias = _bn_affine(self.bn)
        # weight: (C_in, C_out / groups, k, k); output channel o of group g
        # is column o % (C_out / groups) of the rows of group g
        per_group = deconv.out_channels // deconv.groups
        weight = deconv.weight.view(deconv.groups, -1, per_group,
                                    *deconv.kernel_size)
        weight = weight * gain.view(deconv.groups, 1, per_group, 1, 1)
        fused = _with_weights(deconv, weight.view_as(deconv.weight), bias)
        return SubPixelConvTranspose2d.from_deconv(fused)


def _bn_affine(bn: nn.BatchNorm2d) -> Tuple[Tensor, Tensor]:
    """``(gain, bias)`` with ``bn(x) == x * gain + bias`` in eval mode."""
    gain = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
    return gain, bn.bias - bn.running_mean * gain


def _with_weights(layer: nn.Module, weight: Tensor,
                  bias: Optional[Tensor]) -> nn.Module:
    """A copy of a (transposed) convolution with new weights and bias
    (None: no bias)."""
    fused = copy.deepcopy(layer)
    fused.weight = nn.Parameter(weight.detach().clone())
    fused.bias = None if bias is None else nn.Parameter(bias.detach().clone())
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
