"""Appearance of a tracked person, for re-identifying someone who left the
view and came back: a colour histogram of their torso.

The descriptor is the classic one of colour-based tracking (Swain and
Ballard's colour indexing; OpenCV's CamShift tutorial): a normalised HSV
histogram (:data:`HIST_BINS` bins of hue, saturation and value) of the
torso, the box spanned by the confident shoulders and hips (COCO
keypoints 5, 6, 11, 12), or, when fewer than :data:`MIN_TORSO_KEYPOINTS`
of them are confident or the layout is not COCO's, the central part of the
person's box (:data:`BOX_TORSO`). Clothes change little while someone is
out of view; the torso avoids the background around the limbs. Two
descriptors are compared with the Bhattacharyya distance
(``cv2.compareHist``), turned into a similarity ``1 - distance`` in
[0, 1].

Note:
    - K: number of keypoints
    - Boxes are ``(x1, y1, x2, y2)`` in image pixels.
"""
from typing import Optional

import cv2
import numpy as np

__all__ = [
    'HIST_BINS', 'TORSO_KEYPOINTS', 'MIN_TORSO_KEYPOINTS', 'BOX_TORSO',
    'MIN_REGION_SIDE', 'torso_box', 'appearance', 'appearance_similarity'
]

#: Bins of hue, saturation and value. Value gets bins of its own so that
#: dark, grey and white clothes (hue undefined) still differ.
HIST_BINS = (8, 4, 4)
#: COCO's shoulders and hips (MMPose's ``coco.py`` order).
TORSO_KEYPOINTS = (5, 6, 11, 12)
#: Fewest confident torso keypoints that define the torso box.
MIN_TORSO_KEYPOINTS = 3
#: The torso as a share of the person's box, ``(x1, y1, x2, y2)``, when the
#: keypoints do not give it: the middle half across, from a fifth to three
#: fifths down.
BOX_TORSO = (0.25, 0.2, 0.75, 0.6)
#: Shortest side (pixels) of a region worth a descriptor.
MIN_REGION_SIDE = 4


def torso_box(keypoints: np.ndarray, scores: np.ndarray, box: np.ndarray,
              kpt_thr: float) -> np.ndarray:
    """The torso's box (4, ) of one person.

    Args:
        keypoints (np.ndarray): Keypoints (K, 2).
        scores (np.ndarray): Their scores (K, ).
        box (np.ndarray): The person's box (4, ).
        kpt_thr (float): Keypoints scoring above it are confident.

    Returns:
        np.ndarray: The box spanned by the confident torso keypoints (for
        COCO's 17 keypoints, at least :data:`MIN_TORSO_KEYPOINTS`), else
        :data:`BOX_TORSO` of ``box``; float32, not clipped.
    """
    keypoints = np.asarray(keypoints, np.float32)
    if len(keypoints) == 17:
        torso = np.asarray(TORSO_KEYPOINTS)
        confident = np.asarray(scores)[torso] > kpt_thr
        if confident.sum() >= MIN_TORSO_KEYPOINTS:
            points = keypoints[torso[confident]]
            return np.concatenate([points.min(0),
                                   points.max(0)]).astype(np.float32)
    box = np.asarray(box, np.float32)
    size = np.tile(box[2:] - box[:2], 2)
    return (np.tile(box[:2], 2) + size * BOX_TORSO).astype(np.float32)


def appearance(image: np.ndarray, keypoints: np.ndarray, scores: np.ndarray,
               box: np.ndarray, kpt_thr: float) -> Optional[np.ndarray]:
    """The appearance descriptor of one person.

    Args:
        image (np.ndarray): BGR frame (H, W, 3), uint8.
        keypoints, scores, box, kpt_thr: As :func:`torso_box`.

    Returns:
        np.ndarray | None: The normalised histogram (sum 1), float32 of
        shape :data:`HIST_BINS`; None where the torso lies (almost) outside
        the image.
    """
    height, width = image.shape[:2]
    x1, y1, x2, y2 = torso_box(keypoints, scores, box, kpt_thr)
    x1, x2 = (int(round(min(max(v, 0), width))) for v in (x1, x2))
    y1, y2 = (int(round(min(max(v, 0), height))) for v in (y1, y2))
    if min(x2 - x1, y2 - y1) < MIN_REGION_SIDE:
        return None
    hsv = cv2.cvtColor(
        np.ascontiguousarray(image[y1:y2, x1:x2]), cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, list(HIST_BINS),
                        [0, 180, 0, 256, 0, 256])
    return (hist / max(float(hist.sum()), 1.)).astype(np.float32)


def appearance_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """``1 -`` the Bhattacharyya distance of two descriptors: 1 for equal
    colour distributions, 0 for disjoint ones."""
    return 1. - float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))
