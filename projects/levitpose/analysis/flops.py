"""Complete FLOP counting for mmengine's :class:`FlopAnalyzer`.

mmengine counts one multiply-add as one "flop" (as MMPose's ``get_flops``
and the LEViTPose paper do), but silently skips operators it has no handle
for, among them ``aten::scaled_dot_product_attention`` and the elementwise
arithmetic of residual additions, softmax and activations: their FLOPs
would be missing. :data:`EXTRA_FLOP_HANDLES` adds a handle for each of
them, and :func:`get_model_complexity` counts a model with the handles
installed, refusing to report a total that still skips an operator.

Conventions of the added handles (same units as mmengine's own):

- scaled dot-product attention: ``N_q * N_k * (d_k + d_v)`` multiply-adds
  for the two matrix products plus ``N_q * N_k`` for the softmax (and as
  many again for an additive mask), per batch element and head.
- ``baddbmm``: as ``bmm``; elementwise ops: one per output element.
"""
from numbers import Number
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import (Handle, bmm_flop_jit,
                                           elementwise_flop_counter, get_shape)
from torch import nn

from .hook_flops import count_paper_flops

__all__ = [
    'EXTRA_FLOP_HANDLES', 'sdpa_flop_jit', 'build_flop_analyzer',
    'get_model_complexity', 'get_config_complexity', 'format_count',
    'UncountedOpsError', 'split_by_part'
]


def _prod(values: Sequence[int]) -> int:
    result = 1
    for value in values:
        result *= int(value)
    return result


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> Number:
    """FLOPs of ``aten::scaled_dot_product_attention``.

    Args:
        inputs (list): The traced inputs ``(query, key, value, attn_mask,
            ...)``; query ``(..., N_q, d_k)``, key ``(..., N_k, d_k)``,
            value ``(..., N_k, d_v)``.
        outputs (list): The traced outputs (unused).

    Returns:
        Number: ``batch * N_q * N_k * (d_k + d_v + 1)``, plus
        ``batch * N_q * N_k`` when an additive mask is given.
    """
    q_shape, k_shape, v_shape = (get_shape(v) for v in inputs[:3])
    *batch, n_q, d_k = q_shape
    n_k, d_v = k_shape[-2], v_shape[-1]
    scores = _prod(batch) * n_q * n_k
    flops = scores * (d_k + d_v + 1)  # QK^T, softmax, AV
    if len(inputs) > 3 and get_shape(inputs[3]) is not None:
        flops += scores  # additive mask / bias
    return flops


def _baddbmm_flop_jit(inputs: List[Any], outputs: List[Any]) -> Number:
    """FLOPs of ``aten::baddbmm(input, batch1, batch2)``: the ``bmm``."""
    return bmm_flop_jit(inputs[1:3], outputs)


_ELEMENTWISE = elementwise_flop_counter(0, 1)  # one per output element

#: Elementwise arithmetic (residual additions, softmax, activations, SE).
ELEMENTWISE_OPS = [
    f'aten::{name}' for name in (
        'add add_ sub sub_ mul mul_ div div_ rsub softmax sigmoid sigmoid_ '
        'hardsigmoid hardsigmoid_ hardswish hardswish_ gelu silu silu_ exp '
        'tanh mean sum pow sqrt rsqrt neg').split()
]

#: Handles for operators mmengine's :class:`FlopAnalyzer` skips.
EXTRA_FLOP_HANDLES: Dict[str, Handle] = {
    'aten::scaled_dot_product_attention': sdpa_flop_jit,
    'aten::baddbmm': _baddbmm_flop_jit,
    # pooling / upsampling variants mmengine lacks
    'aten::avg_pool2d': elementwise_flop_counter(1, 0),
    'aten::max_pool2d': elementwise_flop_counter(1, 0),
    'aten::upsample_bicubic2d': elementwise_flop_counter(0, 16),
    **{
        name: _ELEMENTWISE
        for name in ELEMENTWISE_OPS
    },
}

#: Operators that do no arithmetic (memory layout, comparisons, masks) or
#: only clamp (ReLU6 = hardtanh, free like mmengine's ``relu``/``clamp``);
#: ignored explicitly so that every remaining one is reported.
ZERO_FLOP_OPS = [
    f'aten::{name}' for name in (
        'pixel_shuffle pixel_unshuffle channel_shuffle native_channel_shuffle '
        'flip ge le lt ne rand bernoulli_ '
        'repeat expand_as chunk clone split unflatten pad hardtanh hardtanh_ '
        'relu6').split()
]


class UncountedOpsError(RuntimeError):
    """A traced model used operators without a FLOP handle."""


def build_flop_analyzer(model: nn.Module, inputs: Any) -> FlopAnalyzer:
    """A :class:`FlopAnalyzer` with :data:`EXTRA_FLOP_HANDLES` installed.

    Args:
        model (nn.Module): The model to trace.
        inputs (Tensor | tuple): Positional inputs of ``model.forward``.

    Returns:
        FlopAnalyzer: The analyzer (lazy: tracing happens on first query).
    """
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.set_op_handle(**EXTRA_FLOP_HANDLES)
    analyzer.set_op_handle(**{name: None for name in ZERO_FLOP_OPS})
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer


def get_model_complexity(model: nn.Module,
                         inputs: Any,
                         strict: bool = True) -> Dict[str, Any]:
    """Parameters and complete FLOPs of ``model(*inputs)``.

    Args:
        model (nn.Module): The model; put it in the mode to count (``eval``
            for inference FLOPs, which also counts BatchNorm as mmengine
            does).
        inputs (Tensor | tuple): Positional inputs of ``model.forward``.
        strict (bool): Raise :class:`UncountedOpsError` if an operator has
            no handle. Defaults to True.

    Returns:
        dict: ``flops`` (int, multiply-adds), ``params`` (int),
        ``by_operator`` (dict of FLOPs per operator) and ``uncounted``
        (dict of operator -> calls without a handle).
    """
    analyzer = build_flop_analyzer(model, inputs)
    with torch.no_grad():
        flops = analyzer.total()
    uncounted = dict(analyzer.unsupported_ops())
    if strict and uncounted:
        raise UncountedOpsError(
            f'operators without a FLOP handle: {sorted(uncounted)}; add them '
            'to levitpose.analysis.flops.EXTRA_FLOP_HANDLES')
    return dict(
        flops=int(flops),
        params=int(parameter_count(model)['']),
        by_operator=dict(analyzer.by_operator()),
        uncounted=uncounted)


def format_count(value: Optional[float], unit: str = '') -> str:
    """``1234567 -> '1.235M'``: a count with an SI suffix."""
    for suffix, scale in (('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if abs(value) >= scale:
            return f'{value / scale:.3f}{suffix}{unit}'
    return f'{value}{unit}'


class _TensorMode(nn.Module):
    """Calls ``estimator(x, None, 'tensor')`` (the path MMPose times)."""

    def __init__(self, estimator: nn.Module) -> None:
        super().__init__()
        self.estimator = estimator

    def forward(self, x: torch.Tensor) -> Any:
        return self.estimator(x, None, 'tensor')


def get_config_complexity(config: str,
                          input_shape: Optional[Tuple[int, int]] = None,
                          strict: bool = True) -> Dict[str, Any]:
    """Parameters and FLOPs of a config's whole top-down model, both ways.

    The model is built from ``config`` (no weights), put in eval mode and
    run through ``model(x, None, 'tensor')`` (MMPose 0.29's
    ``forward_dummy``) with a ``(1, 3, H, W)`` input. It is counted twice:
    completely (every operator, :func:`get_model_complexity`) and in the
    paper's convention (:func:`.hook_flops.count_paper_flops`: modules
    only, as mmcv 1.x), the latter also split into the parts of the
    model (:func:`split_by_part`).

    Args:
        config (str): Path of an MMPose config.
        input_shape (tuple[int, int], optional): ``(H, W)`` of the input;
            None takes the codec's ``input_size`` (``(w, h)``) or 256x192.
            Defaults to None.
        strict (bool): See :func:`get_model_complexity`. Defaults to True.

    Returns:
        dict: :func:`get_model_complexity`'s dict plus ``input_shape``,
        ``paper_flops``, ``paper_params`` and ``paper_parts`` (part name ->
        paper-convention FLOPs).

    Raises:
        MissingFileError: if ``config`` does not exist.
        InvalidInputError: if it cannot be parsed or its model not built.
        UsageError: if ``input_shape`` is not two positive ints, or the
            model refuses that size.
    """
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    from ..utils.config import config_errors, load_config
    from ..utils.errors import UsageError

    cfg = load_config(config)
    if input_shape is None:
        codec = cfg.get('codec', None)
        if codec is not None and 'input_size' in codec:
            input_shape = tuple(codec['input_size'])[::-1]
        else:
            input_shape = (256, 192)
    if (len(input_shape) != 2
            or not all(isinstance(v, int) and v > 0 for v in input_shape)):
        raise UsageError(f'input_shape must be two positive ints (H, W), '
                         f'got {input_shape!r}')
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    with config_errors(f'a pose model from config {config}'):
        model = MODELS.build(cfg.model).eval()
    inputs = (torch.rand(1, 3, *input_shape), )
    wrapped = _TensorMode(model)
    try:
        result = get_model_complexity(wrapped, inputs, strict=strict)
    except ValueError as err:  # e.g. a size the backbone refuses
        raise UsageError(f'the model of {config} cannot take input shape '
                         f'{input_shape}: {err}') from err
    result['input_shape'] = tuple(input_shape)
    paper = count_paper_flops(wrapped, inputs)
    result['paper_flops'] = paper['flops']
    result['paper_params'] = paper['params']
    result['paper_parts'] = split_by_part(paper['by_module'])
    return result


def split_by_part(by_module: Dict[str, int]) -> Dict[str, int]:
    """Sum per-module FLOPs of a top-down model into its parts.

    Args:
        by_module (dict): Qualified module name (as seen from
            ``_TensorMode``, i.e. ``estimator.backbone...``) -> FLOPs.

    Returns:
        dict: ``stem`` (stage 1's patch embedding), ``stage1`` ...
        (each stage without the stem; stages 2+ include their subsample),
        ``head`` and, if any module is elsewhere, ``other``.
    """
    parts: Dict[str, int] = {}
    for name, flops in by_module.items():
        fields = name.split('.')
        if fields[1:3] == ['backbone', 'stages'] and len(fields) > 3:
            part = f'stage{int(fields[3]) + 1}'
            if fields[3] == '0' and fields[4:5] == ['embed']:
                part = 'stem'
        elif fields[1:2] == ['head']:
            part = 'head'
        else:
            part = 'other'
        parts[part] = parts.get(part, 0) + flops
    return parts
