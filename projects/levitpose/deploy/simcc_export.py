"""Export an MMPose SimCC model (RTMPose) to ONNX for speed comparisons.

``levitpose_lite`` decodes heatmaps; RTMPose predicts two 1-D SimCC
vectors per keypoint. To time RTMPose beside LEViTPose through the same
exporter (:func:`export_onnx`: fused model, dynamic batch, metadata,
checker), :class:`SimCCExportAdapter` joins the two vectors into one
``(batch, K, 1, Wx + Wy)`` output, and the metadata records where to split
it (``simcc_split`` = Wx) and the codec's ``simcc_split_ratio``.
``levitpose_lite.TopDownPoseONNX`` refuses such a file; the lite benchmark
decodes it (arg-max of each vector, as MMPose's ``get_simcc_maximum``).
"""
from typing import Dict, Optional

import torch
from torch import Tensor, nn

from ..utils import InvalidInputError, load_config
from .onnx_export import (default_input_shape, export_onnx, load_deploy_model,
                          preprocessor_metadata)

__all__ = ['SimCCExportAdapter', 'simcc_metadata', 'export_simcc_onnx']


class SimCCExportAdapter(nn.Module):
    """``estimator(x, None, 'tensor')`` with the SimCC pair joined.

    Args:
        estimator (nn.Module): An MMPose top-down SimCC estimator, whose
            tensor output is ``(simcc_x (N, K, Wx), simcc_y (N, K, Wy))``.
    """

    def __init__(self, estimator: nn.Module) -> None:
        super().__init__()
        self.estimator = estimator
        self.cfg = estimator.cfg

    def forward(self, inputs: Tensor, data_samples=None, mode='tensor'):
        out = self.estimator(inputs, data_samples, mode)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise InvalidInputError(
                'expected a SimCC model, whose tensor output '
                f'is (simcc_x, simcc_y); got {type(out)}')
        simcc_x, simcc_y = out
        return torch.cat([simcc_x, simcc_y], dim=-1).unsqueeze(2)


def simcc_metadata(cfg) -> Dict[str, str]:
    """``decoder``, ``simcc_split`` and ``simcc_split_ratio`` of a config
    whose codec is MMPose's ``SimCCLabel``."""
    codec = cfg.get('codec') or cfg.model.head.get('decoder')
    if not codec or codec.get('type') != 'SimCCLabel':
        raise InvalidInputError(
            'expected a config whose codec is '
            f'SimCCLabel, got {codec and codec.get("type")}')
    ratio = float(codec.get('simcc_split_ratio', 2.0))
    return dict(
        decoder='simcc',
        simcc_split=str(int(codec['input_size'][0] * ratio)),
        simcc_split_ratio=str(ratio))


def export_simcc_onnx(config: str,
                      output_file: str,
                      checkpoint: Optional[str] = None,
                      opset: int = 18) -> None:
    """Build, fuse and export a SimCC model of ``config``.

    Args:
        config (str): Config path or ``mmpose::`` name.
        output_file (str): The ``.onnx`` file to write.
        checkpoint (str, optional): Weights. Defaults to None (random
            initialisation: for timing only).
        opset (int): ONNX opset. Defaults to 18.
    """
    simcc = simcc_metadata(load_config(config))
    model = load_deploy_model(config, checkpoint)
    metadata = preprocessor_metadata(model.cfg)
    metadata.update(simcc)
    export_onnx(
        SimCCExportAdapter(model).eval(),
        output_file,
        default_input_shape(model.cfg),
        opset=opset,
        metadata=metadata)
