"""Export a fused top-down heatmap model to ONNX and check it against
PyTorch with ONNX Runtime.

The exported graph maps a normalised ``(batch, 3, h, w)`` crop to heatmaps
``(batch, K, H, W)`` (``model(x, None, 'tensor')``); the batch axis is
dynamic. The data preprocessor's mean, std and channel order go into the
ONNX metadata, where :class:`levitpose_lite.TopDownPoseONNX` reads them.
"""
import json
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import onnx
import torch
from mmengine.config import Config
from torch import Tensor, nn

from ..utils.errors import InvalidInputError, UsageError

__all__ = [
    'EXPORTERS', 'MIN_OPSET', 'DEFAULT_OPSET', 'TensorExportWrapper',
    'HeatmapExportWrapper', 'load_deploy_model', 'default_input_shape',
    'preprocessor_metadata', 'export_onnx', 'check_onnx'
]

#: ``dynamo``: torch.export-based exporter (torch's default since 2.9);
#: ``torchscript``: the legacy tracer (``dynamo=False``).
EXPORTERS = ('dynamo', 'torchscript')
#: Lowest opset accepted (LayerNormalization is a single op from 17 on).
MIN_OPSET = 17
#: Default opset: from 20 on GELU is one ``Gelu`` op (4 ops before, 96 fewer
#: nodes in LEViTPose-T), which ONNX Runtime and OpenVINO run as one kernel.
DEFAULT_OPSET = 20
INPUT_NAME, OUTPUT_NAME = 'input', 'heatmaps'


class TensorExportWrapper(nn.Module):
    """``forward(x)`` = ``estimator(x, None, 'tensor')``: heatmaps, or
    whatever the head returns (RTMPose: SimCC ``(x, y)`` logits).

    Args:
        estimator (nn.Module): An MMPose top-down estimator.
    """

    def __init__(self, estimator: nn.Module) -> None:
        super().__init__()
        self.estimator = estimator

    def forward(self, x: Tensor):
        return self.estimator(x, None, 'tensor')


class HeatmapExportWrapper(TensorExportWrapper):
    """:class:`TensorExportWrapper` of a heatmap model: the output must be
    one ``(batch, K, H, W)`` tensor."""

    def forward(self, x: Tensor) -> Tensor:
        out = super().forward(x)
        if not isinstance(out, Tensor) or out.dim() != 4:
            got = tuple(out.shape) if isinstance(out, Tensor) else type(out)
            raise InvalidInputError(
                'ONNX export supports heatmap models, whose tensor output '
                f'is (batch, K, H, W); got {got}')
        return out


def load_deploy_model(config: str,
                      checkpoint: Optional[str] = None,
                      device: str = 'cpu') -> nn.Module:
    """Build a pose estimator, load weights and fuse it for deployment.

    Through :func:`levitpose.apis.init_pose_model`: the checkpoint is read
    weights-only and must fit the config (a checkpoint of another model is
    refused, naming the keys).

    Args:
        config (str): Config path or ``mmpose::`` name.
        checkpoint (str, optional): Checkpoint path. Defaults to None
            (random weights, for benchmarks and tests).
        device (str): Torch device. Defaults to ``'cpu'``.

    Returns:
        nn.Module: The estimator in eval mode, after ``switch_to_deploy``.

    Raises:
        InvalidInputError: For a bad config or checkpoint.
    """
    from ..apis import init_pose_model
    model = init_pose_model(config, checkpoint, device=device)
    model.switch_to_deploy()
    return model.eval()


def default_input_shape(cfg: Config) -> Tuple[int, int, int, int]:
    """``(1, 3, h, w)`` from the config's codec ``input_size`` ``(w, h)``.

    Args:
        cfg (Config): A top-down config with ``codec`` or
            ``model.head.decoder``.

    Returns:
        tuple: The NCHW shape.
    """
    codec = cfg.get('codec') or cfg.model.head.get('decoder')
    if not codec or 'input_size' not in codec:
        raise InvalidInputError('cannot find the input size in the config '
                                '(no codec.input_size); pass --input-shape')
    w, h = codec['input_size']
    return 1, 3, int(h), int(w)


def preprocessor_metadata(cfg: Config) -> Dict[str, str]:
    """ONNX metadata describing the config's data preprocessor.

    Args:
        cfg (Config): The model config.

    Returns:
        dict: ``mean``, ``std`` and ``bgr_to_rgb`` as JSON strings.
    """
    pre = cfg.model.get('data_preprocessor', {})
    return dict(
        mean=json.dumps([float(v) for v in pre.get('mean', [0., 0., 0.])]),
        std=json.dumps([float(v) for v in pre.get('std', [1., 1., 1.])]),
        bgr_to_rgb=json.dumps(bool(pre.get('bgr_to_rgb', False))))


def export_onnx(estimator: nn.Module,
                output_file: str,
                input_shape: Sequence[int],
                opset: int = DEFAULT_OPSET,
                exporter: str = 'dynamo',
                metadata: Optional[Dict[str, str]] = None,
                heatmaps: bool = True) -> onnx.ModelProto:
    """Export the tensor output of ``estimator`` to ``output_file``.

    The batch axis is dynamic. The benchmark exports its peers (RTMPose's
    SimCC outputs included) with this function too.

    Args:
        estimator (nn.Module): A (fused) top-down estimator.
        output_file (str): Where to write the ``.onnx`` file.
        input_shape (Sequence[int]): ``(N, 3, h, w)`` of the example input.
        opset (int): ONNX opset, at least :data:`MIN_OPSET`. Defaults to
            :data:`DEFAULT_OPSET`.
        exporter (str): One of :data:`EXPORTERS`. Defaults to ``'dynamo'``.
        metadata (dict, optional): String metadata to store in the model.
            Defaults to None.
        heatmaps (bool): Require one ``(batch, K, H, W)`` output, named
            ``heatmaps`` (what :mod:`levitpose_lite` decodes). Defaults to
            True; False exports any output (``dynamo`` only).

    Returns:
        onnx.ModelProto: The saved model (checked by ``onnx.checker``).

    Raises:
        UsageError: On a bad ``exporter``, ``opset`` or ``input_shape``.
        InvalidInputError: If ``heatmaps`` and the model's output is not
            a heatmap tensor.
    """
    if exporter not in EXPORTERS:
        raise UsageError(f'exporter must be one of {EXPORTERS}, got '
                         f'{exporter!r}')
    if not isinstance(opset, int) or opset < MIN_OPSET:
        raise UsageError(f'opset must be an int >= {MIN_OPSET}, got '
                         f'{opset!r}')
    if len(input_shape) != 4 or input_shape[1] != 3 or min(input_shape) < 1:
        raise UsageError('input_shape must be (N, 3, h, w), got '
                         f'{tuple(input_shape)}')
    if not heatmaps and exporter != 'dynamo':
        raise UsageError('only the dynamo exporter exports non-heatmap '
                         'outputs')
    wrapper = (HeatmapExportWrapper
               if heatmaps else TensorExportWrapper)(estimator).eval()
    example = torch.rand(*input_shape)
    common = dict(input_names=[INPUT_NAME], opset_version=opset)
    if heatmaps:
        common['output_names'] = [OUTPUT_NAME]
    with torch.no_grad():
        wrapper(example)  # a model that is not exportable fails here
        if exporter == 'dynamo':
            batch = torch.export.Dim('batch', min=1, max=4096)
            # torch.export pins a dimension whose example size is 1 as soon
            # as an operator's behaviour could depend on it (e.g. whether a
            # channel slice is contiguous), so trace a batch of 2
            example = example[:1].expand(2, *example.shape[1:])
            torch.onnx.export(
                wrapper, (example, ),
                output_file,
                dynamo=True,
                external_data=False,
                verbose=False,
                dynamic_shapes=({
                    0: batch
                }, ),
                **common)
        else:
            torch.onnx.export(
                wrapper, (example, ),
                output_file,
                dynamo=False,
                dynamic_axes={
                    INPUT_NAME: {
                        0: 'batch'
                    },
                    OUTPUT_NAME: {
                        0: 'batch'
                    }
                },
                **common)
    model = onnx.load(output_file)
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, output_file)
    return model


def check_onnx(onnx_file: str,
               estimator: nn.Module,
               input_shape: Sequence[int],
               batch_sizes: Sequence[int] = (1, 2),
               seed: int = 0) -> Dict[int, Dict[str, float]]:
    """Max absolute heatmap difference, ONNX Runtime vs PyTorch.

    Args:
        onnx_file (str): The exported model.
        estimator (nn.Module): The estimator it was exported from.
        input_shape (Sequence[int]): ``(N, 3, h, w)``; N is replaced by
            each of ``batch_sizes``.
        batch_sizes (Sequence[int]): Batch sizes to check (a size other
            than the export's checks the dynamic axis). Defaults to (1, 2).
        seed (int): Seed of the random inputs. Defaults to 0.

    The ONNX model runs in the session :mod:`levitpose_lite` builds.

    Returns:
        dict: Batch size -> ``{'max_abs_diff': ..., 'max_abs_output': ...}``
        (the second tells whether the difference is small relative to the
        heatmaps).
    """
    from levitpose_lite.backends import ort_session
    session = ort_session(onnx_file)  # the session levitpose_lite runs
    generator = torch.Generator().manual_seed(seed)
    wrapper = HeatmapExportWrapper(estimator).eval()
    diffs = {}
    for batch in batch_sizes:
        x = torch.rand(batch, *input_shape[1:], generator=generator)
        with torch.no_grad():
            expected = wrapper(x).numpy()
        actual = session.run([OUTPUT_NAME], {INPUT_NAME: x.numpy()})[0]
        if actual.shape != expected.shape:
            raise RuntimeError(f'ONNX output shape {actual.shape} != PyTorch '
                               f'{expected.shape} at batch {batch}')
        diffs[batch] = dict(
            max_abs_diff=float(np.abs(actual - expected).max()),
            max_abs_output=float(np.abs(expected).max()))
    return diffs
