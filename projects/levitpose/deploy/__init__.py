"""Deployment (needs torch): ONNX export with a parity check, and the CPU
speed benchmark (:mod:`levitpose.deploy.benchmark`). Not imported by
``import levitpose``."""
from ..utils.config import resolve_config
from .onnx_export import (EXPORTERS, MIN_OPSET, HeatmapExportWrapper,
                          TensorExportWrapper, check_onnx, default_input_shape,
                          export_onnx, load_deploy_model,
                          preprocessor_metadata)

__all__ = [
    'EXPORTERS', 'MIN_OPSET', 'HeatmapExportWrapper', 'TensorExportWrapper',
    'check_onnx', 'default_input_shape', 'export_onnx', 'load_deploy_model',
    'preprocessor_metadata', 'resolve_config'
]
