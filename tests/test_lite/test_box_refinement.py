"""Pose-guided box refinement: a partial box grows to the whole person,
unconfident poses are dropped, duplicates merge; on the bundled skier the
default detector + shipped model report one whole person."""
import functools
import json

import cv2
import numpy as np
import pytest
from synthetic_people import UNSURE, World

from levitpose_lite.box_refinement import (confident_poses, dedupe_poses,
                                           refine_boxes, refined_people)
from levitpose_lite.boxes import box_iou
from levitpose_lite.detectors import HOGFallbackPersonDetector

SKIER = 'demo/resources/coco_000000000785.jpg'
SKIER_ID = 785


def standing(cx, cy, height):
    return lambda frame: (cx, cy, height)


def test_an_upper_body_box_grows_to_the_whole_person():
    world = World({'a': standing(300, 240, 300)})
    whole = world.gt_box('a')
    upper = whole.copy()
    upper[3] = whole[1] + 0.5 * (whole[3] - whole[1])
    refined = refine_boxes(world.image, upper[None], world.pose, 0.3)
    assert box_iou(upper[None], whole[None])[0, 0] < 0.6
    # the box of the keypoints, grown by 1.25 about its center
    assert box_iou(refined, whole[None])[0, 0] == pytest.approx(
        1 / 1.25**2, abs=1e-3)
    assert world.pose_calls == [1, 1]  # two rounds, batched


def test_unconfident_poses_are_dropped():
    scores = np.full((3, 17), 0.9, np.float32)
    scores[1, :9] = UNSURE  # 8 of 17 confident: below half
    scores[2, :8] = UNSURE  # 9 of 17: kept
    assert confident_poses(scores, 0.3).tolist() == [True, False, True]


def test_two_boxes_on_one_person_give_one_pose():
    world = World({'a': standing(200, 240, 300), 'b': standing(480, 240, 250)})
    a, b = world.gt_box('a'), world.gt_box('b')
    legs = a.copy()
    legs[1] = a[1] + 0.6 * (a[3] - a[1])
    nowhere = np.array([560, 10, 620, 60], np.float32)
    people = refined_people(world.image, np.stack([a, legs, b, nowhere]),
                            world.pose)
    assert len(people['bboxes']) == 2
    assert set(people) == {
        'bboxes', 'bbox_scores', 'keypoints', 'keypoint_scores'
    }
    assert sorted(world.who(box) for box in people['bboxes']) == ['a', 'b']


def test_a_partial_pose_on_a_tracked_person_is_a_duplicate():
    world = World({'a': standing(300, 240, 300)})
    whole = world.keypoints('a')[None]
    scores = np.full((2, 17), 0.9, np.float32)
    scores[1, 11:] = UNSURE  # the second pose sees the upper body only
    keypoints = np.concatenate([whole, whole + 6])  # OKS 0.82 or 0.72
    boxes = np.stack([world.gt_box('a')] * 2)
    for order in ([0, 1], [1, 0]):
        kept = dedupe_poses(keypoints, scores, boxes, order, 0.3)
        assert kept.tolist() == order[:1]


def test_no_boxes_give_no_people():
    world = World({})
    people = refined_people(world.image, np.zeros((0, 4)), world.pose)
    assert len(people['bboxes']) == 0


def default_pose_model(repo_root):
    """The demo's default config and checkpoint paths (never restated
    here: the model behind them may change)."""
    from levitpose.demo_app import options
    return (repo_root / options.DEFAULT_POSE_CONFIG,
            repo_root / options.DEFAULT_POSE_CHECKPOINT)


@pytest.fixture(scope='module')
def shipped_pose(repo_root):
    """``pose(image, boxes)`` with the demo's default config and shipped
    checkpoint, loaded strictly and run through MMPose as the torch demo
    runs it."""
    from levitpose.apis import inference_topdown_keypoints, init_pose_model
    config, checkpoint = default_pose_model(repo_root)
    if not checkpoint.is_file():
        pytest.skip(f'no shipped checkpoint at {checkpoint}')
    model = init_pose_model(str(config), str(checkpoint), device='cpu')
    return functools.partial(inference_topdown_keypoints, model)


def test_skier_is_reported_once_as_a_whole_person(repo_root, shared_data,
                                                  shipped_pose):
    coco = json.loads(
        (shared_data / 'mmpose/tests/data/coco/test_coco.json').read_text())
    x, y, w, h = next(a['bbox'] for a in coco['annotations']
                      if a['image_id'] == SKIER_ID)
    person = np.array([[x, y, x + w, y + h]], np.float32)
    image = cv2.imread(str(repo_root / SKIER))
    boxes, scores = HOGFallbackPersonDetector()(image)
    assert len(boxes) > 1  # the detector alone: parts of the skier
    people = refined_people(image, boxes, shipped_pose, scores)
    assert len(people['bboxes']) == 1
    keypoints = people['keypoints'][0]
    extent = np.concatenate([keypoints.min(0), keypoints.max(0)])
    # the skeleton spans the person: most of the annotated box's height
    assert (extent[3] - extent[1]) > 0.7 * h
    assert box_iou(people['bboxes'], person)[0, 0] > 0.6
