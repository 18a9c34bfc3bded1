"""Visualization of LEViTPose results, registered into mmpose VISUALIZERS."""
from .pose_visualizer import LEViTPoseVisualizer

__all__ = ['LEViTPoseVisualizer']
