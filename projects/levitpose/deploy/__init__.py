"""Deployment helpers (need torch): ONNX export with a parity check and the
CPU speed benchmark. Not imported by ``import levitpose``."""
from .config_path import resolve_config
from .onnx_export import (EXPORTERS, MIN_OPSET, HeatmapExportWrapper,
                          check_onnx, default_input_shape, export_onnx,
                          load_deploy_model, preprocessor_metadata)

__all__ = [
    'EXPORTERS', 'MIN_OPSET', 'HeatmapExportWrapper', 'check_onnx',
    'default_input_shape', 'export_onnx', 'load_deploy_model',
    'preprocessor_metadata', 'resolve_config'
]
