"""Pose-guided box refinement: whole people from partial detector boxes.

Detectors often box part of a person (an upper body, a pair of legs). The
pose model sees more than its box, so we let it repair the box:

1. run pose on the box grown by ``padding`` (:data:`REFINE_PADDING`);
2. re-box the person from its confident keypoints (grown by
   :data:`~levitpose_lite.boxes.KEYPOINT_BOX_SCALE`, as a tracker boxes
   the next frame);
3. repeat once (:data:`REFINE_ROUNDS` rounds in all);

then estimate the final pose on the refined boxes in one batched call,
drop people whose keypoints are mostly below ``kpt_thr`` and keep one of
any poses that fell on the same person (by OKS). The same functions serve
images (:func:`refined_people`) and new people in video
(:class:`~levitpose_lite.tracker.PoseTracker`), with the lite ONNX
estimator or any other ``pose(image, boxes) -> (keypoints, scores)``.

Note:
    - N: number of people, K: number of keypoints
"""
import math
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np

from .boxes import (clip_boxes, keypoint_areas, keypoints_to_boxes,
                    scale_boxes, usable_boxes)
from .matching import pose_similarity

__all__ = [
    'PoseFn', 'REFINE_PADDING', 'REFINE_ROUNDS', 'DEDUP_OKS_THR',
    'min_confident_keypoints', 'confident_poses', 'refine_boxes',
    'dedupe_poses', 'refined_people'
]

#: ``pose(image (H, W, 3), boxes (N, 4)) -> (keypoints (N, K, 2),
#: scores (N, K))``, e.g. :class:`~levitpose_lite.TopDownPoseONNX`.
PoseFn = Callable[[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]

#: Growth of a detected box before the first pose (our choice: enough to
#: see the legs below an upper-body box, small enough to stay on one
#: person).
REFINE_PADDING = 1.5
#: Rounds of pose + re-boxing (the first, then one repeat).
REFINE_ROUNDS = 2
#: Two poses more similar (OKS) than this are one person.
DEDUP_OKS_THR = 0.8


def min_confident_keypoints(num_keypoints: int) -> int:
    """Fewest confident keypoints of a kept pose by default: half of them,
    rounded up (MMDeploy's ``PoseTracker`` default)."""
    return int(math.ceil(num_keypoints / 2))


def confident_poses(scores: np.ndarray,
                    kpt_thr: float,
                    min_keypoints: Optional[int] = None) -> np.ndarray:
    """Which poses have at least ``min_keypoints`` keypoints scoring above
    ``kpt_thr``.

    Args:
        scores (np.ndarray): Keypoint scores (N, K).
        kpt_thr (float): Score threshold.
        min_keypoints (int, optional): Defaults to None
            (:func:`min_confident_keypoints`).

    Returns:
        np.ndarray: Mask (N, ), bool.
    """
    scores = np.asarray(scores)
    if min_keypoints is None:
        min_keypoints = min_confident_keypoints(scores.shape[1])
    return (scores > kpt_thr).sum(axis=1) >= min_keypoints


def refine_boxes(image: np.ndarray,
                 boxes: np.ndarray,
                 pose: PoseFn,
                 kpt_thr: float,
                 padding: float = REFINE_PADDING,
                 rounds: int = REFINE_ROUNDS) -> np.ndarray:
    """Person boxes re-drawn around the keypoints the pose model finds.

    Each round runs ``pose`` once on all boxes (grown by ``padding``) and
    replaces each box by the box of its confident keypoints, clipped to
    the image; a box with fewer than two confident keypoints (or whose new
    box would be empty) is left as it was.

    Args:
        image (np.ndarray): BGR image (H, W, 3).
        boxes (np.ndarray): Boxes (N, 4).
        pose (PoseFn): The pose estimator.
        kpt_thr (float): Keypoints scoring above it are confident.
        padding (float): See :data:`REFINE_PADDING`.
        rounds (int): See :data:`REFINE_ROUNDS`.

    Returns:
        np.ndarray: Refined boxes (N, 4) within the image.
    """
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)[:, :4]
    height, width = image.shape[:2]
    for _ in range(rounds if len(boxes) else 0):
        keypoints, scores = pose(image, scale_boxes(boxes, padding))
        new, valid = keypoints_to_boxes(keypoints, scores, kpt_thr)
        new = clip_boxes(new, width, height)
        valid &= usable_boxes(new)
        boxes = np.where(valid[:, None], new, boxes)
    return boxes


def dedupe_poses(keypoints: np.ndarray,
                 scores: np.ndarray,
                 boxes: np.ndarray,
                 order: Sequence[int],
                 kpt_thr: float,
                 oks_thr: float = DEDUP_OKS_THR,
                 sigmas: Optional[Sequence[float]] = None) -> np.ndarray:
    """Keep one pose per person: walking ``order``, drop a pose whose
    similarity (OKS, or box IoU for poses with few confident keypoints;
    see :func:`~levitpose_lite.matching.pose_similarity`) to a kept one
    exceeds ``oks_thr``.

    Args:
        keypoints (np.ndarray): Keypoints (N, K, 2).
        scores (np.ndarray): Keypoint scores (N, K).
        boxes (np.ndarray): Boxes of the poses (N, 4).
        order (Sequence[int]): Indices, most trusted first.
        kpt_thr (float): Keypoints scoring above it are confident.
        oks_thr (float): See above. Defaults to :data:`DEDUP_OKS_THR`.
        sigmas (Sequence[float], optional): OKS sigmas. Defaults to None
            (COCO's for 17 keypoints).

    Returns:
        np.ndarray: Kept indices (int64), in ``order``.
    """
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    areas = keypoint_areas(keypoints, scores, kpt_thr, boxes)
    similarity, _ = pose_similarity(
        keypoints,
        scores,
        boxes,
        keypoints,
        scores,
        boxes,
        kpt_thr,
        sigmas,
        ref_areas=areas)
    # symmetric: a pose seeing only part of a person (a small area) is
    # compared at the scale of the larger of the two
    similarity = np.maximum(similarity, similarity.T)
    keep = []
    for i in order:
        if all(similarity[j, i] <= oks_thr for j in keep):
            keep.append(int(i))
    return np.asarray(keep, np.int64)


def refined_people(image: np.ndarray,
                   boxes: np.ndarray,
                   pose: PoseFn,
                   box_scores: Optional[np.ndarray] = None,
                   kpt_thr: float = 0.3,
                   min_keypoints: Optional[int] = None,
                   padding: float = REFINE_PADDING,
                   rounds: int = REFINE_ROUNDS,
                   sigmas: Optional[Sequence[float]] = None
                   ) -> Dict[str, np.ndarray]:
    """Each person in ``boxes`` once, with a pose spanning the person.

    :func:`refine_boxes`, one batched ``pose`` call on the refined boxes,
    :func:`confident_poses`, then :func:`dedupe_poses` (most confident
    pose first).

    Args:
        image (np.ndarray): BGR image (H, W, 3).
        boxes (np.ndarray): Detected boxes (N, 4); they are clipped to the
            image, and those left empty are dropped.
        pose (PoseFn): The pose estimator.
        box_scores (np.ndarray, optional): Detector scores (N, ).
            Defaults to None (ones).
        kpt_thr (float): Keypoints scoring above it are confident.
            Defaults to 0.3.
        min_keypoints (int, optional): See :func:`confident_poses`.
        padding (float): See :data:`REFINE_PADDING`.
        rounds (int): See :data:`REFINE_ROUNDS`; 0 skips the refinement.
        sigmas (Sequence[float], optional): OKS sigmas for the dedupe.

    Returns:
        dict: ``bboxes`` (M, 4) (the boxes the poses were estimated in),
        ``bbox_scores`` (M, ), ``keypoints`` (M, K, 2) and
        ``keypoint_scores`` (M, K), the names of MMPose's
        ``pred_instances``; most confident person first.
    """
    height, width = image.shape[:2]
    boxes = clip_boxes(np.asarray(boxes, np.float32)[:, :4], width, height)
    if box_scores is None:
        box_scores = np.ones(len(boxes), np.float32)
    usable = usable_boxes(boxes)
    boxes = boxes[usable]
    box_scores = np.asarray(box_scores, np.float32).reshape(-1)[usable]
    boxes = refine_boxes(image, boxes, pose, kpt_thr, padding, rounds)
    keypoints, scores = pose(image, boxes)
    keep = np.flatnonzero(confident_poses(scores, kpt_thr, min_keypoints))
    mean_scores = scores[keep].mean(axis=1) if len(keep) else np.zeros(0)
    order = keep[np.argsort(-mean_scores, kind='stable')]
    keep = dedupe_poses(
        keypoints, scores, boxes, order, kpt_thr, sigmas=sigmas)
    return dict(
        bboxes=boxes[keep],
        bbox_scores=box_scores[keep],
        keypoints=np.asarray(keypoints, np.float32)[keep],
        keypoint_scores=np.asarray(scores, np.float32)[keep])
