"""Deployment (needs torch): the PyTorch CPU inference form
(:func:`optimize_for_cpu`), ONNX export with a parity check, and the CPU
speed benchmark (:mod:`levitpose.deploy.benchmark`). Not imported by
``import levitpose``."""
from ..utils.config import resolve_config
from .onnx_export import (DEFAULT_OPSET, MIN_OPSET, TensorExportWrapper,
                          check_onnx, default_input_shape, export_onnx,
                          load_deploy_model, preprocessor_metadata)
from .torch_inference import optimize_for_cpu

__all__ = [
    'DEFAULT_OPSET', 'MIN_OPSET', 'TensorExportWrapper', 'optimize_for_cpu',
    'check_onnx', 'default_input_shape', 'export_onnx', 'load_deploy_model',
    'preprocessor_metadata', 'resolve_config'
]
