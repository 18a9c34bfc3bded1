"""The PyTorch CPU inference form of a top-down pose model, in one call.

:func:`optimize_for_cpu` takes an MMPose top-down estimator (LEViTPose or
any peer) to the form that runs fastest on a CPU, by what is measured in
``docs/benchmarks.md``:

- ``'deploy'``: the model's own ``switch_to_deploy()`` (LEViTPose: every
  BatchNorm folded, the identity of each residual depthwise convolution in
  its centre tap, attention constants gathered, LFRM's transposed
  convolutions as sub-pixel convolutions), then mmcv's ``fuse_conv_bn`` for
  any Conv+BN pair a model without its own deploy form still has; the same
  generic fusion is what the benchmark gives every peer;
- ``'jit'``: the deployed model with every convolution's weight reordered
  once for oneDNN (:func:`levitpose.deploy.packed_conv.pack_convolutions`;
  ``pack_weights=False`` leaves them), traced for one input shape and
  frozen with ``torch.jit.freeze`` (constants folded, Python overhead gone;
  EfficientViT's own CPU speed test traces its model the same way), then,
  with packed weights, each activation that follows a packed convolution
  fused into it as a oneDNN post-op
  (:func:`levitpose.deploy.conv_activation.fuse_conv_activations`);
- ``'compile'``: the deployed model compiled by ``torch.compile`` (inductor)
  for one input shape with its weights frozen as constants (inductor's
  ``freezing``: convolution weights packed once for oneDNN, activations and
  the small operators around the attention fused into generated C++
  loops). It needs a C++ compiler and takes a minute or two on two cores,
  once, in this call. In the third round's interleaved benchmark it was
  level with the trace (then without packed weights) for LEViTPose-T and
  much faster for LiteHRNet-30; it was not timed against the packed
  trace. It runs in ``torch.inference_mode()`` (its outputs are inference
  tensors); another batch size compiles again.

Every form also fixes glibc's malloc thresholds for the process
(:func:`levitpose.deploy.allocator.keep_freed_memory`), so that freed
activations are reused instead of coming back from the kernel as fresh
pages each forward (LEViTPose-T alone in a process: about 3000 page faults
per forward, and a speed that depended on what the process had allocated
before, ``docs/benchmarks.md``); ``keep_memory=False`` leaves them alone.

The result maps a normalised ``(N, 3, h, w)`` batch to the head's tensor
output (heatmaps for LEViTPose), like ``model(x, None, 'tensor')``.
"""
import copy
import warnings
from typing import Sequence

import torch
from torch import nn

from ..utils.errors import LEViTPoseError, UsageError, describe_error
from .allocator import keep_freed_memory
from .conv_activation import fuse_conv_activations
from .onnx_export import TensorExportWrapper
from .packed_conv import pack_convolutions

__all__ = ['INFERENCE_MODES', 'fuse_for_deploy', 'optimize_for_cpu']

#: Forms :func:`optimize_for_cpu` builds.
INFERENCE_MODES = ('deploy', 'jit', 'compile')
#: Compiled entries dynamo keeps per code object (models x batch sizes)
#: before it gives up compiling.
RECOMPILE_LIMIT = 64


def fuse_for_deploy(estimator: nn.Module) -> nn.Module:
    """``switch_to_deploy()`` then mmcv's ``fuse_conv_bn``, in place.

    Args:
        estimator (nn.Module): An MMPose top-down estimator.

    Returns:
        nn.Module: ``estimator``, fused and in eval mode.
    """
    from mmcv.cnn import fuse_conv_bn
    estimator.eval()
    if hasattr(estimator, 'switch_to_deploy'):
        estimator.switch_to_deploy()
    return fuse_conv_bn(estimator).eval()


def optimize_for_cpu(estimator: nn.Module,
                     input_shape: Sequence[int] = (1, 3, 256, 256),
                     mode: str = 'jit',
                     keep_memory: bool = True,
                     pack_weights: bool = True) -> nn.Module:
    """The fastest PyTorch CPU form of ``estimator`` (a copy; the original
    is left as it is).

    Args:
        estimator (nn.Module): An MMPose top-down estimator.
        input_shape (Sequence[int]): ``(N, 3, h, w)`` the ``'jit'`` form is
            traced for; it runs other batch sizes too. Defaults to
            ``(1, 3, 256, 256)``.
        mode (str): One of :data:`INFERENCE_MODES`. Defaults to ``'jit'``.
        keep_memory (bool): Call :func:`keep_freed_memory` (process-wide;
            nothing without glibc). Defaults to True.
        pack_weights (bool): In the ``'jit'`` form, reorder every
            convolution's weight once for oneDNN before tracing (nothing
            where PyTorch has no oneDNN). The packed weights are oneDNN's
            opaque tensors, which ``torch.jit.save`` cannot write: build
            the form in the process that runs it, or pass False for a
            trace that can be saved. With packed weights, activations
            that follow a convolution are fused into it. Defaults to True.

    Returns:
        nn.Module: Maps ``(N, 3, h, w)`` to the head's tensor output.

    Raises:
        UsageError: On an unknown ``mode`` or a bad ``input_shape``.

    Example:
        >>> from levitpose.apis import init_pose_model
        >>> from levitpose.deploy import optimize_for_cpu
        >>> model = init_pose_model(config, checkpoint)
        >>> fast = optimize_for_cpu(model, (1, 3, 256, 256))
        >>> heatmaps = fast(images)  # (1, K, 64, 64)
    """
    if mode not in INFERENCE_MODES:
        raise UsageError(f'mode must be one of {list(INFERENCE_MODES)}, got '
                         f'{mode!r}')
    shape = tuple(input_shape)
    if (len(shape) != 4 or shape[1] != 3
            or not all(isinstance(v, int) and v > 0 for v in shape)):
        raise UsageError(
            f'input_shape must be (N, 3, h, w) positive ints, got {shape}')
    if keep_memory:
        keep_freed_memory()
    model = TensorExportWrapper(fuse_for_deploy(
        copy.deepcopy(estimator))).eval()
    if mode == 'deploy':
        return model
    example = torch.rand(*shape, device=next(model.parameters()).device)
    if mode == 'compile':
        return _compile(model, example)
    packed = pack_weights and pack_convolutions(model, example)
    with torch.no_grad(), warnings.catch_warnings():
        # an untraced run first fills the caches of derived weights (the
        # sub-pixel kernels, where not packed), which the trace then holds
        # as constants
        model(example)
        # tracing warns about Python values taken as constants (shapes):
        # the trace is for this input size, as documented
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        # TorchScript's deprecation notices (trace, freeze): measured the
        # fastest form here all the same (docs/benchmarks.md)
        warnings.filterwarnings(
            'ignore', category=FutureWarning, module=r'torch\.jit\.')
        traced = torch.jit.trace(model, example)
        frozen = torch.jit.freeze(traced.eval())
    if packed:
        fuse_conv_activations(frozen.graph)
    return frozen


class _InferenceMode(nn.Module):
    """Runs the compiled module in ``torch.inference_mode()``, the grad mode
    it was compiled in, whatever mode the caller is in: dynamo guards on
    it, and another mode would compile the model again."""

    def __init__(self, compiled: nn.Module) -> None:
        super().__init__()
        self.compiled = compiled

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return self.compiled(x)


def _compile(model: nn.Module, example: torch.Tensor) -> nn.Module:
    """``torch.compile`` (inductor, frozen weights) for ``example``'s shape,
    compiled now rather than at the caller's first forward.

    Every model compiled in a process adds a compiled entry for the same
    wrapper code, so dynamo's limit of entries per code (8 by default,
    after which it runs the code uncompiled, silently) is raised to
    :data:`RECOMPILE_LIMIT`.

    Raises:
        LEViTPoseError: where inductor cannot compile here (no C++
            compiler, an unsupported platform), in one line.
    """
    import torch._dynamo
    config = torch._dynamo.config
    config.recompile_limit = max(config.recompile_limit, RECOMPILE_LIMIT)
    config.accumulated_recompile_limit = max(
        config.accumulated_recompile_limit, 4 * RECOMPILE_LIMIT)
    compiled = _InferenceMode(
        torch.compile(
            model,
            backend='inductor',
            dynamic=False,
            options={'freezing': True}))
    try:
        compiled(example)
    except Exception as err:  # whatever inductor raises, in one line
        raise LEViTPoseError(
            'torch.compile (inductor) failed on this machine: '
            f"{describe_error(err)}; use mode 'jit'") from err
    return compiled
