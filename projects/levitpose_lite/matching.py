"""Pose similarity and assignment for tracking: object keypoint similarity
(OKS, as COCO evaluation defines it) with an IoU fallback, and one-to-one
matching: greedy (the tracker's default) or globally optimal (Hungarian,
with SciPy).

Note:
    - N: reference poses (tracks), M: candidate poses (this frame)
    - K: number of keypoints
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .boxes import box_iou

__all__ = [
    'COCO_SIGMAS', 'keypoint_sigmas', 'oks_matrix', 'pose_similarity',
    'greedy_match', 'optimal_match', 'MATCHERS'
]

#: Per-keypoint OKS sigmas of the 17 COCO body keypoints (COCO's
#: ``cocoeval.py``; also MMPose's ``coco.py`` dataset meta).
COCO_SIGMAS = np.array([
    .026, .025, .025, .035, .035, .079, .079, .072, .072, .062, .062, .107,
    .107, .087, .087, .089, .089
],
                       dtype=np.float32)
#: Sigma used for every keypoint of a layout other than COCO's 17 (the
#: mean of :data:`COCO_SIGMAS`, rounded).
DEFAULT_SIGMA = 0.07
#: Fewest keypoints confident in both poses for OKS to be used; below it
#: the pair is compared by box IoU instead.
MIN_OKS_KEYPOINTS = 3


def keypoint_sigmas(num_keypoints: int,
                    sigmas: Optional[Sequence[float]] = None) -> np.ndarray:
    """OKS sigmas for ``num_keypoints`` keypoints.

    Args:
        num_keypoints (int): K.
        sigmas (Sequence[float], optional): Explicit sigmas (K values).
            Defaults to None: :data:`COCO_SIGMAS` when K is 17, else
            :data:`DEFAULT_SIGMA` for all.

    Returns:
        np.ndarray: Sigmas (K, ), float32.
    """
    if sigmas is not None:
        sigmas = np.asarray(sigmas, dtype=np.float32).ravel()
        if len(sigmas) != num_keypoints:
            raise ValueError(f'got {len(sigmas)} OKS sigmas for '
                             f'{num_keypoints} keypoints')
        return sigmas
    if num_keypoints == len(COCO_SIGMAS):
        return COCO_SIGMAS
    return np.full(num_keypoints, DEFAULT_SIGMA, np.float32)


def oks_matrix(ref_keypoints: np.ndarray, ref_visible: np.ndarray,
               ref_areas: np.ndarray, keypoints: np.ndarray,
               visible: np.ndarray,
               sigmas: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """OKS of every (reference, candidate) pair.

    COCO's definition, with the reference in the role of the ground truth:
    ``OKS = mean_i exp(-d_i^2 / (2 * area * (2 * sigma_i)^2))`` over the
    keypoints ``i`` visible in both poses.

    Args:
        ref_keypoints (np.ndarray): Reference keypoints (N, K, 2).
        ref_visible (np.ndarray): Which of them count (N, K), bool.
        ref_areas (np.ndarray): Reference object areas (N, ) in pixels^2.
        keypoints (np.ndarray): Candidate keypoints (M, K, 2).
        visible (np.ndarray): Which of them count (M, K), bool.
        sigmas (np.ndarray): Per-keypoint sigmas (K, ).

    Returns:
        tuple: ``oks`` (N, M), 0 where no keypoint is shared, and
        ``shared`` (N, M), how many keypoints each pair shares.
    """
    diff = ref_keypoints[:, None] - keypoints[None]  # (N, M, K, 2)
    dist2 = np.square(diff).sum(axis=-1)  # (N, M, K)
    var = np.square(2 * np.asarray(sigmas, np.float32))  # (K, )
    areas = np.maximum(np.asarray(ref_areas, np.float32), 1.)[:, None, None]
    similarity = np.exp(-dist2 / (2 * areas * var))
    both = ref_visible[:, None] & visible[None]  # (N, M, K)
    shared = both.sum(axis=-1)
    oks = (similarity * both).sum(axis=-1) / np.maximum(shared, 1)
    return oks, shared


def pose_similarity(ref_keypoints: np.ndarray,
                    ref_scores: np.ndarray,
                    ref_boxes: np.ndarray,
                    keypoints: np.ndarray,
                    scores: np.ndarray,
                    boxes: np.ndarray,
                    kpt_thr: float,
                    sigmas: Optional[Sequence[float]] = None,
                    min_oks_keypoints: int = MIN_OKS_KEYPOINTS,
                    ref_areas: Optional[np.ndarray] = None
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Similarity of every (reference, candidate) pose pair: OKS where the
    two share at least ``min_oks_keypoints`` confident keypoints, else the
    IoU of their boxes.

    The OKS area of a reference is ``ref_areas``, by default the area of
    its box.

    Args:
        ref_keypoints (np.ndarray): Reference keypoints (N, K, 2).
        ref_scores (np.ndarray): Their scores (N, K).
        ref_boxes (np.ndarray): Reference boxes (N, 4).
        keypoints (np.ndarray): Candidate keypoints (M, K, 2).
        scores (np.ndarray): Their scores (M, K).
        boxes (np.ndarray): Candidate boxes (M, 4).
        kpt_thr (float): Keypoints scoring above it are confident.
        sigmas (Sequence[float], optional): OKS sigmas; see
            :func:`keypoint_sigmas`. Defaults to None.
        min_oks_keypoints (int): See above. Defaults to
            :data:`MIN_OKS_KEYPOINTS`.
        ref_areas (np.ndarray, optional): Reference areas (N, ) for OKS.
            Defaults to None (the areas of ``ref_boxes``).

    Returns:
        tuple: ``similarity`` (N, M) in [0, 1] and ``is_oks`` (N, M), True
        where the value is an OKS.
    """
    ref_boxes = np.asarray(ref_boxes, np.float32).reshape(-1, 4)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    ref_keypoints = np.asarray(ref_keypoints, np.float32)
    keypoints = np.asarray(keypoints, np.float32)
    if len(ref_boxes) == 0 or len(boxes) == 0:
        empty = np.zeros((len(ref_boxes), len(boxes)), np.float32)
        return empty, empty.astype(bool)
    sigmas = keypoint_sigmas(ref_keypoints.shape[1], sigmas)
    if ref_areas is None:
        ref_areas = np.prod(ref_boxes[:, 2:] - ref_boxes[:, :2], axis=1)
    oks, shared = oks_matrix(ref_keypoints,
                             np.asarray(ref_scores) > kpt_thr, ref_areas,
                             keypoints,
                             np.asarray(scores) > kpt_thr, sigmas)
    is_oks = shared >= min_oks_keypoints
    similarity = np.where(is_oks, oks, box_iou(ref_boxes, boxes))
    return similarity.astype(np.float32), is_oks


def greedy_match(similarity: np.ndarray,
                 thresholds: np.ndarray) -> List[Tuple[int, int]]:
    """One-to-one matching, most similar pairs first.

    Args:
        similarity (np.ndarray): Similarities (N, M).
        thresholds (np.ndarray): Least similarity of a match, (N, M) or
            broadcastable to it.

    Returns:
        list[tuple[int, int]]: Matched ``(row, column)`` pairs.
    """
    similarity = np.asarray(similarity, np.float64)
    eligible = similarity >= np.broadcast_to(thresholds, similarity.shape)
    rows, cols = np.nonzero(eligible)
    order = np.argsort(-similarity[rows, cols], kind='stable')
    used_rows, used_cols, pairs = set(), set(), []
    for i in order:
        row, col = int(rows[i]), int(cols[i])
        if row not in used_rows and col not in used_cols:
            pairs.append((row, col))
            used_rows.add(row)
            used_cols.add(col)
    return pairs


def optimal_match(similarity: np.ndarray,
                  thresholds: np.ndarray) -> List[Tuple[int, int]]:
    """One-to-one matching of the largest total similarity over eligible
    pairs (Hungarian assignment, ``scipy.optimize.linear_sum_assignment``;
    SciPy is imported here only).

    Args and returns: as :func:`greedy_match`.
    """
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError as err:
        raise ImportError('optimal matching needs SciPy: pip install scipy '
                          '(or use greedy matching)') from err
    similarity = np.asarray(similarity, np.float64)
    eligible = similarity >= np.broadcast_to(thresholds, similarity.shape)
    if not eligible.any():
        return []
    # ineligible pairs cost more than any set of eligible ones gains
    rows, cols = linear_sum_assignment(
        -np.where(eligible, similarity, -(similarity.size + 1.)))
    return [(int(r), int(c)) for r, c in zip(rows, cols) if eligible[r, c]]


#: Matching functions by name (:class:`~levitpose_lite.tracker.PoseTracker`'s
#: ``matching``).
MATCHERS = dict(greedy=greedy_match, hungarian=optimal_match)
