"""levitpose_lite: a torch-free top-down pose runtime for LEViTPose.

It needs only numpy, OpenCV and ONNX Runtime (see ``requirements/lite.txt``),
like rtmlib does for RTMPose; OpenVINO is an optional second backend. It
never imports torch or the mm* packages. The runtime itself is imported
when a :class:`TopDownPoseONNX` (or a session) is built.
"""
from .backends import BACKENDS, create_session, ort_session
from .pose import DECODERS, DEVICES, TopDownPoseONNX
from .postprocess import (decode_heatmaps, decode_simcc, get_heatmap_maximum,
                          keypoints_to_image, refine_keypoints)
from .preprocess import (BBOX_PADDING, IMAGENET_MEAN, IMAGENET_STD,
                         bbox_xyxy_to_cs, crop_boxes, fix_aspect_ratio,
                         get_warp_matrix)

__all__ = [
    'TopDownPoseONNX', 'DECODERS', 'DEVICES', 'BACKENDS', 'create_session',
    'ort_session', 'crop_boxes', 'bbox_xyxy_to_cs', 'fix_aspect_ratio',
    'get_warp_matrix', 'decode_heatmaps', 'decode_simcc',
    'get_heatmap_maximum', 'refine_keypoints', 'keypoints_to_image',
    'BBOX_PADDING', 'IMAGENET_MEAN', 'IMAGENET_STD'
]
