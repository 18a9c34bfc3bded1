"""Visualization of LEViTPose results, registered into mmpose VISUALIZERS.

``dataset_browser`` (``tools/analysis_tools/browse_dataset.py``) is not
imported here: ``import levitpose`` only registers."""
from .pose_visualizer import LEViTPoseVisualizer

__all__ = ['LEViTPoseVisualizer']
