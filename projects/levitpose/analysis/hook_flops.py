"""FLOPs counted the way the LEViTPose paper counted them.

The paper's table (and its peer rows, which equal MMPose's published sizes)
comes from MMPose 0.29's ``tools/analysis/get_flops.py``, i.e. mmcv 1.x's
hook-based ``get_model_complexity_info`` over ``forward_dummy``. That
convention counts **modules only**, matched by their exact type:

- ``Conv1d/2d/3d``: ``prod(kernel) * C_in * C_out / groups`` per output
  position, plus ``C_out`` per output position for the bias;
- ``ConvTranspose2d``: ``kH * kW * C_in * C_out / groups`` per *input*
  position, plus the bias over ``C_out * H_out * H_out`` (mmcv 1.x squares
  the output height; kept so that the figures match);
- ``Linear``: ``numel(input) * out_features`` (no bias);
- ``BatchNorm``, ``GroupNorm``, ``InstanceNorm``, ``LayerNorm``:
  ``numel(input)``, twice that when affine;
- ``ReLU``, ``PReLU``, ``ELU``, ``LeakyReLU``, ``ReLU6``: ``numel(output)``;
- pooling (max/avg, adaptive or not): ``numel(input)``;
- ``Upsample``: ``numel(output)`` (mmcv 1.x counts the first sample's
  output only, before dividing by the batch: the same at batch 1, the
  paper's setting);
- mmcv's wrappers of ``Conv2d/3d``, ``ConvTranspose2d``, ``Linear`` and
  ``MaxPool2d/3d``, as their torch counterparts (mmcv 1.x listed them).

Everything else costs nothing: functional calls (matmul, softmax,
additions, ``F.interpolate``) and modules of other types (``GELU``,
``Sigmoid``, subclasses of the types above). Parameters are those with
``requires_grad``. Figures are per image (the total is divided by the batch
size of the model's input), as in mmcv.

This is an independent re-implementation of that convention (no mmcv 1.x
exists for torch 2.x); :func:`levitpose.analysis.flops.get_model_complexity`
gives the complete count beside it.
"""
from typing import Any, Callable, Dict, Tuple

import torch
from torch import Tensor, nn

__all__ = ['PAPER_CONVENTION', 'count_paper_flops', 'paper_param_count']


def _numel(tensor: Any) -> int:
    return int(tensor.numel()) if isinstance(tensor, Tensor) else 0


def _first(inputs: Tuple[Any, ...]) -> Tensor:
    return inputs[0]


def _conv(module: nn.Module, inputs: tuple, output: Tensor) -> int:
    positions = output.shape[0] * _prod(output.shape[2:])
    per_position = (
        _prod(module.kernel_size) * module.in_channels *
        (module.out_channels // module.groups))
    bias = module.out_channels * positions if module.bias is not None else 0
    return per_position * positions + bias


def _deconv(module: nn.Module, inputs: tuple, output: Tensor) -> int:
    x = _first(inputs)
    positions = x.shape[0] * _prod(x.shape[2:])
    per_position = (
        _prod(module.kernel_size) * module.in_channels *
        (module.out_channels // module.groups))
    bias = 0
    if module.bias is not None:  # mmcv 1.x: H_out * H_out, not H_out * W_out
        h_out = output.shape[2]
        bias = module.out_channels * output.shape[0] * h_out * h_out
    return per_position * positions + bias


def _linear(module: nn.Module, inputs: tuple, output: Tensor) -> int:
    return _numel(_first(inputs)) * output.shape[-1]


def _norm(module: nn.Module, inputs: tuple, output: Tensor) -> int:
    affine = (
        getattr(module, 'affine', False)
        or getattr(module, 'elementwise_affine', False))
    return _numel(_first(inputs)) * (2 if affine else 1)


def _activation(module: nn.Module, inputs: tuple, output: Tensor) -> int:
    return _numel(output)


def _pool(module: nn.Module, inputs: tuple, output: Tensor) -> int:
    return _numel(_first(inputs))


def _prod(values) -> int:
    result = 1
    for value in values:
        result *= int(value)
    return result


_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d,
          nn.AvgPool3d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d,
          nn.AdaptiveMaxPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d,
          nn.AdaptiveAvgPool3d)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.GroupNorm,
          nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d,
          nn.LayerNorm)
_ACTIVATIONS = (nn.ReLU, nn.PReLU, nn.ELU, nn.LeakyReLU, nn.ReLU6)

#: Exact module type -> FLOPs of one call (mmcv 1.x's module mapping).
PAPER_CONVENTION: Dict[type, Callable[[nn.Module, tuple, Tensor], int]] = {
    nn.Conv1d: _conv,
    nn.Conv2d: _conv,
    nn.Conv3d: _conv,
    nn.ConvTranspose2d: _deconv,
    nn.Linear: _linear,
    nn.Upsample: _activation,  # numel(output), like the activations
    **{
        t: _pool
        for t in _POOLS
    },
    **{
        t: _norm
        for t in _NORMS
    },
    **{
        t: _activation
        for t in _ACTIVATIONS
    },
}


def _add_mmcv_wrappers() -> None:
    """mmcv 1.x also mapped its own wrapper classes (which MMPose's layer
    builders create, e.g. ``HeatmapHead``'s deconvolutions); mmcv 2.x has
    the same wrappers."""
    try:
        from mmcv.cnn.bricks import wrappers
    except ImportError:  # counting plain torch models needs no mmcv
        return
    PAPER_CONVENTION.update({
        wrappers.Conv2d: _conv,
        wrappers.Conv3d: _conv,
        wrappers.ConvTranspose2d: _deconv,
        wrappers.Linear: _linear,
        wrappers.MaxPool2d: _pool,
        wrappers.MaxPool3d: _pool,
    })


_add_mmcv_wrappers()


def paper_param_count(model: nn.Module) -> int:
    """Parameters with ``requires_grad`` (mmcv 1.x's count)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_paper_flops(model: nn.Module, inputs: Tuple[Any,
                                                      ...]) -> Dict[str, Any]:
    """Run ``model(*inputs)`` once and count FLOPs the paper's way.

    Args:
        model (nn.Module): The model, in the mode to count (``eval``).
        inputs (tuple): Positional inputs; the first one's first dimension
            is the batch size the total is divided by.

    Returns:
        dict: ``flops`` (per image, int), ``params`` (int) and
        ``by_module`` (qualified module name -> FLOPs per image, for every
        counted module that ran).
    """
    counts: Dict[str, int] = {}
    handles = []

    def make_hook(name: str, rule: Callable) -> Callable:

        def hook(module: nn.Module, args: tuple, output: Tensor) -> None:
            counts[name] = counts.get(name, 0) + int(
                rule(module, args, output))

        return hook

    for name, module in model.named_modules():
        rule = PAPER_CONVENTION.get(type(module))
        if rule is not None:
            handles.append(module.register_forward_hook(make_hook(name, rule)))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    batch = len(inputs[0]) if inputs else 1
    by_module = {name: value // batch for name, value in counts.items()}
    return dict(
        flops=sum(counts.values()) // batch,
        params=paper_param_count(model),
        by_module=by_module)
