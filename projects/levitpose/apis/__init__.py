"""Inference API of LEViTPose: build a pose model, estimate keypoints for
an image and person boxes, and the top-down demo pipeline behind
``demo/topdown_demo_with_mmdet.py``.

Example:
    >>> from levitpose.apis import init_pose_model, inference_topdown_keypoints
    >>> model = init_pose_model(config, checkpoint, device='cpu')
    >>> keypoints, scores = inference_topdown_keypoints(
    ...     model, 'image.jpg', [[x1, y1, x2, y2]])  # (N, 17, 2), (N, 17)
"""
from .device import check_device
from .errors import InvalidInputError, MissingFileError
from .inputs import InputSource, open_input, read_image
from .person_detectors import HOGPersonDetector, MMDetPersonDetector
from .pose_model import inference_topdown_keypoints, init_pose_model
from .topdown_demo import (DemoOptions, DemoResult, TopdownDemo,
                           run_topdown_demo)
from .weights import load_weights_strictly

__all__ = [
    'check_device', 'InvalidInputError', 'MissingFileError', 'InputSource',
    'open_input', 'read_image', 'HOGPersonDetector', 'MMDetPersonDetector',
    'inference_topdown_keypoints', 'init_pose_model', 'DemoOptions',
    'DemoResult', 'TopdownDemo', 'run_topdown_demo', 'load_weights_strictly'
]
