"""Inference API of LEViTPose: build a pose model (strictly, weights-only)
and estimate keypoints for an image and person boxes.

The demo application built on it is :mod:`levitpose.demo_app`.

Example:
    >>> from levitpose.apis import init_pose_model, inference_topdown_keypoints
    >>> model = init_pose_model(config, checkpoint, device='cpu')
    >>> keypoints, scores = inference_topdown_keypoints(
    ...     model, 'image.jpg', [[x1, y1, x2, y2]])  # (N, 17, 2), (N, 17)
"""
from .pose_model import (inference_topdown_keypoints, init_pose_model,
                         read_image)

__all__ = ['inference_topdown_keypoints', 'init_pose_model', 'read_image']
