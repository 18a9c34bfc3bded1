"""Re-identification in ``PoseTracker``: a person who leaves the view and
comes back keeps their id, by the colour of their torso
(``levitpose_lite.appearance``), and a different person who appears where
they left does not take it.

The scenes are real people: crops of three annotated people of a bundled
COCO photo, pasted on a grey frame where each scene puts them, with their
annotated keypoints moved alike; the oracle of ``levitpose_lite.track_eval``
detects them and returns their keypoints (no noise)."""
import json

import cv2
import numpy as np
import pytest

from levitpose_lite.appearance import (appearance, appearance_similarity,
                                       torso_box)
from levitpose_lite.track_eval import FrameTruth, Oracle
from levitpose_lite.tracker import REID_THR, PoseTracker

IMAGE = 'data/sample-coco/images/000000196141.jpg'
ANNOTATIONS = 'data/sample-coco/annotations/person_keypoints_sample.json'
#: Three people of the photo, dressed differently (annotation ids).
PEOPLE = dict(a=460541, b=1724673, c=488308)
SIZE = (640, 360)
HEIGHT = 200  # every pasted person's height, pixels


@pytest.fixture(scope='module')
def people(repo_root):
    """``{name: (crop (h, w, 3), keypoints (17, 2) in the crop, visible
    (17, ))}``, each crop the person's annotated box resized to
    :data:`HEIGHT` pixels high."""
    coco = json.loads((repo_root / ANNOTATIONS).read_text())
    photo = cv2.imread(str(repo_root / IMAGE))
    anns = {a['id']: a for a in coco['annotations']}
    result = {}
    for name, ann_id in PEOPLE.items():
        x, y, w, h = anns[ann_id]['bbox']
        keypoints = np.array(anns[ann_id]['keypoints'],
                             np.float32).reshape(17, 3)
        scale = HEIGHT / h
        crop = photo[int(y):int(y + h), int(x):int(x + w)]
        crop = cv2.resize(crop, (max(int(round(w * scale)), 1), HEIGHT))
        result[name] = ((crop, (keypoints[:, :2] - [int(x), int(y)]) * scale,
                         keypoints[:, 2] > 0))
    return result


def scene(people, where):
    """Frames and their truth: ``where[t]`` is ``{name: left x}`` of the
    people in frame ``t`` (all standing at the same height)."""
    names = sorted(people)
    images, truths = [], []
    for placed in where:
        image = np.full((SIZE[1], SIZE[0], 3), 128, np.uint8)
        ids, boxes, keypoints, visible = [], [], [], []
        for name, left in placed.items():
            crop, kpts, seen = people[name]
            top = 100
            image[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
            ids.append(names.index(name))
            boxes.append([left, top, left + crop.shape[1], top + HEIGHT])
            keypoints.append(kpts + [left, top])
            visible.append(seen)
        images.append(image)
        truths.append(
            FrameTruth(
                np.array(ids, np.int64),
                np.array(boxes, np.float32).reshape(-1, 4),
                np.array(keypoints, np.float32).reshape(-1, 17, 2),
                np.array(visible, bool).reshape(-1, 17)))
    return images, truths


def track(images, truths, **kwargs):
    """``[{person index: track id}]`` per frame, with oracle models (and
    no smoothing, so that each result is exactly a true pose)."""
    kwargs.setdefault('smooth', False)
    oracle = Oracle(truths, noise=0.)
    tracker = PoseTracker(oracle.detector, oracle.pose, **kwargs)
    identities = []
    for frame, image in enumerate(images):
        oracle.frame = frame
        people = tracker(image)
        truth = truths[frame]
        ids = {}
        for person in people:
            for i, keypoints in enumerate(truth.keypoints):
                seen = truth.visible[i]
                if np.allclose(person['keypoints'][seen], keypoints[seen]):
                    ids[int(truth.ids[i])] = person['track_id']
        identities.append(ids)
    return identities


def ids_of(identities, index):
    return [ids[index] for ids in identities if index in ids]


A, B, C = 0, 1, 2  # person indices, as sorted names


def new_id_on_return(identities):
    """Whether a had one id in its first 10 frames and another, never
    used before, in its last 10."""
    before, after = ids_of(identities, A)[:10], ids_of(identities, A)[10:]
    used = {i for ids in identities[:10] for i in ids.values()}
    return (len(after) == 10 and len(set(before)) == len(set(after)) == 1
            and after[0] not in used)


def test_the_three_people_look_different(people):
    looks = {
        name:
        appearance(crop, kpts, seen.astype(np.float32),
                   np.array([0, 0, crop.shape[1], crop.shape[0]]), 0.5)
        for name, (crop, kpts, seen) in people.items()
    }
    for one, two in (('a', 'b'), ('a', 'c'), ('b', 'c')):
        assert appearance_similarity(looks[one], looks[two]) < REID_THR
    assert appearance_similarity(looks['a'], looks['a']) == pytest.approx(1)


def test_a_person_who_leaves_and_comes_back_keeps_the_id(people):
    # a is out of view for 40 frames (more than max_missing), b stays
    where = [
        dict(b=400, **({} if 10 <= t < 50 else dict(a=100 + t)))
        for t in range(60)
    ]
    identities = track(*scene(people, where), det_interval=5)
    assert len(ids_of(identities, A)) == 20
    assert len(set(ids_of(identities, A))) == 1
    assert len(set(ids_of(identities, B))) == 1
    assert ids_of(identities, A)[0] != ids_of(identities, B)[0]


def test_without_reid_memory_the_person_gets_a_new_id(people):
    where = [
        dict(b=400, **({} if 10 <= t < 50 else dict(a=100))) for t in range(60)
    ]
    identities = track(*scene(people, where), det_interval=5, reid_memory=0)
    assert new_id_on_return(identities)


def test_a_different_person_where_one_left_gets_a_new_id(people):
    # a leaves at frame 10; c appears just where a was at frame 30; a
    # comes back beside c at frame 40
    where = []
    for t in range(50):
        placed = dict(b=450)
        if t < 10:
            placed['a'] = 100
        if t >= 30:
            placed['c'] = 100
        if t >= 40:
            placed['a'] = 240
        where.append(placed)
    identities = track(*scene(people, where), det_interval=5)
    assert len(ids_of(identities, A)) == 20
    assert len(ids_of(identities, C)) == 20
    ids = [set(ids_of(identities, i)) for i in (A, B, C)]
    assert [len(i) for i in ids] == [1, 1, 1]
    assert len(set.union(*ids)) == 3


def test_a_lost_track_is_forgotten_after_the_reid_memory(people):
    # gone for 40 frames: lost after 11, forgotten after 11 + 20
    where = [
        dict(b=400, **({} if 10 <= t < 50 else dict(a=100))) for t in range(60)
    ]
    images, truths = scene(people, where)
    oracle = Oracle(truths, noise=0.)
    tracker = PoseTracker(
        oracle.detector, oracle.pose, det_interval=5, reid_memory=20)
    lost = []
    for frame, image in enumerate(images):
        oracle.frame = frame
        tracker(image)
        lost.append(len(tracker.lost))
    # missing from frame 10: active while missing 1..10, lost 11..30
    assert lost[:20] == [0] * 20
    assert lost[20:40] == [1] * 20
    assert lost[40:] == [0] * 20
    assert new_id_on_return(
        track(images, truths, det_interval=5, reid_memory=20))


def test_a_return_far_from_where_they_left_is_a_new_person(people):
    # more than REID_MAX_SHIFT (1) heights from the last box (2.4)
    where = [
        dict(**({} if 10 <= t < 30 else dict(a=20 if t < 10 else 500)))
        for t in range(40)
    ]
    assert new_id_on_return(track(*scene(people, where), det_interval=5))


def test_torso_box_spans_shoulders_and_hips():
    keypoints = np.zeros((17, 2), np.float32)
    keypoints[[5, 6, 11, 12]] = [[10, 20], [30, 22], [12, 60], [28, 61]]
    scores = np.zeros(17, np.float32)
    scores[[5, 6, 11, 12]] = 0.9
    box = np.array([0, 0, 40, 100], np.float32)
    np.testing.assert_array_equal(
        torso_box(keypoints, scores, box, 0.3), [10, 20, 30, 61])
    scores[[5, 6]] = 0.1  # two of four: the middle of the box instead
    np.testing.assert_array_equal(
        torso_box(keypoints, scores, box, 0.3), [10, 20, 30, 60])


def test_appearance_outside_the_image_is_none():
    image = np.zeros((50, 50, 3), np.uint8)
    box = np.array([60, 0, 100, 40], np.float32)
    assert appearance(image, np.zeros((17, 2)), np.zeros(17), box, 0.3) is None


@pytest.mark.parametrize('kwargs,match', [
    (dict(reid_memory=-1), 'reid_memory'),
    (dict(reid_memory=2.5), 'reid_memory'),
    (dict(reid_thr=1.5), 'reid_thr'),
    (dict(reid_thr=float('nan')), 'reid_thr'),
])
def test_bad_reid_arguments_raise(kwargs, match):
    oracle = Oracle([], noise=0.)
    with pytest.raises(ValueError, match=match):
        PoseTracker(oracle.detector, oracle.pose, **kwargs)
