"""Person-box geometry shared by the detectors, pose-guided box refinement
and the tracker: IoU, greedy NMS, scaling and boxes from keypoints.

Note:
    - N, M: numbers of boxes
    - K: number of keypoints
    - Boxes are ``(x1, y1, x2, y2)`` in image pixels.
"""
from typing import Tuple

import numpy as np

__all__ = [
    'KEYPOINT_BOX_SCALE', 'MIN_BOX_SIDE', 'usable_boxes', 'box_areas',
    'box_iou', 'nms', 'scale_boxes', 'clip_boxes', 'keypoints_to_boxes',
    'keypoint_areas'
]

#: Growth of the box around a person's confident keypoints (MMDeploy's
#: ``PoseTracker`` uses 1.25 for the next frame's box, which we follow).
KEYPOINT_BOX_SCALE = 1.25
#: Shortest side (pixels) of a box worth a pose estimate.
MIN_BOX_SIDE = 1.


def usable_boxes(boxes: np.ndarray) -> np.ndarray:
    """Which boxes (N, 4) have both sides at least :data:`MIN_BOX_SIDE`
    (finite, not inverted)."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    sides = boxes[:, 2:] - boxes[:, :2]
    return np.isfinite(boxes).all(axis=1) & (sides >= MIN_BOX_SIDE).all(1)


def box_areas(boxes: np.ndarray) -> np.ndarray:
    """Areas (N, ) of boxes (N, 4); 0 for empty or inverted boxes."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    return np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), axis=1)


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Intersection over union of every pair of boxes.

    Args:
        boxes_a (np.ndarray): Boxes (N, 4).
        boxes_b (np.ndarray): Boxes (M, 4).

    Returns:
        np.ndarray: IoU (N, M), 0 where a union is empty.
    """
    a = np.asarray(boxes_a, dtype=np.float32).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=np.float32).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=-1)
    union = box_areas(a)[:, None] + box_areas(b)[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_thr: float) -> np.ndarray:
    """Greedy non-maximum suppression.

    Args:
        boxes (np.ndarray): Boxes (N, 4).
        scores (np.ndarray): Scores (N, ); higher is kept first, ties in
            input order.
        iou_thr (float): A box overlapping a kept one by more is dropped.

    Returns:
        np.ndarray: Kept indices (int64), highest score first.
    """
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind='stable')
    iou = box_iou(boxes, boxes)
    keep = []
    for i in order:
        if all(iou[i, j] <= iou_thr for j in keep):
            keep.append(i)
    return np.asarray(keep, dtype=np.int64)


def scale_boxes(boxes: np.ndarray, factor: float) -> np.ndarray:
    """Boxes grown (or shrunk) by ``factor`` about their centers.

    Args:
        boxes (np.ndarray): Boxes (N, 4).
        factor (float): Size factor.

    Returns:
        np.ndarray: Boxes (N, 4), float32.
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    centers = (boxes[:, :2] + boxes[:, 2:]) * 0.5
    half = (boxes[:, 2:] - boxes[:, :2]) * (0.5 * factor)
    return np.hstack([centers - half, centers + half]).astype(np.float32)


def clip_boxes(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Boxes clipped to an image of ``width`` x ``height`` pixels."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4).copy()
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, width)
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, height)
    return boxes


def keypoints_to_boxes(keypoints: np.ndarray,
                       scores: np.ndarray,
                       kpt_thr: float,
                       scale: float = KEYPOINT_BOX_SCALE,
                       min_keypoints: int = 2
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """The box around each person's confident keypoints, grown by
    ``scale`` about its center.

    Args:
        keypoints (np.ndarray): Keypoints (N, K, 2).
        scores (np.ndarray): Their scores (N, K).
        kpt_thr (float): Keypoints scoring above it are confident.
        scale (float): Growth factor. Defaults to
            :data:`KEYPOINT_BOX_SCALE`.
        min_keypoints (int): Fewest confident keypoints that make a box.
            Defaults to 2.

    Returns:
        tuple: ``boxes`` (N, 4) float32 and ``valid`` (N, ) bool, False
        where fewer than ``min_keypoints`` are confident or they all lie
        within one pixel (those boxes are zeros).
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    confident = np.asarray(scores) > kpt_thr  # (N, K)
    valid = confident.sum(axis=1) >= min_keypoints
    if keypoints.shape[0] == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, bool)
    masked = confident[..., None]
    any_confident = confident.any(axis=1)[:, None]  # (N, 1)
    low = np.where(masked, keypoints, np.inf).min(axis=1)  # (N, 2)
    high = np.where(masked, keypoints, -np.inf).max(axis=1)
    low = np.where(any_confident, low, 0.)
    high = np.where(any_confident, high, 0.)
    valid &= (high - low).max(axis=1) >= 1.
    boxes = np.hstack([low, high]).astype(np.float32)
    boxes[~valid] = 0.
    return scale_boxes(boxes, scale), valid


def keypoint_areas(keypoints: np.ndarray, scores: np.ndarray, kpt_thr: float,
                   boxes: np.ndarray) -> np.ndarray:
    """Object areas for OKS: the area of the tight box of each person's
    confident keypoints, or of ``boxes`` where that box is invalid (see
    :func:`keypoints_to_boxes`).

    Args:
        keypoints (np.ndarray): Keypoints (N, K, 2).
        scores (np.ndarray): Their scores (N, K).
        kpt_thr (float): Keypoints scoring above it are confident.
        boxes (np.ndarray): Fallback boxes (N, 4).

    Returns:
        np.ndarray: Areas (N, ) in pixels^2.
    """
    tight, valid = keypoints_to_boxes(keypoints, scores, kpt_thr, scale=1.)
    return np.where(valid, box_areas(tight), box_areas(boxes))
