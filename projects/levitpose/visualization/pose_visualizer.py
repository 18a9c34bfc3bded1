"""MMPose's ``PoseLocalVisualizer``, made to work with NumPy 2.

Registered, so configs select it (``configs/_base_/levitpose_runtime.py``
does) and MMPose's own tools and ``MMPoseInferencer`` draw without crashing.
"""
import numpy as np
from mmpose.registry import VISUALIZERS
from mmpose.visualization import PoseLocalVisualizer

__all__ = ['LEViTPoseVisualizer']


@VISUALIZERS.register_module()
class LEViTPoseVisualizer(PoseLocalVisualizer):
    """:class:`PoseLocalVisualizer` whose keypoint circles draw on NumPy 2.

    MMPose 1.3.2 draws each keypoint with ``radius=np.array([r])`` and its
    OpenCV backend calls ``int(radius)``, which NumPy 2 refuses for a
    1-element array (``TypeError: only 0-dimensional arrays can be
    converted to Python scalars``). This passes the radius as a scalar.
    """

    def draw_circles(self, center, radius, *args, **kwargs):
        """Draw circles; ``radius`` may be a scalar or a 1-element array."""
        radius = np.asarray(radius)
        if radius.size == 1:
            radius = radius.reshape(()).item()
        return super().draw_circles(center, radius, *args, **kwargs)
