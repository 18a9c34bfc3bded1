"""Convolutions with their weights reordered once for oneDNN (prepacked),
for PyTorch CPU inference.

``F.conv2d`` on a CPU hands its weight to oneDNN in PyTorch's plain layout,
and oneDNN reorders it into its blocked layout on every call. In a small
model that runs 70 convolutions per forward this is a large share of the
time (LEViTPose-T and MobileNetV2 traced: ``docs/benchmarks.md``, the
fourth round). :func:`pack_convolutions` makes
that reorder once, with oneDNN's own functions in PyTorch
(``torch.ops.mkldnn._reorder_convolution_weight`` and
``_convolution_pointwise``, which inductor's ``freezing`` uses for the
same purpose). It is generic: every plain ``nn.Conv2d`` of any model, and
LEViTPose's sub-pixel transposed convolutions, which are convolutions then
a pixel shuffle.

The result is the same up to float rounding. oneDNN returns channels-last
maps whatever the input's layout (values do not depend on layout; a model
in NCHW then runs channels-last after its first convolution). The packed
weight is chosen for one input shape and is right for any other.
"""
import functools
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from ..models.layers.subpixel import SubPixelConvTranspose2d

__all__ = ['PackedConv2d', 'can_pack', 'pack_convolutions']


def _packed_conv2d(x: Tensor, weight: Tensor, bias: Optional[Tensor],
                   padding: List[int], stride: List[int], dilation: List[int],
                   groups: int) -> Tensor:
    """oneDNN's convolution with a prepacked ``weight``."""
    scalars = torch.jit.annotate(List[Optional[Union[int, float, complex]]],
                                 [])
    return torch.ops.mkldnn._convolution_pointwise(x, weight, bias, padding,
                                                   stride, dilation, groups,
                                                   'none', scalars, '')


@functools.lru_cache(maxsize=None)
def _scripted_conv() -> Callable[..., Tensor]:
    """:func:`_packed_conv2d` compiled by TorchScript, once, when the first
    :class:`PackedConv2d` is built: the tracer cannot record the operator's
    empty ``Scalar?[]`` argument, TorchScript can, and a trace calls the
    scripted function as it is."""
    with warnings.catch_warnings():  # torch.jit.script's deprecation notice
        warnings.filterwarnings(
            'ignore', category=FutureWarning, module=r'torch\.jit\.')
        return torch.jit.script(_packed_conv2d)


class PackedConv2d(nn.Module):
    """A 2-d convolution whose weight oneDNN reordered once (inference only).

    The packed weight is an opaque oneDNN tensor: it cannot be saved
    (``torch.save``, ``torch.jit.save``) or deep-copied; pack in the process
    that runs the model.

    Args:
        weight (Tensor): ``(C_out, C_in / groups, kh, kw)``, float32, CPU.
        bias (Tensor, optional): ``(C_out,)``.
        padding, stride, dilation (Sequence[int]): Two ints each.
        groups (int): Convolution groups.
        input_shape (Sequence[int]): ``(N, C_in, H, W)`` oneDNN chooses the
            weight's layout for; any other shape gives the same result.
    """

    def __init__(self, weight: Tensor, bias: Optional[Tensor],
                 padding: Sequence[int], stride: Sequence[int],
                 dilation: Sequence[int], groups: int,
                 input_shape: Sequence[int]) -> None:
        super().__init__()
        self.padding = [int(v) for v in padding]
        self.stride = [int(v) for v in stride]
        self.dilation = [int(v) for v in dilation]
        self.groups = int(groups)
        self.in_channels = weight.shape[1] * self.groups
        self.out_channels = weight.shape[0]
        with torch.no_grad():
            packed = torch.ops.mkldnn._reorder_convolution_weight(
                weight.detach().contiguous(), self.padding, self.stride,
                self.dilation, self.groups, [int(v) for v in input_shape])
        self.register_buffer('weight', packed)
        self._conv = _scripted_conv()
        self.register_buffer('bias',
                             None if bias is None else bias.detach().clone())

    @classmethod
    def from_conv(cls, conv: nn.Conv2d,
                  input_shape: Sequence[int]) -> 'PackedConv2d':
        """The packed form of ``conv`` (see :func:`can_pack`)."""
        return cls(conv.weight, conv.bias, conv.padding, conv.stride,
                   conv.dilation, conv.groups, input_shape)

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, kernel_size='
                f'{tuple(self.weight.shape[-2:])}, stride={self.stride}, '
                f'padding={self.padding}, groups={self.groups}')

    def forward(self, x: Tensor) -> Tensor:
        return self._conv(x, self.weight, self.bias, self.padding, self.stride,
                          self.dilation, self.groups)


def can_pack(module: nn.Module) -> bool:
    """Whether :func:`pack_convolutions` replaces ``module``: a plain
    ``nn.Conv2d`` (not a subclass with a forward of its own) or a
    :class:`SubPixelConvTranspose2d`, float32 on the CPU, zero padding
    given as numbers."""
    if type(module) not in (nn.Conv2d, SubPixelConvTranspose2d):
        return False
    return (module.weight.device.type == 'cpu'
            and module.weight.dtype == torch.float32
            and module.padding_mode == 'zeros'
            and not isinstance(module.padding, str))


def _packed(module: nn.Module, input_shape: Sequence[int]) -> nn.Module:
    """The packed replacement of a module :func:`can_pack` accepts."""
    if isinstance(module, SubPixelConvTranspose2d):
        weight, bias, padding = module.subpixel_conv()
        conv = PackedConv2d(weight, bias, (padding, padding), (1, 1), (1, 1),
                            module.groups, input_shape)
        return nn.Sequential(conv, nn.PixelShuffle(2))
    return PackedConv2d.from_conv(module, input_shape)


def pack_convolutions(model: nn.Module, example: Tensor) -> int:
    """Replace, in place, every convolution :func:`can_pack` accepts and
    that ``model(example)`` runs by its :class:`PackedConv2d` form (for
    inference: the packed weights are not parameters).

    Nothing happens where PyTorch has no oneDNN (``torch.backends.mkldnn``
    unavailable) or ``example`` is not a float32 CPU tensor.

    Args:
        model (nn.Module): Called as ``model(example)``.
        example (Tensor): An input; each convolution's weight is packed for
            the shape it gets from it.

    Returns:
        int: How many convolutions were replaced.
    """
    if (not torch.backends.mkldnn.is_available()
            or example.device.type != 'cpu' or example.dtype != torch.float32):
        return 0
    shapes: Dict[nn.Module, Tuple[int, ...]] = {}

    def record(module: nn.Module, args: tuple) -> None:
        x = args[0] if args else None
        if isinstance(x, Tensor) and x.dtype == torch.float32:
            shapes.setdefault(module, tuple(x.shape))

    hooks = [
        m.register_forward_pre_hook(record) for m in model.modules()
        if can_pack(m)
    ]
    try:
        with torch.no_grad():
            model(example)
    finally:
        for hook in hooks:
            hook.remove()
    return _replace(model, shapes)


def _replace(module: nn.Module, shapes: Dict[nn.Module, Tuple[int,
                                                              ...]]) -> int:
    """Replace the children of ``module`` found in ``shapes``, depth
    first; the number replaced."""
    count = 0
    for name, child in module.named_children():
        if child in shapes:
            setattr(module, name, _packed(child, shapes[child]))
            count += 1
        else:
            count += _replace(child, shapes)
    return count
