"""A synthetic world for tracker tests: stick figures moving on a blank
frame, with a fake detector and a fake pose estimator that see them.

Imported by the tracker tests (``tests/test_lite`` is on ``sys.path``).
"""
from typing import Callable, Dict, Optional, Set, Tuple

import numpy as np

from levitpose_lite.boxes import box_iou

#: A standing person in a unit-height box (x right, y down), COCO order:
#: nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles.
TEMPLATE = np.array(
    [[.25, .08], [.28, .06], [.22, .06], [.31, .08], [.19, .08], [.38, .25],
     [.12, .25], [.42, .42], [.08, .42], [.43, .58], [.07, .58], [.34, .58],
     [.16, .58], [.34, .78], [.16, .78], [.34, .98], [.16, .98]],
    dtype=np.float32)
CONFIDENT, UNSURE = 0.9, 0.05

#: ``where(frame) -> (center_x, center_y, height)``, or None when absent.
Path = Callable[[int], Optional[Tuple[float, float, float]]]


class World:
    """People moving along ``paths``; call :meth:`at` before each frame.

    Args:
        paths (dict[str, Path]): Each person's position per frame.
        missed (set[tuple[int, str]]): ``(frame, name)`` pairs the detector
            misses.
        occluded (set[tuple[int, str]]): Pairs the pose model cannot see
            (it returns unconfident keypoints).
        size (tuple[int, int]): Frame ``(w, h)``.
    """

    def __init__(
        self,
        paths: Dict[str, Path],
        missed: Set[Tuple[int, str]] = frozenset(),
        occluded: Set[Tuple[int, str]] = frozenset(),
        size: Tuple[int, int] = (640, 480)
    ) -> None:
        self.paths = paths
        self.missed = missed
        self.occluded = occluded
        self.image = np.zeros((size[1], size[0], 3), np.uint8)
        self.frame = 0
        self.detector_calls = 0
        self.pose_calls = []

    def at(self, frame: int) -> np.ndarray:
        """Move to ``frame``; returns the (blank) image."""
        self.frame = frame
        return self.image

    def keypoints(self, name: str) -> np.ndarray:
        """Ground-truth keypoints (17, 2) of a present person."""
        cx, cy, height = self.paths[name](self.frame)
        return TEMPLATE * height + [cx - 0.25 * height, cy - 0.5 * height]

    def present(self):
        return [n for n, p in self.paths.items() if p(self.frame) is not None]

    def gt_box(self, name: str) -> np.ndarray:
        k = self.keypoints(name)
        return np.concatenate([k.min(0), k.max(0)])

    def detector(self, image: np.ndarray):
        self.detector_calls += 1
        names = [
            n for n in self.present() if (self.frame, n) not in self.missed
        ]
        boxes = np.array([self.gt_box(n) for n in names],
                         np.float32).reshape(-1, 4)
        return boxes, np.full(len(names), 0.8, np.float32)

    def who(self, box: np.ndarray) -> Optional[str]:
        """The present person best overlapping ``box`` (IoU > 0.1)."""
        names = self.present()
        if not names:
            return None
        iou = box_iou(box[None], np.stack([self.gt_box(n) for n in names]))[0]
        return names[int(iou.argmax())] if iou.max() > 0.1 else None

    def pose(self, image: np.ndarray, boxes: np.ndarray):
        self.pose_calls.append(len(boxes))
        keypoints = np.zeros((len(boxes), 17, 2), np.float32)
        scores = np.full((len(boxes), 17), UNSURE, np.float32)
        for i, box in enumerate(np.asarray(boxes, np.float32)):
            name = self.who(box)
            if name is None or (self.frame, name) in self.occluded:
                keypoints[i] = (box[:2] + box[2:4]) / 2
            else:
                keypoints[i] = self.keypoints(name)
                scores[i] = CONFIDENT
        return keypoints, scores


def run(tracker, world: World, frames: int):
    """Feed ``frames`` frames; returns per frame ``{name: track_id}`` (the
    person a result's keypoints belong to) and the raw results."""
    identities, results = [], []
    for frame in range(frames):
        people = tracker(world.at(frame))
        results.append(people)
        ids = {}
        for person in people:
            name = world.who(
                np.concatenate(
                    [person['keypoints'].min(0), person['keypoints'].max(0)]))
            ids[name] = person['track_id']
        identities.append(ids)
    return identities, results
