"""A stride-2 transposed convolution computed as a convolution followed by a
pixel shuffle (sub-pixel convolution), with the same weights and result.

Output pixel ``2m + a`` of a stride-2 transposed convolution (kernel ``k``,
padding ``p``) sums input pixels ``i`` through kernel tap
``a + p - 2 (i - m)``. Writing, for each of the four output phases
``(a, b)``, those taps at their offsets ``i - m`` gives an ordinary
convolution with ``4 x C_out`` outputs; :class:`torch.nn.PixelShuffle`
interleaves the phases. The convolution runs in oneDNN's fast paths (a
grouped ``4x4/2`` transposed convolution of LFRM does not), see
``docs/benchmarks.md``. The idea is Shi et al.'s sub-pixel convolution
(ESPCN, CVPR 2016); the exact weight mapping is derived above.
"""
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .exporting import exporting

__all__ = ['SubPixelConvTranspose2d']


def _phase_taps(kernel: int, padding: int) -> Dict[int, Dict[int, int]]:
    """``{phase a: {offset i - m: kernel tap}}`` of a stride-2 transposed
    convolution along one axis."""
    taps = {}
    for phase in (0, 1):
        taps[phase] = {
            offset: phase + padding - 2 * offset
            for offset in range(-kernel, kernel + 1)
            if 0 <= phase + padding - 2 * offset < kernel
        }
    return taps


class SubPixelConvTranspose2d(nn.ConvTranspose2d):
    """:class:`~torch.nn.ConvTranspose2d` (stride 2, output twice the input)
    that runs as ``Conv2d -> PixelShuffle(2)``.

    Its parameters and state dict are those of the transposed convolution
    it replaces. While exporting (ONNX, ``torch.export``) it stays a
    transposed convolution: ONNX Runtime's ``ConvTranspose`` is faster
    than its grouped convolution plus ``DepthToSpace`` on this model.

    Build it with :meth:`from_deconv`.
    """

    @classmethod
    def from_deconv(cls,
                    deconv: nn.ConvTranspose2d) -> 'SubPixelConvTranspose2d':
        """A copy of ``deconv`` (same weights) that computes sub-pixel.

        Raises:
            ValueError: if ``deconv`` is not a stride-2 transposed
                convolution whose output is exactly twice its input
                (``kernel - 2 * padding == 2``, no dilation or output
                padding).
        """
        k, p = deconv.kernel_size, deconv.padding
        if (deconv.stride != (2, 2) or k[0] != k[1] or p[0] != p[1]
                or k[0] - 2 * p[0] != 2 or deconv.dilation != (1, 1)
                or deconv.output_padding != (0, 0)):
            raise ValueError(
                'sub-pixel form needs a stride-2 transposed convolution '
                'with kernel - 2 * padding == 2 and no dilation or output '
                f'padding, got kernel {k}, stride {deconv.stride}, padding '
                f'{p}')
        layer = cls(
            deconv.in_channels,
            deconv.out_channels,
            k,
            stride=2,
            padding=p,
            groups=deconv.groups,
            bias=deconv.bias is not None).to(deconv.weight)
        with torch.no_grad():
            layer.weight.copy_(deconv.weight)
            if deconv.bias is not None:
                layer.bias.copy_(deconv.bias)
        layer.train(deconv.training)
        return layer

    def subpixel_conv(self) -> Tuple[Tensor, Tensor, int]:
        """``(weight, bias, padding)`` of the equivalent convolution.

        Output channel ``4 c + 2 a + b`` of the convolution is phase
        ``(a, b)`` of output channel ``c`` (the order
        :class:`~torch.nn.PixelShuffle` expects).
        """
        k, p = self.kernel_size[0], self.padding[0]
        taps = _phase_taps(k, p)
        offsets = [o for phase in taps.values() for o in phase]
        low, size = min(offsets), max(offsets) - min(offsets) + 1
        groups = self.groups
        in_per_group = self.in_channels // groups
        out_per_group = self.out_channels // groups
        # (C_in, C_out/g, k, k) -> (g, C_in/g, C_out/g, k, k)
        deconv = self.weight.view(groups, in_per_group, out_per_group, k, k)
        weight = self.weight.new_zeros(groups, out_per_group, 2, 2,
                                       in_per_group, size, size)
        for a, rows in taps.items():
            for b, cols in taps.items():
                for dy, ky in rows.items():
                    for dx, kx in cols.items():
                        weight[:, :, a, b, :, dy - low, dx - low] = (
                            deconv[..., ky, kx].transpose(1, 2))
        weight = weight.reshape(4 * self.out_channels, in_per_group, size,
                                size)
        bias = (
            self.bias.repeat_interleave(4) if self.bias is not None else None)
        return weight, bias, -low

    def forward(self, x: Tensor) -> Tensor:
        """Upsample ``(B, C_in, H, W)`` to ``(B, C_out, 2H, 2W)``."""
        if exporting():
            return super().forward(x)
        if torch.is_grad_enabled() and self.weight.requires_grad:
            weight, bias, padding = self.subpixel_conv()  # differentiable
        else:
            weight, bias, padding = self._cached_conv()
        return F.pixel_shuffle(
            F.conv2d(x, weight, bias, padding=padding, groups=self.groups), 2)

    def _cached_conv(self) -> Tuple[Tensor, Tensor, int]:
        """:meth:`subpixel_conv`, recomputed only when the weights change
        (loading a state dict, an in-place update)."""
        key = (self.weight._version, self.weight.data_ptr(),
               None if self.bias is None else
               (self.bias._version, self.bias.data_ptr()))
        if getattr(self, '_subpixel_key', None) != key:
            with torch.no_grad():
                self._subpixel = self.subpixel_conv()
            self._subpixel_key = key
        return self._subpixel
