"""A convolution and the ReLU or residual sum after it as one CPU kernel,
for deployment.

oneDNN runs a convolution with the ReLU, or the addition of another
tensor, as a post-op: the output is written once, already rectified or
summed, instead of written, read and written again by a separate operator.
PyTorch exposes those kernels as ``torch.ops.mkldnn._convolution_pointwise``
(the ones its inductor compiler emits for ``conv -> relu`` and ``conv +
x`` on CPU). :func:`fuse_activations` puts :class:`ConvReLU2d` in place of
every ``Conv2d`` that a ``ReLU`` follows in an ``nn.Sequential`` of a
deployed model (the ``ReLU`` becomes an ``Identity``), and has every
residual branch that ends in a convolution add its input in that
convolution (:func:`conv_add`, through the branch's ``fuse_add()``). The
state dict keeps its keys.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    'ConvReLU2d', 'conv_add', 'fusable_conv', 'fused_kernel_applies',
    'fuse_activations'
]


def _pointwise_op() -> Optional[object]:
    """The fused oneDNN convolution, where this PyTorch build has it."""
    if not torch.backends.mkldnn.is_available():
        return None
    return getattr(torch.ops.mkldnn, '_convolution_pointwise', None)


def fused_kernel_applies(x: Tensor, conv: nn.Conv2d) -> bool:
    """Whether the oneDNN kernel may run: a float32 4-D CPU tensor at
    inference (no autograd), outside tracing, scripting, compiling and ONNX
    export (which must see the ordinary operators)."""
    return (x.device.type == 'cpu' and x.dtype == torch.float32
            and x.dim() == 4
            and not (torch.is_grad_enabled() and
                     (x.requires_grad or conv.weight.requires_grad))
            and not torch.jit.is_tracing() and not torch.jit.is_scripting()
            and not torch.compiler.is_compiling()
            and not torch.onnx.is_in_onnx_export())


def conv_add(conv: nn.Conv2d, x: Tensor, other: Tensor) -> Tensor:
    """``conv(x) + other`` as one oneDNN convolution with a sum post-op
    where :func:`fused_kernel_applies`, else the two operators."""
    op = _pointwise_op()
    if op is not None and fused_kernel_applies(x, conv) and \
            other.shape[1] == conv.out_channels:
        return op.binary(x, other, conv.weight, conv.bias, list(conv.padding),
                         list(conv.stride), list(conv.dilation), conv.groups,
                         'add', None, None, [], None)
    return conv(x) + other


def fusable_conv(module: nn.Module) -> bool:
    """A plain zero-padded ``Conv2d`` with numeric padding (what the fused
    kernels take)."""
    return (type(module) is nn.Conv2d and module.padding_mode == 'zeros'
            and not isinstance(module.padding, str))


class ConvReLU2d(nn.Conv2d):
    """``relu(conv(x))``: one oneDNN convolution with a ReLU post-op on a
    float32 CPU tensor at inference; ``conv`` then ``relu`` otherwise
    (autograd, other devices and dtypes, tracing and ONNX export, which
    see the two ordinary operators).

    Built from a ``Conv2d`` by :meth:`from_conv` (same parameters, same
    state dict keys).
    """

    @classmethod
    def from_conv(cls, conv: nn.Conv2d) -> 'ConvReLU2d':
        """The same layer (its parameters, not copies) with the ReLU."""
        if not fusable_conv(conv):
            raise TypeError('ConvReLU2d wraps a zero-padded nn.Conv2d with '
                            f'numeric padding, got {conv!r}')
        fused = cls.__new__(cls)
        fused.__dict__ = conv.__dict__.copy()
        return fused

    def forward(self, x: Tensor) -> Tensor:
        op = _pointwise_op()
        if op is not None and fused_kernel_applies(x, self):
            return op(x, self.weight, self.bias, list(self.padding),
                      list(self.stride), list(self.dilation), self.groups,
                      'relu', [], '')
        return F.relu(super().forward(x))


def fuse_activations(module: nn.Module) -> int:
    """Fuse, in place, every ``Conv2d -> ReLU`` pair of consecutive
    children of the ``nn.Sequential`` modules in ``module``, then every
    residual addition that a sub-module's ``fuse_add()`` can take into its
    branch's last convolution.

    Args:
        module (nn.Module): A deployed (BatchNorm-folded) model or part.

    Returns:
        int: The number of ReLUs and additions fused.
    """
    count = 0
    for parent in list(module.modules()):
        if not isinstance(parent, nn.Sequential):
            continue
        names = list(parent._modules)
        for first, second in zip(names, names[1:]):
            conv, act = parent._modules[first], parent._modules[second]
            if fusable_conv(conv) and type(act) is nn.ReLU:
                parent._modules[first] = ConvReLU2d.from_conv(conv)
                parent._modules[second] = nn.Identity()
                count += 1
    for child in module.modules():
        if callable(getattr(child, 'fuse_add', None)) and child.fuse_add():
            count += 1
    return count
