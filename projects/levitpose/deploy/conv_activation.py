"""Activations fused into oneDNN's packed convolutions, in a frozen
TorchScript graph.

A convolution followed by an elementwise activation writes its output to
memory and reads it back once more; oneDNN can apply the activation as a
post-op while the output is still in cache. In LEViTPose-T's frozen trace
the ReLUs after the FFNs' expanding ``1x1`` convolutions alone took about
1 ms of 12 (``docs/benchmarks.md``, the fifth round).

:func:`fuse_conv_activations` rewrites, in a graph from
``torch.jit.freeze``, each ``mkldnn::_convolution_pointwise`` (the operator
of :class:`~levitpose.deploy.packed_conv.PackedConv2d`) without a post-op
whose output only feeds an activation oneDNN has (:data:`ACTIVATIONS`)
into one such convolution with that post-op (``attr``, ``scalars`` and
``algorithm``: the arguments inductor's own fusion passes to the same
operator). It is generic: any model's packed trace, every activation of
the table. The result is the same up to float rounding.
"""
from typing import Callable, Dict, List, Optional, Tuple

import torch

__all__ = ['ACTIVATIONS', 'fuse_conv_activations']

CONV = 'mkldnn::_convolution_pointwise'
# the operator's arguments without a post-op:
# (x, weight, bias, padding, stride, dilation, groups, attr, scalars, algo)
_CONV_ARGS, _ATTR, _SCALARS, _ALGORITHM = 10, 7, 8, 9

# how a post-op reads an activation node: (attr, scalars, algorithm), or
# None when an argument is not a constant
PostOp = Tuple[str, List[float], Optional[str]]


def _constants(node: torch._C.Node, first: int) -> Optional[list]:
    """The values of ``node``'s inputs from ``first`` on, or None if one
    is not a constant."""
    values = []
    for value in list(node.inputs())[first:]:
        if value.node().kind() != 'prim::Constant':
            return None
        values.append(value.toIValue())
    return values


def _plain(attr: str) -> Callable[[torch._C.Node], Optional[PostOp]]:
    return lambda node: (attr, [], None)


def _hardtanh(node: torch._C.Node) -> Optional[PostOp]:
    args = _constants(node, 1)  # min_val, max_val
    return None if args is None else ('hardtanh', [float(v)
                                                   for v in args], None)


def _leaky_relu(node: torch._C.Node) -> Optional[PostOp]:
    args = _constants(node, 1)  # negative_slope
    return None if args is None else ('leaky_relu', [float(args[0])], None)


def _gelu(node: torch._C.Node) -> Optional[PostOp]:
    args = _constants(node, 1)  # approximate: 'none' or 'tanh'
    return None if args is None else ('gelu', [], str(args[0]))


_READERS: Dict[str, Callable[[torch._C.Node], Optional[PostOp]]] = {
    'aten::relu': _plain('relu'),
    'aten::sigmoid': _plain('sigmoid'),
    'aten::tanh': _plain('tanh'),
    'aten::silu': _plain('swish'),
    'aten::hardswish': _plain('hardswish'),
    'aten::hardsigmoid': _plain('hardsigmoid'),
    'aten::hardtanh': _hardtanh,  # also ReLU6
    'aten::leaky_relu': _leaky_relu,
    'aten::gelu': _gelu,
}
#: Operators fused, in-place forms (``relu_``) included.
ACTIVATIONS = tuple(sorted(_READERS)) + tuple(
    sorted(kind + '_' for kind in _READERS))


def _post_op(node: torch._C.Node) -> Optional[PostOp]:
    """The post-op equal to activation ``node``, or None."""
    reader = _READERS.get(node.kind().rstrip('_'))
    return None if reader is None else reader(node)


def _fusable_conv(node: torch._C.Node) -> Optional[torch._C.Node]:
    """The convolution feeding activation ``node`` when it can take the
    activation: a packed convolution without a post-op whose output
    nothing else uses."""
    conv = node.inputsAt(0).node()
    if (conv.kind() != CONV or conv.inputsSize() != _CONV_ARGS
            or len(conv.output().uses()) != 1):
        return None
    attr = conv.inputsAt(_ATTR)
    if attr.node().kind() != 'prim::Constant' or attr.toIValue() != 'none':
        return None
    return conv


def _constant(graph: torch._C.Graph, value: object,
              before: torch._C.Node) -> torch._C.Value:
    out = graph.insertConstant(value)
    out.node().moveBefore(before)
    return out


def _scalar_list(graph: torch._C.Graph, values: List[float],
                 before: torch._C.Node) -> torch._C.Value:
    """A ``Scalar?[]`` value, the type of the operator's ``scalars``."""
    items = [_constant(graph, v, before) for v in values]
    node = graph.create('prim::ListConstruct', items)
    node.output().setType(
        torch._C.ListType(torch._C.OptionalType(torch._C.NumberType.get())))
    node.insertBefore(before)
    return node.output()


def fuse_conv_activations(graph: torch._C.Graph) -> int:
    """Fuse, in place, each activation of :data:`ACTIVATIONS` that alone
    reads a packed convolution without a post-op into that convolution.

    Args:
        graph (torch._C.Graph): A frozen TorchScript module's ``graph``
            (its calls inlined, its arguments constants).

    Returns:
        int: How many activations were fused.
    """
    count = 0
    for node in list(graph.nodes()):
        post_op = _post_op(node)
        conv = None if post_op is None else _fusable_conv(node)
        if conv is None:
            continue
        attr, scalars, algorithm = post_op
        conv.replaceInput(_ATTR, _constant(graph, attr, conv))
        conv.replaceInput(_SCALARS, _scalar_list(graph, scalars, conv))
        if algorithm is not None:
            conv.replaceInput(_ALGORITHM, _constant(graph, algorithm, conv))
        node.output().replaceAllUsesWith(conv.output())
        node.destroy()
        count += 1
    if count:
        torch._C._jit_pass_dce(graph)
    return count
